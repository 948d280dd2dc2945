import numpy
import pytest

from seglearn._checks import check_int


def test_check_int_accepts_python_and_numpy_integers():
    assert check_int('n', numpy.int64(3)) == 3 and type(check_int('n', numpy.int64(3))) is int
    assert check_int('n', 0, minimum=0) == 0 and check_int('n', -5) == -5


@pytest.mark.parametrize('value', [True, 2.0, '3', None, numpy.float32(1)])
def test_check_int_rejects_non_integers(value):
    with pytest.raises(TypeError, match='n must be an integer, got'):
        check_int('n', value)


def test_check_int_enforces_the_minimum():
    with pytest.raises(ValueError, match='n must be >= 2, got 1'):
        check_int('n', 1, minimum=2)
