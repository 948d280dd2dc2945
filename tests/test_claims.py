import numpy
import pytest

from seglearn.claims import ClaimFailed, claim


def test_a_claim_that_holds_is_printed_with_its_evidence(capsys):
    assert claim('FCN-32s beats the position prior', 0.71 > 0.45, 'mIoU 0.710 vs 0.450') is None
    assert capsys.readouterr().out == '✔ FCN-32s beats the position prior (mIoU 0.710 vs 0.450)\n'
    claim('numpy bools count', numpy.float32(2) > 1)
    assert capsys.readouterr().out == '✔ numpy bools count\n'


@pytest.mark.parametrize('holds', [False, numpy.bool_(False), 0])
def test_a_claim_that_fails_raises_and_names_the_sentence(holds, capsys):
    with pytest.raises(ClaimFailed, match=r'no longer holds: skips sharpen \(band 0.51 vs 0.52\)'):
        claim('skips sharpen', holds, 'band 0.51 vs 0.52')
    assert capsys.readouterr().out == ''
    assert issubclass(ClaimFailed, AssertionError)


def test_claim_arguments_are_strings():
    with pytest.raises(TypeError, match='must be str'):
        claim(3, True)
    with pytest.raises(TypeError, match='must be str'):
        claim('x', True, evidence=0.5)
