"""seglearn.functions: fast CPU convolutions against Chainer's own, gradient checks, dispatch."""
import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer import gradient_check

from seglearn import config, functions
from seglearn.functions import _patches, convolution

# (B, C_in, H, W, C_out, k, stride, pad, dilate, cover_all)
CONV_CASES = [
    (2, 3, 9, 7, 5, 3, 1, 1, 1, False),
    (1, 4, 8, 8, 6, 3, 2, 1, 1, False),
    (2, 3, 9, 7, 5, 3, 2, 1, 1, True),
    (1, 2, 10, 11, 3, 3, (2, 1), (0, 2), 2, True),
    (2, 4, 5, 5, 3, 1, 1, 0, 1, False),
    (3, 4, 8, 6, 3, 2, 2, 0, 1, False),
    (1, 1, 7, 5, 2, (3, 2), (1, 2), (2, 0), (1, 2), False),
    (2, 3, 6, 6, 4, 1, 2, 0, 1, True),
    (1, 2, 4, 4, 2, 5, 1, 3, 1, False),
    (2, 2, 13, 13, 3, 4, 3, 1, 1, True),
]

# (B, C_in, H, W, C_out, k, stride, pad, dilate, outsize)
DECONV_CASES = [
    (2, 3, 4, 5, 5, 4, 2, 1, 1, None),
    (1, 4, 3, 3, 2, 3, 2, 1, 1, (6, 6)),
    (2, 3, 5, 4, 3, 3, 1, 1, 1, None),
    (1, 2, 4, 4, 3, 3, 2, 0, 1, (10, 10)),
    (2, 2, 3, 5, 2, 2, (2, 3), (0, 1), (1, 2), None),
    (1, 3, 6, 6, 4, 1, 1, 0, 1, None),
    (1, 2, 2, 3, 2, 16, 8, 4, 1, None),
    (2, 1, 3, 3, 2, 3, 3, 0, 1, (8, 9)),
    (1, 8, 3, 3, 2, 5, 1, 0, 1, None),  # stride 1, but col2im's buffer is the smaller one
]


def _conv_data(case, dtype=numpy.float32, seed=0):
    b, c, h, w, c_out, k, s, p, d, _ = case
    kh, kw = k if isinstance(k, tuple) else (k, k)
    rng = numpy.random.RandomState(seed)
    x = rng.uniform(-1, 1, (b, c, h, w)).astype(dtype)
    W = rng.uniform(-1, 1, (c_out, c, kh, kw)).astype(dtype)
    bias = rng.uniform(-1, 1, c_out).astype(dtype)
    return x, W, bias


def _deconv_data(case, dtype=numpy.float32, seed=0):
    b, c, h, w, c_out, k, s, p, d, _ = case
    kh, kw = k if isinstance(k, tuple) else (k, k)
    rng = numpy.random.RandomState(seed)
    x = rng.uniform(-1, 1, (b, c, h, w)).astype(dtype)
    W = rng.uniform(-1, 1, (c, c_out, kh, kw)).astype(dtype)
    bias = rng.uniform(-1, 1, c_out).astype(dtype)
    return x, W, bias


def _forward_backward(fn, x, W, bias, gy_seed=1, **kwargs):
    xv, Wv = chainer.Variable(x.copy()), chainer.Variable(W.copy())
    bv = None if bias is None else chainer.Variable(bias.copy())
    y = fn(xv, Wv, bv, **kwargs)
    y.grad = numpy.random.RandomState(gy_seed).uniform(-1, 1, y.shape).astype(x.dtype)
    y.backward()
    return y.array, xv.grad, Wv.grad, None if bias is None else bv.grad


def _assert_all_close(ours, theirs, tol):
    for a, b in zip(ours, theirs):
        if b is None:
            assert a is None
            continue
        assert a.shape == b.shape
        numpy.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize('case', CONV_CASES)
@pytest.mark.parametrize('with_bias', [True, False])
def test_convolution_matches_chainer(case, with_bias, kernels):
    x, W, bias = _conv_data(case)
    bias = bias if with_bias else None
    s, p, d, cover_all = case[6:]
    kwargs = dict(stride=s, pad=p, dilate=d, cover_all=cover_all)
    ours = _forward_backward(functions.convolution_2d, x, W, bias, **kwargs)
    theirs = _forward_backward(F.convolution_2d, x, W, bias, **kwargs)
    _assert_all_close(ours, theirs, 1e-5)


@pytest.mark.parametrize('case', DECONV_CASES)
@pytest.mark.parametrize('with_bias', [True, False])
def test_deconvolution_matches_chainer(case, with_bias, kernels):
    x, W, bias = _deconv_data(case)
    bias = bias if with_bias else None
    s, p, d, outsize = case[6:]
    kwargs = dict(stride=s, pad=p, dilate=d, outsize=outsize)
    ours = _forward_backward(functions.deconvolution_2d, x, W, bias, **kwargs)
    theirs = _forward_backward(F.deconvolution_2d, x, W, bias, **kwargs)
    _assert_all_close(ours, theirs, 1e-5)


