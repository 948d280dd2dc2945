import chainer
import chainer.functions as F
import numpy
import pytest
import scipy.ndimage
import skimage.transform

import seglearn  # noqa: F401
from seglearn.arithmetic import deconv_params_for_scale
from seglearn.upsampling import bilinear_kernel, bilinear_weights_1d, upsample_bilinear


def _hat(t):
    """Linear-interpolation weight of a sample at distance t (independent of the kernel code)."""
    return numpy.interp(t, [-1.0, 0.0, 1.0], [0.0, 1.0, 0.0])


@pytest.mark.parametrize('scale', [1, 2, 3, 4, 5, 8])
def test_weights_are_the_interpolation_hat(scale):
    k, s, p = deconv_params_for_scale(scale)
    # input sample i contributes w[x + p - s*i] to output x, whose input position is
    # x_in = (x - (s - 1)/2) / s; the weight must be hat(x_in - i)
    w = bilinear_weights_1d(k)
    for x in range(3 * s):
        for i in range(4):
            t = x + p - s * i
            expected = _hat((x - (s - 1) / 2) / s - i)
            got = w[t] if 0 <= t < k else 0.0
            assert got == pytest.approx(expected, abs=1e-6), (scale, x, i)


def test_weights_k4():
    numpy.testing.assert_array_equal(bilinear_weights_1d(4), [.25, .75, .75, .25])
    assert bilinear_weights_1d(4).dtype == numpy.float32


@pytest.mark.parametrize('ksize', [1, 2, 3, 4, 5, 7, 16, 64])
def test_kernel_is_outer_product_on_the_diagonal(ksize):
    kernel = bilinear_kernel(3, 3, ksize)
    assert kernel.shape == (3, 3, ksize, ksize)
    assert kernel.dtype == numpy.float32
    w = bilinear_weights_1d(ksize)
    for i in range(3):
        for o in range(3):
            expected = numpy.outer(w, w) if i == o else numpy.zeros((ksize, ksize))
            numpy.testing.assert_array_equal(kernel[i, o], expected)
    numpy.testing.assert_array_equal(kernel[0, 0], kernel[0, 0].T)  # symmetric


@pytest.mark.parametrize('scale', [2, 4, 8, 16, 32])
def test_kernel_sums_to_scale_squared(scale):
    kernel = bilinear_kernel(2, 2, 2 * scale)
    numpy.testing.assert_allclose(kernel.sum(axis=(1, 2, 3)), [scale ** 2] * 2, rtol=1e-6)


@pytest.mark.parametrize('args, error, word', [
    ((2, 3, 4), ValueError, 'in_channels must equal out_channels'),
    ((0, 0, 4), ValueError, 'in_channels'),
    ((2, 2, 0), ValueError, 'ksize'),
    ((2, 2, 4.0), TypeError, 'ksize'),
    ((2.0, 2, 4), TypeError, 'in_channels'),
    ((2, True, 4), TypeError, 'out_channels'),
])
def test_kernel_bad_input(args, error, word):
    with pytest.raises(error, match=word):
        bilinear_kernel(*args)


