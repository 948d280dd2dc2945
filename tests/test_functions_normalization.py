"""seglearn.functions.batch_normalization and its helpers against Chainer's implementation."""
import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer import gradient_check

from seglearn import config, functions
from seglearn.functions import _patches, normalization, onednn


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
def test_batch_normalization_matches_chainer(layout, shape, kernels):
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


_IMPLS = {'numpy': normalization.FastBatchNormalizationImpl,
          'onednn': normalization.OneDNNBatchNormalizationImpl}
_OURS = tuple(_IMPLS.values())


def test_fast_impl_is_selected_only_where_it_applies(kernels):
    x = numpy.ones((2, 3, 4, 4), numpy.float32)
    g = numpy.ones(3, numpy.float32)
    y = functions.batch_normalization(x, g, g)
    assert type(y.creator._impl) is _IMPLS[kernels.name]
    y = functions.batch_normalization(x.reshape(2, 3, 16), g, g)  # 3-D: Chainer's general impl
    assert not isinstance(y.creator._impl, _OURS)
    with config.using_fast_cpu(False):
        y = functions.batch_normalization(x, g, g)
    assert not isinstance(y.creator._impl, _OURS)
    y = functions.batch_normalization(x.astype(numpy.float16), g.astype(numpy.float16),
                                      g.astype(numpy.float16))
    assert y.dtype == numpy.float16
    assert not isinstance(y.creator._impl, _OURS)
    # float64 has no oneDNN kernel: the NumPy one
    y = functions.batch_normalization(x.astype(numpy.float64), *[g.astype(numpy.float64)] * 2)
    assert type(y.creator._impl) is normalization.FastBatchNormalizationImpl
    with pytest.raises(chainer.utils.type_check.InvalidType):
        functions.batch_normalization(x, numpy.ones(4, numpy.float32), numpy.ones(4, numpy.float32))


def _check_gradients(f, inputs, rng, kernels):
    """First- and second-order gradient checks of ``f`` at ``inputs`` (random directions), at
    ten times the ``kernels`` tolerances (batch statistics make the function nonlinear)."""
    dtype = inputs[0].dtype
    tolerance = dict(atol=10 * kernels.atol, rtol=10 * kernels.rtol)
    gy = rng.randn(*f(*inputs).shape).astype(dtype)
    gradient_check.check_backward(f, inputs, gy, dtype=numpy.float64, **tolerance)
    gg = tuple(rng.randn(*a.shape).astype(dtype) for a in inputs)
    gradient_check.check_double_backward(f, inputs, gy, gg, dtype=numpy.float64, **tolerance)


@pytest.mark.parametrize('layout', ['nchw', 'nhwc'])
def test_batch_normalization_gradient_check(layout, kernels):
    x = _layouts((3, 2, 3, 4), kernels.dtype)[layout]
    rng = numpy.random.RandomState(4)
    gamma, beta = rng.uniform(0.5, 2, (2, 2)).astype(kernels.dtype)

    def f(x, gamma, beta):
        return functions.batch_normalization(x, gamma, beta)

    _check_gradients(f, (x, gamma, beta), rng, kernels)


@pytest.mark.parametrize('layout', ['nchw', 'nhwc', 'strided'])
@pytest.mark.parametrize('shape', [(2, 3, 5, 4), (4, 16, 32, 32)])
def test_fixed_batch_normalization_matches_chainer(layout, shape, kernels):
    x = _layouts(shape)[layout]
    rng = numpy.random.RandomState(5)
    gamma, beta, mean = rng.uniform(-1, 2, (3, shape[1])).astype(numpy.float32)
    var = rng.uniform(0.2, 3, shape[1]).astype(numpy.float32)
    y = functions.fixed_batch_normalization(x, gamma, beta, mean, var, eps=1e-3)
    assert isinstance(y.creator, normalization.FixedBatchNormalization)
    expected = F.fixed_batch_normalization(x, gamma, beta, mean, var, eps=1e-3).array
    numpy.testing.assert_allclose(y.array, expected, rtol=1e-5, atol=1e-5)
    with config.using_fast_cpu(False):
        y = functions.fixed_batch_normalization(x, gamma, beta, mean, var)
    assert not isinstance(y.creator, normalization.FixedBatchNormalization)


