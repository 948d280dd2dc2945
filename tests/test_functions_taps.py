"""seglearn.functions._taps: stride-1 convolution by shifted products, against Chainer."""
import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer import gradient_check

from seglearn import config, functions
from seglearn.functions import _patches, _taps, convolution


@pytest.fixture(autouse=True)
def numpy_kernels():
    """These tests are about the NumPy kernels (a test that asks for ``kernels`` overrides it)."""
    with config.using_fast_cpu('numpy'):
        yield

# (B, C_in, H, W, C_out, (kh, kw), pad, dilate)
CASES = [
    (2, 3, 12, 10, 5, (3, 3), (1, 1), (1, 1)),
    (1, 4, 9, 9, 2, (3, 3), (0, 0), (1, 1)),       # valid (U-Net): no padding copy
    (2, 2, 6, 7, 3, (3, 3), (5, 4), (1, 1)),       # pad larger than the kernel (FCN's pad=100)
    (1, 3, 11, 13, 4, (2, 3), (0, 1), (1, 1)),     # rectangular kernel, even height
    (2, 2, 10, 10, 3, (3, 3), (2, 2), (2, 2)),     # dilation
    (1, 1, 8, 9, 1, (5, 1), (2, 0), (1, 3)),       # one column of taps
]


def _data(case, dtype, channel_last, seed=0):
    b, c, h, w, c_out, (kh, kw), _, _ = case
    rng = numpy.random.RandomState(seed)
    x = rng.uniform(-1, 1, (b, h, w, c) if channel_last else (b, c, h, w)).astype(dtype)
    x = _patches.nchw(x) if channel_last else x
    W = rng.uniform(-1, 1, (c_out, c, kh, kw)).astype(dtype)
    bias = rng.uniform(-1, 1, c_out).astype(dtype)
    return x, W, bias


def _out_size(case):
    _, _, h, w, _, (kh, kw), (ph, pw), (dy, dx) = case
    return h + 2 * ph - (kh - 1) * dy, w + 2 * pw - (kw - 1) * dx


@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('dtype', [numpy.float32, numpy.float64])
@pytest.mark.parametrize('channel_last', [False, True])
def test_convolution_and_filter_gradient_match_chainer(case, dtype, channel_last):
    x, W, bias = _data(case, dtype, channel_last)
    (ph, pw), (dy, dx) = case[6], case[7]
    out_h, out_w = _out_size(case)
    tol = 1e-5 if dtype == numpy.float32 else 1e-12
    for b in (bias, None):
        y = _taps.convolution(x, W, ph, pw, dy, dx, out_h, out_w, b)
        expected = F.convolution_2d(x, W, b, 1, (ph, pw), dilate=(dy, dx)).array
        assert y.dtype == dtype and _patches.nhwc(y).flags.c_contiguous
        numpy.testing.assert_allclose(y, expected, rtol=tol, atol=tol)
    gy = numpy.random.RandomState(1).uniform(-1, 1, expected.shape).astype(dtype)
    gW = _taps.filter_gradient(x, gy, W.shape[2], W.shape[3], ph, pw, dy, dx)
    xv, Wv = chainer.Variable(x), chainer.Variable(W)
    yv = F.convolution_2d(xv, Wv, None, 1, (ph, pw), dilate=(dy, dx))
    yv.grad = gy
    yv.backward()
    assert gW.shape == W.shape and gW.flags.c_contiguous
    numpy.testing.assert_allclose(gW, Wv.grad, rtol=tol, atol=tol * 10)


def test_worth_it():
    # 3x3 'same' on 64x64: padded grid 66x66, 6 % more than the output
    assert _taps.worth_it((2, 8, 64, 64), (8, 8, 3, 3), (1, 1), (1, 1), (64, 64))
    assert not _taps.worth_it((2, 8, 64, 64), (8, 8, 3, 3), (2, 2), (1, 1), (32, 32))  # stride
    assert not _taps.worth_it((2, 8, 64, 64), (8, 8, 1, 1), (1, 1), (1, 1), (64, 64))  # 1x1
    # FCN's fc6, 7x7 'valid' on 11x11: 121 grid positions for 25 outputs
    assert not _taps.worth_it((2, 64, 11, 11), (512, 64, 7, 7), (1, 1), (1, 1), (5, 5))


