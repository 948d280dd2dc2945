import chainer
import chainer.links as L
import numpy
import pytest

import seglearn  # noqa: F401
from seglearn import config, links


@pytest.mark.parametrize('fast', ['onednn', 'numpy', False])
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


@pytest.mark.parametrize('fast', ['onednn', 'numpy', False])
def test_batch_normalization_link_matches_chainer(fast):
    rng = numpy.random.RandomState(1)
    ours, theirs = links.BatchNormalization(4, decay=0.7), L.BatchNormalization(4, decay=0.7)
    for _ in range(2):  # two updates of the running statistics
        x = rng.uniform(-1, 3, (3, 4, 5, 6)).astype(numpy.float32)
        gy = rng.randn(*x.shape).astype(numpy.float32)
        results = []
        for link in (ours, theirs):
            link.cleargrads()
            xv = chainer.Variable(x)
            with config.using_fast_cpu(fast):
                y = link(xv)
            y.grad = gy
            y.backward()
            results.append((y.array, xv.grad, link.gamma.grad, link.beta.grad,
                            link.avg_mean, link.avg_var))
        for a, b in zip(*results):
            numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    with chainer.using_config('train', False), config.using_fast_cpu(fast):
        numpy.testing.assert_allclose(ours(x).array, theirs(x).array, rtol=1e-5, atol=1e-5)


def test_batch_normalization_link_lazy_finetune_and_serialisation(tmp_path):
    bn = links.BatchNormalization(axis=(0, 2, 3))
    x = numpy.random.RandomState(2).randn(2, 3, 4, 4).astype(numpy.float32)
    bn(x, finetune=True)
    bn(x + 1, finetune=True)
    assert bn.N == 2 and bn.avg_mean.shape == (3,)
    numpy.testing.assert_allclose(bn.avg_mean, x.mean(axis=(0, 2, 3)) + 0.5, rtol=1e-5)
    chainer.serializers.save_npz(str(tmp_path / 'bn.npz'), bn)
    plain = L.BatchNormalization(3)
    chainer.serializers.load_npz(str(tmp_path / 'bn.npz'), plain)
    numpy.testing.assert_array_equal(plain.avg_var, bn.avg_var)
    fixed = links.BatchNormalization(3, use_gamma=False, use_beta=False)
    y = fixed(x).array
    numpy.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
