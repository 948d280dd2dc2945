"""seglearn.functions.separable against Chainer's dense transposed convolution, and its use in
BilinearUpsampling2D (the fast path, the fallbacks, unchanged model files)."""
import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer import gradient_check

from seglearn import config, functions, upsampling
from seglearn.functions.separable import (SeparableMap2D, separable_deconvolution_2d,
                                          transposed_conv_matrix)
from seglearn.models import FCN8s, common
from seglearn.models.common import BilinearUpsampling2D

# (B, C, H, W, k, stride, pad, outsize)
CASES = [
    (2, 3, 5, 7, 4, 2, 0, None),  # FCN's upscore2 / upscore_pool4
    (1, 2, 4, 3, 16, 8, 0, None),  # FCN-8s's upscore8
    (1, 2, 3, 2, 64, 32, 0, None),  # FCN-32s's upscore
    (2, 2, 6, 4, 5, 3, 2, None),  # odd kernel, pad > 0
    (1, 2, 5, 6, 4, 2, 1, (9, 12)),  # outsize one row short of the default (10, 12)
    (1, 1, 5, 4, 3, 2, 0, (11, 10)),  # outsize one column past the default (11, 9)
    (2, 3, 4, 6, 4, (2, 3), (1, 0), None),  # different stride and pad per axis
]


def _diagonal_kernel(channels, w):
    W = numpy.zeros((channels, channels, w.size, w.size), w.dtype)
    W[numpy.arange(channels), numpy.arange(channels)] = numpy.outer(w, w)
    return W


def _data(case, dtype=numpy.float32, seed=0):
    b, c, h, w, k = case[:5]
    x = numpy.random.RandomState(seed).uniform(-1, 1, (b, c, h, w)).astype(dtype)
    return x, upsampling.bilinear_weights_1d(k).astype(dtype)


def _forward_backward(f, x, gy_seed=1):
    """Output and input gradient of ``f`` for a fixed random output gradient."""
    v = chainer.Variable(x)
    y = f(v)
    gy = numpy.random.RandomState(gy_seed).uniform(-1, 1, y.shape).astype(y.dtype)
    y.grad = chainer.backend.get_array_module(x).asarray(gy)
    y.backward()
    return y.array, v.grad


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('channel_last', [False, True])
def test_matches_dense_deconvolution(case, channel_last):
    x, w = _data(case)
    if channel_last:  # an NCHW view of (B, H, W, C) memory, as seglearn's convolutions return
        x = numpy.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    s, p, outsize = case[5:]
    W = _diagonal_kernel(x.shape[1], w)
    ours = _forward_backward(lambda v: separable_deconvolution_2d(v, w, s, p, outsize), x)
    theirs = _forward_backward(lambda v: F.deconvolution_2d(v, W, None, s, p, outsize), x)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == numpy.float32
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5 * numpy.abs(b).max())


def test_float64_any_kernel_and_channel_last_output():
    x, _ = _data(CASES[3], numpy.float64)
    w = numpy.array([0.3, -1.2, 0.7, 2.0, -0.4])  # not bilinear, not symmetric
    W = _diagonal_kernel(x.shape[1], w)
    ours = _forward_backward(lambda v: separable_deconvolution_2d(v, w, 3, 2), x)
    theirs = _forward_backward(lambda v: F.deconvolution_2d(v, W, None, 3, 2), x)
    for a, b in zip(ours, theirs):
        assert a.dtype == numpy.float64
        numpy.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    y = separable_deconvolution_2d(x, w, 3, 2)
    assert isinstance(y.creator, SeparableMap2D)
    assert y.array.transpose(0, 2, 3, 1).flags.c_contiguous  # channel-last memory