def test_fast_path_is_used_and_output_is_channel_last(kernels):
    x, W, bias = _conv_data(CONV_CASES[0])
    y = functions.convolution_2d(x, W, bias, pad=1)
    assert isinstance(y.creator, convolution.Convolution2D)
    # NCHW shape over channel-last memory: the next convolution reads it without a copy
    assert _patches.nhwc(y.array).flags.c_contiguous
    z = functions.deconvolution_2d(y, W, stride=2)
    assert isinstance(z.creator, convolution.Deconvolution2D)


def _check_gradients(f, inputs, rng, kernels):
    """First- and second-order gradient checks of ``f`` at ``inputs`` (random directions)."""
    dtype = inputs[0].dtype
    gy = rng.uniform(-1, 1, f(*inputs).shape).astype(dtype)
    gradient_check.check_backward(f, inputs, gy, dtype=numpy.float64, atol=kernels.atol,
                                  rtol=kernels.rtol)
    gg = tuple(rng.uniform(-1, 1, a.shape).astype(dtype) for a in inputs)
    gradient_check.check_double_backward(f, inputs, gy, gg, dtype=numpy.float64,
                                         atol=kernels.atol, rtol=kernels.rtol)


@pytest.mark.parametrize('case', CONV_CASES[:4] + CONV_CASES[6:7])
def test_convolution_gradient_check(case, kernels):
    x, W, bias = _conv_data(case, kernels.dtype)
    s, p, d, cover_all = case[6:]
    rng = numpy.random.RandomState(2)

    def f(x, W, b):
        return functions.convolution_2d(x, W, b, s, p, cover_all, d)

    _check_gradients(f, (x, W, bias), rng, kernels)


@pytest.mark.parametrize('case', DECONV_CASES[:5])
def test_deconvolution_gradient_check(case, kernels):
    x, W, bias = _deconv_data(case, kernels.dtype)
    s, p, d, outsize = case[6:]
    rng = numpy.random.RandomState(3)

    def f(x, W, b):
        return functions.deconvolution_2d(x, W, b, s, p, outsize, d)

    _check_gradients(f, (x, W, bias), rng, kernels)


def test_gradient_check_without_bias(kernels):
    x, W, _ = _conv_data(CONV_CASES[2], kernels.dtype)
    gy = numpy.random.RandomState(4).uniform(-1, 1, (2, 5, 5, 4)).astype(kernels.dtype)
    gradient_check.check_backward(
        lambda x, W: functions.convolution_2d(x, W, None, 2, 1, True), (x, W), gy,
        dtype=numpy.float64, atol=kernels.atol, rtol=kernels.rtol)


def test_switch_off_calls_chainer(spy):
    conv_calls = spy(F, 'convolution_2d')
    deconv_calls = spy(F, 'deconvolution_2d')
    x, W, bias = _conv_data(CONV_CASES[0])
    with config.using_fast_cpu(False):
        y = functions.convolution_2d(x, W, bias, pad=1)
        z = functions.deconvolution_2d(x, W.transpose(1, 0, 2, 3).copy(), stride=2)
    assert len(conv_calls) == 1 and len(deconv_calls) == 1
    assert not isinstance(y.creator, convolution.Convolution2D)
    assert not isinstance(z.creator, convolution.Deconvolution2D)
    functions.convolution_2d(x, W, bias, pad=1)
    assert len(conv_calls) == 1  # on again: Chainer not called


def test_float16_and_groups_fall_back_to_chainer(spy):
    calls = spy(F, 'convolution_2d')
    x, W, bias = _conv_data(CONV_CASES[0], numpy.float16)
    y = functions.convolution_2d(x, W, bias, pad=1)
    assert y.dtype == numpy.float16 and len(calls) == 1
    x = numpy.ones((1, 4, 5, 5), numpy.float32)
    W = numpy.ones((6, 2, 3, 3), numpy.float32)
    y = functions.convolution_2d(x, W, groups=2)
    assert y.shape == (1, 6, 3, 3) and len(calls) == 2
    # mixed dtypes: whatever Chainer does with them
    x64 = numpy.ones((1, 2, 5, 5), numpy.float64)
    W32 = numpy.ones((3, 2, 3, 3), numpy.float32)
    y = functions.convolution_2d(x64, W32)
    assert len(calls) == 3
    numpy.testing.assert_array_equal(y.array, F.convolution_2d(x64, W32).array)


def test_use_fast_path():
    a32 = numpy.zeros((1, 1, 2, 2), numpy.float32)
    assert functions.use_fast_path(a32, chainer.Variable(a32), None)
    assert functions.use_fast_path(a32.astype(numpy.float64))
    assert not functions.use_fast_path(a32, a32.astype(numpy.float64))
    assert not functions.use_fast_path(a32.astype(numpy.float16))
    with config.using_fast_cpu(False):
        assert not functions.use_fast_path(a32)


