import chainer
import chainer.links as L
import numpy
import pytest

import seglearn  # noqa: F401
from seglearn import config, links


@pytest.mark.parametrize('fast', [True, False])
def test_links_match_chainer_links(fast):
    rng = numpy.random.RandomState(0)
    x = rng.randn(2, 3, 9, 7).astype(numpy.float32)
    for ours, theirs, kwargs in [
            (links.Convolution2D, L.Convolution2D, dict(ksize=3, stride=2, pad=1)),
            (links.Deconvolution2D, L.Deconvolution2D, dict(ksize=4, stride=2, pad=1))]:
        a = ours(3, 5, **kwargs)
        b = theirs(3, 5, **kwargs)
        b.W.array[...] = a.W.array
        b.b.array[...] = a.b.array
        with config.using_fast_cpu(fast):
            ya = a(x)
        yb = b(x)
        numpy.testing.assert_allclose(ya.array, yb.array, rtol=1e-5, atol=1e-5)


def test_lazy_initialisation_and_serialisation(tmp_path):
    conv = links.Convolution2D(None, 4, ksize=3)
    conv(numpy.zeros((1, 2, 5, 5), numpy.float32))
    assert conv.W.shape == (4, 2, 3, 3)
    chainer.serializers.save_npz(str(tmp_path / 'c.npz'), conv)
    plain = L.Convolution2D(2, 4, ksize=3)
    chainer.serializers.load_npz(str(tmp_path / 'c.npz'), plain)
    numpy.testing.assert_array_equal(plain.W.array, conv.W.array)
