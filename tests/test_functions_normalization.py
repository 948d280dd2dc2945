"""seglearn.functions.batch_normalization and its helpers against Chainer's implementation."""
import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer import gradient_check

from seglearn import config, functions
from seglearn.functions import _patches, normalization


def _layouts(shape, dtype=numpy.float32, seed=0):
    """The same random (B, C, H, W) values as NCHW memory, channel-last memory and a slice."""
    b, c, h, w = shape
    x = numpy.random.RandomState(seed).uniform(-2, 3, (b, h, w, c)).astype(dtype)
    return {'nchw': numpy.ascontiguousarray(_patches.nchw(x)), 'nhwc': _patches.nchw(x),
            'cnhw': numpy.ascontiguousarray(x.transpose(3, 0, 1, 2)).transpose(1, 0, 2, 3),
            'strided': numpy.ascontiguousarray(_patches.nchw(x))[:, :, ::1, :]
            .repeat(2, axis=3)[:, :, :, ::2]}


@pytest.mark.parametrize('layout', ['nchw', 'nhwc', 'cnhw', 'strided'])
@pytest.mark.parametrize('shape', [(2, 3, 5, 4), (1, 16, 8, 8), (3, 1, 1, 7)])
def test_channel_sum_and_scale_shift(layout, shape):
    x = _layouts(shape, numpy.float64)[layout]
    numpy.testing.assert_allclose(normalization.channel_sum(x), x.sum(axis=(0, 2, 3)))
    rng = numpy.random.RandomState(1)
    scale, shift = rng.randn(shape[1]), rng.randn(shape[1])
    expected = x * scale[:, None, None] + shift[:, None, None]
    numpy.testing.assert_allclose(normalization.scale_shift(x, scale, shift), expected)
    y = x.copy() if layout == 'nchw' else _patches.nchw(numpy.ascontiguousarray(_patches.nhwc(x)))
    out = normalization.scale_shift(y, scale, shift, out=y)
    numpy.testing.assert_allclose(out, expected)
    numpy.testing.assert_allclose(y, expected)  # written in place


def _run(fn, x, gamma, beta, gy, **kwargs):
    xv, gv, bv = (chainer.Variable(a.copy()) for a in (x, gamma, beta))
    y = fn(xv, gv, bv, **kwargs)
    y.grad = gy
    y.backward()
    return y.array, xv.grad, gv.grad, bv.grad


@pytest.mark.parametrize('layout', ['nchw', 'nhwc', 'strided'])
@pytest.mark.parametrize('shape', [(2, 3, 5, 4), (4, 16, 32, 32), (2, 5, 1, 1)])
def test_batch_normalization_matches_chainer(layout, shape):
    x = _layouts(shape)[layout]
    rng = numpy.random.RandomState(2)
    gamma, beta = rng.uniform(0.5, 2, (2, shape[1])).astype(numpy.float32)
    gy = _layouts(shape, seed=3)[layout]
    stats = [numpy.zeros(shape[1], numpy.float32), numpy.ones(shape[1], numpy.float32)]
    ref_stats = [a.copy() for a in stats]
    ours = _run(functions.batch_normalization, x, gamma, beta, gy, running_mean=stats[0],
                running_var=stats[1], decay=0.8, eps=1e-3)
    theirs = _run(F.batch_normalization, x, gamma, beta, gy, running_mean=ref_stats[0],
                  running_var=ref_stats[1], decay=0.8, eps=1e-3)
    for a, b in zip(ours + tuple(stats), theirs + tuple(ref_stats)):
        assert a.dtype == b.dtype == numpy.float32
        # sums over up to 16k values in float32: compare relative to the largest entry
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * abs(b).max())


def test_fast_impl_is_selected_only_where_it_applies():
    x = numpy.ones((2, 3, 4, 4), numpy.float32)
    g = numpy.ones(3, numpy.float32)
    y = functions.batch_normalization(x, g, g)
    assert isinstance(y.creator._impl, normalization.FastBatchNormalizationImpl)
    y = functions.batch_normalization(x.reshape(2, 3, 16), g, g)  # 3-D: Chainer's general impl
    assert not isinstance(y.creator._impl, normalization.FastBatchNormalizationImpl)
    with config.using_fast_cpu(False):
        y = functions.batch_normalization(x, g, g)
    assert not isinstance(y.creator._impl, normalization.FastBatchNormalizationImpl)
    y = functions.batch_normalization(x.astype(numpy.float16), g.astype(numpy.float16),
                                      g.astype(numpy.float16))
    assert y.dtype == numpy.float16
    assert not isinstance(y.creator._impl, normalization.FastBatchNormalizationImpl)
    with pytest.raises(chainer.utils.type_check.InvalidType):
        functions.batch_normalization(x, numpy.ones(4, numpy.float32), numpy.ones(4, numpy.float32))


@pytest.mark.parametrize('layout', ['nchw', 'nhwc'])
def test_batch_normalization_gradient_check(layout):
    x = _layouts((3, 2, 3, 4), numpy.float64)[layout]
    rng = numpy.random.RandomState(4)
    gamma, beta = rng.uniform(0.5, 2, (2, 2))
    gy = rng.randn(*x.shape)

    def f(x, gamma, beta):
        return functions.batch_normalization(x, gamma, beta)

    gradient_check.check_backward(f, (x, gamma, beta), gy, dtype=numpy.float64,
                                  atol=1e-5, rtol=1e-4)
    gg = tuple(rng.randn(*a.shape) for a in (x, gamma, beta))
    gradient_check.check_double_backward(f, (x, gamma, beta), gy, gg, dtype=numpy.float64,
                                         atol=1e-5, rtol=1e-4)
