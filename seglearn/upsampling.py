"""Bilinear upsampling as a transposed convolution.

Linear interpolation between samples ``s`` pixels apart is a sum of triangles: every input value
stamps a triangle ``1 − |t|/s`` (``|t| < s``) centred on its position in the output. A transposed
convolution with stride ``s`` does exactly that stamping, so with the triangle as its kernel it
*is* linear interpolation; in 2-D the kernel is the outer product of two triangles (bilinear).

:func:`bilinear_kernel` builds FCN's kernel for any ``ksize``: factor ``f = (k + 1)//2``, centre
``c = f − 1`` (odd ``k``) or ``f − 0.5`` (even ``k``), ``w(i, j) = (1 − |i − c|/f)(1 − |j − c|/f)``,
and puts it on the channel diagonal so that each channel is upsampled on its own. For ``k = 4``
the 1-D weights are ``.25 .75 .75 .25``.

:func:`upsample_bilinear` upsamples by an integer factor with the parameters of
:func:`seglearn.arithmetic.deconv_params_for_scale`. Output pixel ``x`` then lies over input
position ``(x − (s − 1)/2)/s``: pixel *centres* are aligned as in image resizing with
"half-pixel" alignment (``align_corners=False``), the convention of ``skimage.transform.resize``
and ``scipy.ndimage.zoom(..., grid_mode=True)``. Away from the border the result equals theirs;
at the border the transposed convolution fades towards zero (there is nothing to interpolate
with), while those functions extend the image.
"""
import numpy

import chainer

from seglearn import functions
from seglearn._checks import check_int
from seglearn.arithmetic import deconv_params_for_scale


def bilinear_weights_1d(ksize):
    """1-D bilinear (triangle) weights of FCN's upsampling kernel.

    Args:
        ksize (int): kernel size ``k`` (>= 1).

    Returns:
        numpy.ndarray: float32 (k,), ``1 − |i − c|/f`` with ``f = (k + 1)//2`` and ``c = f − 1``
        (k odd) or ``f − 0.5`` (k even).
    """
    ksize = check_int('ksize', ksize, 1)
    factor = (ksize + 1) // 2
    centre = factor - 1 if ksize % 2 == 1 else factor - 0.5
    i = numpy.arange(ksize, dtype=numpy.float64)
    return (1 - numpy.abs(i - centre) / factor).astype(numpy.float32)


def bilinear_kernel(in_channels, out_channels, ksize):
    """Bilinear transposed-convolution weights, one 2-D triangle per channel.

    ``W[i, i]`` is the outer product of :func:`bilinear_weights_1d` with itself and every
    ``W[i, o]`` with ``i != o`` is zero, so channels never mix. Because of that the number of input
    and output channels must be equal (a different count would silently drop or zero channels).

    Args:
        in_channels (int): input channels (>= 1).
        out_channels (int): output channels, equal to ``in_channels``.
        ksize (int): kernel size ``k`` (>= 1), e.g. ``2·scale``.

    Returns:
        numpy.ndarray: float32 (in_channels, out_channels, k, k), the layout of
        ``chainer.functions.deconvolution_2d``'s ``W``.
    """
    in_channels = check_int('in_channels', in_channels, 1)
    out_channels = check_int('out_channels', out_channels, 1)
    w = bilinear_weights_1d(ksize)
    if in_channels != out_channels:
        raise ValueError('bilinear_kernel upsamples each channel on its own, so in_channels must '
                         'equal out_channels, got {} and {}'.format(in_channels, out_channels))
    kernel = numpy.zeros((in_channels, out_channels, ksize, ksize), dtype=numpy.float32)
    channels = numpy.arange(in_channels)
    kernel[channels, channels] = numpy.outer(w, w)
    return kernel


def upsample_bilinear(x, scale):
    """Upsample a batch of feature maps ×``scale`` by a bilinear transposed convolution.

    Every channel is upsampled on its own (the batch and channel axes are folded together and one
    ``(1, 1, k, k)`` kernel is used), through :func:`seglearn.functions.deconvolution_2d` with
    ``(k, s, p) = deconv_params_for_scale(scale)``. The kernel is built on ``x``'s array module,
    so NumPy and CuPy inputs both work, and gradients flow back to ``x``.

    Args:
        x (numpy.ndarray, cupy.ndarray or chainer.Variable): float32 (B, C, H, W).
        scale (int): upsampling factor (>= 1).

    Returns:
        chainer.Variable: float32 (B, C, scale·H, scale·W).
    """
    scale = check_int('scale', scale, 1)
    if not isinstance(x, (chainer.Variable,) + chainer.get_array_types()):
        raise TypeError('x must be a NumPy/CuPy array or a chainer.Variable, got {}'.format(
            type(x).__name__))
    if x.ndim != 4:
        raise ValueError('x must have shape (B, C, H, W), got shape {}'.format(x.shape))
    if x.dtype != numpy.float32:
        raise TypeError('x must be float32, got {}'.format(x.dtype))
    xp = chainer.backend.get_array_module(x)
    ksize, stride, pad = deconv_params_for_scale(scale)
    kernel = xp.asarray(bilinear_kernel(1, 1, ksize))
    b, c, h, w = x.shape
    y = functions.deconvolution_2d(chainer.functions.reshape(x, (b * c, 1, h, w)), kernel,
                                   stride=stride, pad=pad)
    return chainer.functions.reshape(y, (b, c, scale * h, scale * w))