def test_nodes_take_the_shifted_products_where_worth_it(spy):
    forward = spy(_taps, 'convolution')
    grad_w = spy(_taps, 'filter_gradient')
    rng = numpy.random.RandomState(0)
    for c in (8, 3):
        x = chainer.Variable(rng.randn(2, c, 16, 16).astype(numpy.float32))
        W = chainer.Variable(rng.randn(4, c, 3, 3).astype(numpy.float32))
        y = functions.convolution_2d(x, W, None, 1, 1)
        assert isinstance(y.creator, convolution.Convolution2D)
        F.sum(y * y).backward()
    # forward and input gradient (a stride-1 transposed convolution = flipped convolution) both
    # times; the filter gradient only with 8 input channels (3 are too thin: patch matrix)
    assert [args[0].shape for args in forward] == [(2, 8, 16, 16), (2, 4, 16, 16),
                                                   (2, 3, 16, 16), (2, 4, 16, 16)]
    assert [args[0].shape for args in grad_w] == [(2, 8, 16, 16)]
    functions.convolution_2d(x, W, None, 2, 1)  # stride 2: the patch matrix
    assert len(forward) == 4


def test_gradient_check_through_the_nodes():
    # 3x3 pad 1 on 8x8 (grid 10x10 = 1.56x the output: patch matrix) and on 12x12 (1.36x: taps)
    rng = numpy.random.RandomState(2)
    for size in (8, 12):
        x = rng.uniform(-1, 1, (1, 2, size, size))
        W = rng.uniform(-1, 1, (3, 2, 3, 3))
        b = rng.uniform(-1, 1, 3)

        def f(x, W, b):
            return functions.convolution_2d(x, W, b, 1, 1)

        gy = rng.uniform(-1, 1, (1, 3, size, size))
        gradient_check.check_backward(f, (x, W, b), gy, dtype=numpy.float64, atol=1e-6,
                                      rtol=1e-5)
        gg = tuple(rng.uniform(-1, 1, a.shape) for a in (x, W, b))
        gradient_check.check_double_backward(f, (x, W, b), gy, gg, dtype=numpy.float64,
                                             atol=1e-6, rtol=1e-5)


def test_blind_border():
    # FCN's conv1_1: 3x3, pad 100 -> 98 output rows at each end see padding only
    assert _taps.blind_border((3, 3), (100, 100), (1, 1)) == (98, 98)
    assert _taps.blind_border((3, 5), (1, 4), (1, 1)) == (0, 0)
    assert _taps.blind_border((3, 3), (5, 5), (2, 1)) == (1, 3)


@pytest.mark.parametrize('c', [3, 8])  # filter gradient by patch matrix / by shifted products
@pytest.mark.parametrize('stride', [1, 2])
def test_large_padding_matches_chainer(c, stride, kernels):
    # pad far beyond the kernel, as FCN's conv1_1: the blind border is skipped, not computed
    rng = numpy.random.RandomState(c)
    x = rng.uniform(-1, 1, (2, c, 6, 5)).astype(numpy.float32)
    W = rng.uniform(-1, 1, (4, c, 3, 3)).astype(numpy.float32)
    b = rng.uniform(-1, 1, 4).astype(numpy.float32)
    results = []
    for fn in (functions.convolution_2d, F.convolution_2d):
        xv, Wv, bv = chainer.Variable(x), chainer.Variable(W), chainer.Variable(b)
        y = fn(xv, Wv, bv, stride, (7, 4))
        y.grad = numpy.random.RandomState(9).uniform(-1, 1, y.shape).astype(numpy.float32)
        y.backward()
        results.append((y.array, xv.grad, Wv.grad, bv.grad))
    assert results[0][0].shape == results[1][0].shape
    for ours, theirs in zip(*results):
        numpy.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_one_blas_thread_limits_and_restores():
    import threadpoolctl
    blas = [p for p in threadpoolctl.threadpool_info() if p['user_api'] == 'blas']
    if not blas:
        pytest.skip('threadpoolctl reaches no BLAS here')
    with threadpoolctl.threadpool_limits(limits=2, user_api='blas'):  # not 1 already (pytest -n)
        before = [p['num_threads'] for p in threadpoolctl.threadpool_info()
                  if p['user_api'] == 'blas']
        with _taps.one_blas_thread():
            inside = [p['num_threads'] for p in threadpoolctl.threadpool_info()
                      if p['user_api'] == 'blas']
        after = [p['num_threads'] for p in threadpoolctl.threadpool_info()
                 if p['user_api'] == 'blas']
    assert before == [2] * len(blas)
    assert inside == [1] * len(blas) and after == before