@pytest.mark.parametrize('x_shape, W_shape', [
    ((1, 3, 5, 5), (4, 2, 3, 3)),       # channel mismatch
    ((3, 5, 5), (4, 3, 3, 3)),          # x not 4-D
])
def test_bad_shapes_raise(x_shape, W_shape):
    with pytest.raises(chainer.utils.type_check.InvalidType):
        functions.convolution_2d(numpy.ones(x_shape, numpy.float32),
                                 numpy.ones(W_shape, numpy.float32))


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match='output size'):
        functions.convolution_2d(numpy.ones((1, 1, 2, 2), numpy.float32),
                                 numpy.ones((1, 1, 3, 3), numpy.float32))
    with pytest.raises(ValueError, match='dilate'):
        functions.convolution_2d(numpy.ones((1, 1, 5, 5), numpy.float32),
                                 numpy.ones((1, 1, 3, 3), numpy.float32), dilate=0)
    with pytest.raises(chainer.utils.type_check.InvalidType):  # outsize impossible for input
        functions.deconvolution_2d(numpy.ones((1, 1, 3, 3), numpy.float32),
                                   numpy.ones((1, 1, 4, 4), numpy.float32), stride=2,
                                   outsize=(20, 20))
    with pytest.raises(chainer.utils.type_check.InvalidType):  # bias length
        functions.convolution_2d(numpy.ones((1, 1, 5, 5), numpy.float32),
                                 numpy.ones((2, 1, 3, 3), numpy.float32),
                                 numpy.ones(3, numpy.float32))


def test_im2col_col2im_are_transposes():
    # <im2col(x), c> == <x, col2im(c)> for every geometry: col2im is the adjoint
    rng = numpy.random.RandomState(5)
    for b, c, h, w, k, s, p, d, out in [(2, 3, 7, 6, 3, 2, 1, 1, (4, 3)),
                                        (1, 2, 5, 5, 2, 1, 0, 2, (3, 3)),
                                        (1, 2, 5, 5, 3, 2, 1, 1, (4, 4)),
                                        (2, 3, 8, 8, 4, 2, 1, 1, (4, 4)),    # k = 2s: phases
                                        (1, 2, 6, 6, 2, 2, 0, 1, (3, 3))]:   # k = s
        x = rng.randn(b, c, h, w)
        col = _patches.im2col(x, k, k, s, s, p, p, d, d, *out)
        g = rng.randn(*col.shape)
        back = _patches.col2im(g, b, h, w, c, k, k, s, s, p, p, d, d, *out)
        numpy.testing.assert_allclose((col * g).sum(), (x * back).sum(), rtol=1e-10)


hypothesis = pytest.importorskip('hypothesis')
st = hypothesis.strategies


@hypothesis.settings(max_examples=40, deadline=None,  # ``kernels`` only sets the backend
                     suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture])
@hypothesis.given(b=st.integers(1, 2), c=st.integers(1, 4), c_out=st.integers(1, 4),
                  h=st.integers(1, 9), w=st.integers(1, 9), k=st.integers(1, 4),
                  s=st.integers(1, 3), p=st.integers(0, 2), d=st.integers(1, 2),
                  cover_all=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_random_geometries_match_chainer(kernels, b, c, c_out, h, w, k, s, p, d, cover_all,
                                         seed):
    dk = (k - 1) * d + 1
    hypothesis.assume(h + 2 * p >= dk and w + 2 * p >= dk)
    case = (b, c, h, w, c_out, k, s, p, d, cover_all)
    x, W, bias = _conv_data(case, seed=seed)
    kwargs = dict(stride=s, pad=p, dilate=d, cover_all=cover_all)
    ours = _forward_backward(functions.convolution_2d, x, W, bias, **kwargs)
    theirs = _forward_backward(F.convolution_2d, x, W, bias, **kwargs)
    _assert_all_close(ours, theirs, 1e-5)
    # the transposed convolution back to the input size, with outsize
    xd, Wd, bd = _deconv_data((b, c_out) + ours[0].shape[2:] + (c, k, s, p, d, None), seed=seed)
    kwargs = dict(stride=s, pad=p, dilate=d, outsize=(h, w))
    ours = _forward_backward(functions.deconvolution_2d, xd, Wd, bd, **kwargs)
    theirs = _forward_backward(F.deconvolution_2d, xd, Wd, bd, **kwargs)
    _assert_all_close(ours, theirs, 1e-5)


def test_environment_variable_turns_the_switch_off():
    import os
    import subprocess
    import sys
    env = dict(os.environ, SEGLEARN_FAST_CPU='off')
    out = subprocess.run([sys.executable, '-c', 'import seglearn.config as c; print(c.fast_cpu)'],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.strip() == 'False'


def test_split_view_writes_through_and_refuses_copies():
    img = numpy.zeros((2, 6, 8, 3), numpy.float32)
    band = _patches.split_view(img[:, 2:6, 0:8], (2, 2, 2, 4, 2, 3))
    band += 1  # the in-place add must land in img
    assert img[:, 2:6].sum() == band.size and img[:, :2].sum() == 0
    with pytest.raises(ValueError, match='would copy'):
        _patches.split_view(img[:, :, ::2].transpose(0, 2, 1, 3), (2, 24, 3))