def _interior(n, scale):
    """Output indices whose input position (x - (s-1)/2)/s lies within [0, n - 1]."""
    lo = -(-(scale - 1) // 2)
    hi = scale * (n - 1) + (scale - 1) // 2
    return slice(lo, hi + 1)


@pytest.mark.parametrize('scale', [2, 3, 4, 5])
def test_upsample_reproduces_a_linear_ramp(scale):
    h, w = 6, 7
    i, j = numpy.mgrid[:h, :w]
    x = (3.0 * i - 2.0 * j + 5.0).astype(numpy.float32)[None, None]
    y = upsample_bilinear(x, scale).array[0, 0]
    ii, jj = numpy.mgrid[:scale * h, :scale * w]
    expected = 3.0 * (ii - (scale - 1) / 2) / scale - 2.0 * (jj - (scale - 1) / 2) / scale + 5.0
    rows, cols = _interior(h, scale), _interior(w, scale)
    numpy.testing.assert_allclose(y[rows, cols], expected[rows, cols], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('scale', [2, 3, 4])
def test_upsample_matches_skimage_and_scipy_in_the_interior(scale):
    rng = numpy.random.RandomState(scale)
    img = rng.rand(9, 11).astype(numpy.float32)
    ours = upsample_bilinear(img[None, None], scale).array[0, 0]
    shape = (9 * scale, 11 * scale)
    sk = skimage.transform.resize(img.astype(numpy.float64), shape, order=1, mode='edge',
                                  anti_aliasing=False)
    zoom = scipy.ndimage.zoom(img.astype(numpy.float64), scale, order=1, grid_mode=True,
                              mode='nearest')
    inside = _interior(9, scale), _interior(11, scale)
    numpy.testing.assert_allclose(ours[inside], sk[inside], atol=1e-5)
    numpy.testing.assert_allclose(ours[inside], zoom[inside], atol=1e-5)
    # corner alignment (align_corners=True, grid_mode=False) is a different convention
    corners = scipy.ndimage.zoom(img.astype(numpy.float64), scale, order=1, grid_mode=False)
    assert not numpy.allclose(ours[inside], corners[inside], atol=1e-3)


def test_upsample_channels_and_batch_are_independent():
    rng = numpy.random.RandomState(0)
    x = rng.rand(2, 3, 5, 4).astype(numpy.float32)
    y = upsample_bilinear(x, 4).array
    assert y.shape == (2, 3, 20, 16)
    for b in range(2):
        for c in range(3):
            alone = upsample_bilinear(x[b:b + 1, c:c + 1], 4).array[0, 0]
            numpy.testing.assert_allclose(y[b, c], alone, rtol=1e-6)
    # same as one deconvolution with the full channel-diagonal kernel
    k, s, p = deconv_params_for_scale(4)
    full = F.deconvolution_2d(x, bilinear_kernel(3, 3, k), stride=s, pad=p).array
    numpy.testing.assert_allclose(y, full, rtol=1e-5, atol=1e-6)


def test_upsample_scale_one_is_identity():
    x = numpy.random.RandomState(1).rand(1, 2, 3, 4).astype(numpy.float32)
    numpy.testing.assert_array_equal(upsample_bilinear(x, 1).array, x)


def test_upsample_variable_and_gradient():
    scale = 3
    x = chainer.Variable(numpy.random.RandomState(2).rand(1, 2, 6, 6).astype(numpy.float32))
    y = upsample_bilinear(x, scale)
    assert isinstance(y, chainer.Variable)
    assert y.dtype == numpy.float32 and y.shape == (1, 2, 18, 18)
    F.sum(y).backward()
    # an interior input pixel spreads a whole kernel: total weight scale**2
    numpy.testing.assert_allclose(x.grad[:, :, 1:-1, 1:-1], scale ** 2, rtol=1e-5)


@pytest.mark.parametrize('x, scale, error, word', [
    ([[[[1.0]]]], 2, TypeError, 'x must be'),
    (numpy.zeros((1, 4, 4), numpy.float32), 2, ValueError, r'\(B, C, H, W\)'),
    (numpy.zeros((1, 1, 4, 4), numpy.float64), 2, TypeError, 'float32'),
    (numpy.zeros((1, 1, 4, 4), numpy.int32), 2, TypeError, 'float32'),
    (numpy.zeros((1, 1, 4, 4), numpy.float32), 0, ValueError, 'scale'),
    (numpy.zeros((1, 1, 4, 4), numpy.float32), 1.5, TypeError, 'scale'),
])
def test_upsample_bad_input(x, scale, error, word):
    with pytest.raises(error, match=word):
        upsample_bilinear(x, scale)


@pytest.mark.gpu
def test_upsample_on_cupy_matches_numpy():
    import cupy
    x = numpy.random.RandomState(3).rand(2, 3, 5, 7).astype(numpy.float32)
    y = upsample_bilinear(cupy.asarray(x), 4)
    assert isinstance(y.array, cupy.ndarray)
    numpy.testing.assert_allclose(cupy.asnumpy(y.array), upsample_bilinear(x, 4).array,
                                  rtol=1e-5, atol=1e-5)
