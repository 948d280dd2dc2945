import numpy
import pytest

from seglearn._checks import (check_choice, check_int, check_int_array, check_number, check_pair,
                              check_positive, check_ratio, check_size, int_tuple, is_int, pair)


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


def test_check_int_enforces_the_maximum():
    assert check_int('depth', 16, 1, 16) == 16
    with pytest.raises(ValueError, match='depth must be <= 16, got 17'):
        check_int('depth', 17, 1, 16)


@pytest.mark.parametrize('value, expected', [
    (3, True), (numpy.int8(-2), True), (True, False), (numpy.bool_(True), False), (3.0, False),
    ('3', False), (None, False)])
def test_is_int(value, expected):
    assert is_int(value) is expected


def test_check_number_and_check_positive():
    assert check_number('noise', 0, 0) == 0.0 and type(check_number('noise', 2, 0)) is float
    assert check_positive('width', numpy.float32(0.5)) == 0.5
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match='width must be > 0'):
            check_positive('width', bad)
    with pytest.raises(ValueError, match='noise must be >= 0'):
        check_number('noise', -0.1, 0)
    for bad in (float('nan'), float('inf'), -float('inf')):
        with pytest.raises(ValueError, match='finite'):
            check_positive('width', bad)
    for bad in ('1', None, True, [1.0]):
        with pytest.raises(TypeError, match='width must be a number'):
            check_positive('width', bad)


def test_check_ratio():
    assert check_ratio('dropout', 0) == 0.0 and isinstance(check_ratio('dropout', 0), float)
    assert check_ratio('dropout', numpy.float32(0.5)) == 0.5
    for bad in (1, 1.0, -0.01, float('nan'), float('inf')):
        with pytest.raises(ValueError, match=r'dropout must be in \[0, 1\), got'):
            check_ratio('dropout', bad)
    for bad in ('0.5', None, True):
        with pytest.raises(TypeError, match='dropout must be a number'):
            check_ratio('dropout', bad)


def test_check_choice():
    assert check_choice('split', 'val', ('train', 'val')) == 'val'
    with pytest.raises(ValueError, match="split must be one of 'train', 'val', got 'test'"):
        check_choice('split', 'test', ('train', 'val'))


def test_check_int_array_takes_any_integer_dtype_and_leaves_the_values_to_the_caller():
    for dtype in (numpy.int8, numpy.int32, numpy.int64, numpy.uint8):
        x = numpy.array([-1, 0, 300]).astype(dtype)
        assert check_int_array('label', x) is x
    for bad in (numpy.zeros(2, numpy.float32), numpy.zeros(2, bool), numpy.array(['a'])):
        with pytest.raises(TypeError, match=r'label must be an integer array; got dtype ' +
                           str(bad.dtype)):
            check_int_array('label', bad)
    with pytest.raises(TypeError, match='gt must be an integer array; got list'):
        check_int_array('gt', [0, 1])


@pytest.mark.parametrize('value, length, minimum, expected', [
    (3, 2, 1, (3, 3)), ([2, numpy.int64(5)], 2, 1, (2, 5)), ((0, 1, 2, 3), 4, 0, (0, 1, 2, 3)),
    ((1, 2, 3), 2, 1, None), ((0, 2), 2, 1, None), ((1.0, 2), 2, 1, None), ('ab', 2, None, None),
    ((True, 2), 2, None, None), ((-4, 2), 2, None, (-4, 2))])
def test_int_tuple(value, length, minimum, expected):
    assert int_tuple(value, length, minimum) == expected


def test_check_pair_and_check_size_differ_only_in_their_error_types():
    assert check_pair('window', 4) == (4, 4) and check_size((3, 5), minimum=2) == (3, 5)
    for bad in ((1, 2, 3), 2.5, (0, 4)):
        with pytest.raises(ValueError, match=r'window must be an int or an \(h, w\) pair'):
            check_pair('window', bad)
    for bad in ((1, 2, 3), 2.5):
        with pytest.raises(TypeError, match=r'size must be an int or a pair \(h, w\) of ints'):
            check_size(bad)
    with pytest.raises(ValueError, match='size must be at least 16 pixels per side'):
        check_size((8, 32), minimum=16)


def test_pair_reads_ints_and_sequences_as_chainer_does():
    assert pair(3) == (3, 3) and pair((1, 2)) == (1, 2) and pair([4, 5]) == (4, 5)