def test_fixed_batch_normalization_gradient_check(kernels):
    x = _layouts((3, 2, 3, 4), kernels.dtype)['nhwc']
    rng = numpy.random.RandomState(6)
    gamma, beta, mean = rng.uniform(-1, 2, (3, 2)).astype(kernels.dtype)
    var = rng.uniform(0.5, 2, 2).astype(kernels.dtype)

    def f(*inputs):
        return functions.fixed_batch_normalization(*inputs)

    _check_gradients(f, (x, gamma, beta, mean, var), rng, kernels)


@pytest.mark.parametrize('layout', ['nchw', 'nhwc'])
@pytest.mark.parametrize('channels', [16, 12])  # oneDNN: fused kernels; BN kernels + NumPy ReLU
def test_batch_normalization_relu_matches_chainer(layout, channels, kernels, monkeypatch):
    backward, original = [], onednn.batch_normalization_grad
    monkeypatch.setattr(onednn, 'batch_normalization_grad', lambda *args, relu_mask=None: (
        backward.append(relu_mask is not None) or original(*args, relu_mask=relu_mask)))
    shape = (4, channels, 8, 8)
    x = _layouts(shape)[layout]
    rng = numpy.random.RandomState(7)
    gamma, beta = rng.uniform(0.5, 2, (2, shape[1])).astype(numpy.float32)
    beta[-1] = 0.25  # else one output lands within rounding of ReLU's kink (0), whose side
    gy = _layouts(shape, seed=8)[layout]  # then depends on the summation order
    stats = [numpy.zeros(shape[1], numpy.float32), numpy.ones(shape[1], numpy.float32)]
    ref_stats = [a.copy() for a in stats]
    ours = _run(functions.batch_normalization_relu, x, gamma, beta, gy, running_mean=stats[0],
                running_var=stats[1], decay=0.8, eps=1e-3)
    theirs = _run(lambda *a, **k: F.relu(F.batch_normalization(*a, **k)), x, gamma, beta, gy,
                  running_mean=ref_stats[0], running_var=ref_stats[1], decay=0.8, eps=1e-3)
    assert (ours[0] == 0).mean() > 0.1  # the ReLU cuts
    for a, b in zip(ours + tuple(stats), theirs + tuple(ref_stats)):
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * abs(b).max())
    # one backward kernel on oneDNN (fused: the ReLU's mask passed to it)
    fused = channels % 16 == 0
    assert backward == ([fused] if kernels.name == 'onednn' else [])


def test_batch_normalization_relu_gradient_check(kernels):
    x = _layouts((3, 2, 3, 4), kernels.dtype)['nhwc']
    rng = numpy.random.RandomState(9)
    gamma, beta = rng.uniform(0.5, 2, (2, 2)).astype(kernels.dtype)

    def f(x, gamma, beta):
        return functions.batch_normalization_relu(x, gamma, beta)

    _check_gradients(f, (x, gamma, beta), rng, kernels)


@pytest.mark.parametrize('onednn_s, numpy_s, expected', [(1., 2., True), (2., 1., False)])
def test_batch_normalization_backend_is_chosen_by_a_one_off_timing(monkeypatch, onednn_s,
                                                                   numpy_s, expected):
    if not onednn.available():
        pytest.skip('oneDNN did not load')
    timed = []

    def fake_time(fn, runs=2):
        fn()  # both candidates run once, on real arrays
        timed.append(fn.__name__)
        return onednn_s if fn.__name__ == 'with_onednn' else numpy_s

    monkeypatch.setattr(normalization, '_best_time', fake_time)
    normalization._onednn_pays.cache_clear()
    try:
        for relu in (False, True):
            assert normalization._onednn_pays((2, 16, 4, 4), 2e-5, relu) is expected
        assert normalization._onednn_pays((2, 16, 4, 4), 2e-5, True) is expected  # cached
        assert timed == ['with_onednn', 'with_numpy'] * 2
        x = numpy.ones((2, 16, 4, 4), numpy.float32)
        g = numpy.ones(16, numpy.float32)
        with config.using_fast_cpu('onednn'):
            y = functions.batch_normalization(x, g, g)
        assert isinstance(y.creator._impl, normalization.OneDNNBatchNormalizationImpl) is expected
    finally:
        normalization._onednn_pays.cache_clear()