def test_float32_input_keeps_its_dtype_with_float64_kernel():
    x, _ = _data(CASES[0])
    y = separable_deconvolution_2d(x, numpy.array([0.25, 0.75, 0.75, 0.25]), 2)
    assert y.dtype == numpy.float32
    want = F.deconvolution_2d(x, upsampling.bilinear_kernel(3, 3, 4), stride=2).array
    numpy.testing.assert_allclose(y.array, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize('case', [CASES[0], CASES[3], CASES[4], CASES[6]])
def test_gradient_checks(case):
    x, _ = _data(case, numpy.float64)
    w = numpy.random.RandomState(2).uniform(-1, 1, case[4])
    s, p, outsize = case[5:]

    def f(x):
        return separable_deconvolution_2d(x, w, s, p, outsize)

    rng = numpy.random.RandomState(3)
    gy = rng.uniform(-1, 1, f(x).shape)
    gradient_check.check_backward(f, x, gy, dtype=numpy.float64, atol=1e-6, rtol=1e-5)
    gradient_check.check_double_backward(f, x, gy, rng.uniform(-1, 1, x.shape),
                                         dtype=numpy.float64, atol=1e-6, rtol=1e-5)


def test_map_applies_both_matrices_and_checks_shapes():
    rng = numpy.random.RandomState(0)
    a, b, x = rng.randn(4, 3), rng.randn(5, 2), rng.randn(2, 3, 3, 2)
    y = SeparableMap2D(a, b).apply((x,))[0]
    numpy.testing.assert_allclose(y.array, a @ x @ b.T, rtol=1e-12, atol=1e-12)
    with pytest.raises(chainer.utils.type_check.InvalidType):
        SeparableMap2D(b, a).apply((x,))


def _brute_force_matrix(in_size, w, s, p, out_size):
    m = numpy.zeros((out_size, in_size))
    for i in range(in_size):
        for j in range(len(w)):
            row = s * i + j - p
            if 0 <= row < out_size:
                m[row, i] += w[j]
    return m


@pytest.mark.parametrize('in_size, k, s, p, extra', [
    (5, 4, 2, 0, 0), (3, 16, 8, 0, 0), (4, 5, 3, 2, 0), (6, 4, 2, 1, 1), (6, 4, 2, 1, -1),
    (5, 3, 2, 0, 1), (1, 1, 1, 0, 0), (4, 7, 4, 3, -3), (3, 2, 5, 0, 4)])
def test_transposed_conv_matrix_against_brute_force(in_size, k, s, p, extra):
    w = numpy.random.RandomState(k).uniform(0.5, 1.5, k)
    default = s * (in_size - 1) + k - 2 * p
    out_size = None if extra == 0 else default + extra
    got = transposed_conv_matrix(in_size, w, s, p, out_size)
    numpy.testing.assert_array_equal(got, _brute_force_matrix(in_size, w, s, p, default + extra))
    assert got.dtype == numpy.float64


def test_transposed_conv_matrix_rejects_bad_sizes():
    w = upsampling.bilinear_weights_1d(4)
    assert transposed_conv_matrix(3, w, 2, 0).dtype == numpy.float32
    for out_size in (5, 10):  # the default is 8, Chainer allows 7..9 with stride 2
        with pytest.raises(ValueError, match='out_size must be within 1 of 8'):
            transposed_conv_matrix(3, w, 2, 0, out_size)
    with pytest.raises(ValueError, match='output would be empty'):
        transposed_conv_matrix(1, [1.0], 1, 1)
    with pytest.raises(ValueError, match='non-empty 1-D'):
        transposed_conv_matrix(3, numpy.ones((2, 2)), 2, 0)
    with pytest.raises(ValueError, match='x must have shape'):
        separable_deconvolution_2d(numpy.zeros((2, 3, 4), numpy.float32), w, 2)


# --- BilinearUpsampling2D -----------------------------------------------------------------------

def _layer_calls(spy):
    return spy(common, 'separable_deconvolution_2d'), spy(functions, 'deconvolution_2d')


def test_layer_takes_the_separable_path(spy):
    fast, dense = _layer_calls(spy)
    layer = BilinearUpsampling2D(3, 16, 8, pad=4)
    x, _ = _data((2, 3, 5, 4, 16))
    y = layer(x)
    assert fast and not dense and isinstance(y.creator, SeparableMap2D)
    want = F.deconvolution_2d(x, upsampling.bilinear_kernel(3, 3, 16), stride=8, pad=4).array
    numpy.testing.assert_allclose(y.array, want, rtol=1e-5, atol=1e-6)
    assert 'weights_1d' not in layer._persistent


@pytest.mark.parametrize('change', ['off_diagonal', 'diagonal', 'replaced', 'shape'])
def test_layer_falls_back_when_W_was_changed(spy, change):
    fast, dense = _layer_calls(spy)
    layer = BilinearUpsampling2D(3, 4, 2)
    if change == 'off_diagonal':
        layer.W[0, 2, 1, 1] = 0.5
    elif change == 'diagonal':
        layer.W[1, 1, 0, 3] += 0.125
    elif change == 'replaced':
        layer.W = layer.W * 2
    else:
        layer.W = numpy.ones((3, 3, 3, 3), numpy.float32)
    x, _ = _data((2, 3, 5, 7, 4))
    y = layer(x)
    assert dense and not fast
    want = F.deconvolution_2d(x, layer.W, stride=2).array
    numpy.testing.assert_allclose(y.array, want, rtol=1e-5, atol=1e-6)


def test_layer_falls_back_without_fast_cpu(spy):
    fast, dense = _layer_calls(spy)
    layer = BilinearUpsampling2D(2, 4, 2, pad=1)
    x, _ = _data((1, 2, 4, 6, 4))
    with config.using_fast_cpu(False):
        y = layer(x)
    assert dense and not fast
    want = F.deconvolution_2d(x, upsampling.bilinear_kernel(2, 2, 4), stride=2, pad=1).array
    numpy.testing.assert_allclose(y.array, want, rtol=1e-5, atol=1e-6)


def test_fcn_model_file_keeps_its_keys_and_loads(tmp_path):
    model = FCN8s(3, width=1 / 32)
    path = str(tmp_path / 'fcn.npz')
    chainer.serializers.save_npz(path, model)
    with numpy.load(path) as saved:
        keys = set(saved.files)
    params = {name.lstrip('/') for name, _ in model.namedparams()}
    assert params <= keys
    assert keys - params == {'upscore2/W', 'upscore_pool4/W', 'upscore8/W'}
    other = FCN8s(3, width=1 / 32)
    chainer.serializers.load_npz(path, other)
    x = numpy.random.RandomState(0).uniform(0, 255, (1, 3, 20, 28)).astype(numpy.float32)
    with chainer.using_config('train', False):
        numpy.testing.assert_array_equal(other(x).array, model(x).array)
        assert other.upscore8._is_bilinear()


@pytest.mark.gpu
def test_cupy_input_matches_cpu():
    import cupy
    x, w = _data(CASES[1])
    gpu = _forward_backward(lambda v: separable_deconvolution_2d(v, w, 8), cupy.asarray(x))
    cpu = _forward_backward(lambda v: separable_deconvolution_2d(v, w, 8), x)
    for a, b in zip(gpu, cpu):
        assert isinstance(a, cupy.ndarray) and a.dtype == numpy.float32
        numpy.testing.assert_allclose(cupy.asnumpy(a), b, rtol=1e-5, atol=1e-5)
