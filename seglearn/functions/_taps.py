"""Stride-1 convolution as a sum of shifted matrix products: no patch buffer at all.

:mod:`seglearn.functions._patches` writes every patch out (``im2col``) and then does one matrix
product. For the stride-1 convolutions that make up almost every segmentation network that copy is
``kh·kw`` times the input and costs more than the product when channels are few (FCN's first
layers: 8 channels on 326×326 maps at width 1/8). This module skips it.

Zero-pad the input once, channel-last, into a ``(B, Hp, Wp, C)`` buffer and flatten it to rows
``r = (b·Hp + i)·Wp + j``. With stride 1, output pixel ``(i, j)`` reads tap ``(ky, kx)`` from the
input row ``r + ky·dy·Wp + kx·dx``: the same row *shifted by a constant*. So, with the output laid
out on the same padded grid,

    Y[r] = Σ_(ky, kx) X[r + off(ky, kx)] @ W[ky, kx]          (X: rows × C, W[ky, kx]: C × C_out)

is ``kh·kw`` matrix products over *contiguous* row ranges of ``X`` (BLAS reads them in place),
summed into one output buffer. Rows that fall in the padding (columns ``j >= W_out``, rows
``i >= H_out``) are computed and thrown away: a few per cent for 3×3 kernels, which is why
:func:`worth_it` asks for a padded grid at most 1.5× the output.

The filter gradient is the same sum read the other way, ``gW[ky, kx] = Σ_r G[r]ᵀ X[r + off]``,
where ``G`` is the output gradient placed on the padded grid with zeros in the thrown-away rows.
Every product goes through NumPy's own BLAS (``numpy.matmul``): calling a second BLAS library
(SciPy's, which could accumulate in place) made the two libraries' worker threads fight over the
cores and slowed FCN-8s's training step down by half. And the BLAS runs on one thread inside these
loops (:func:`one_blas_thread`): a training step makes hundreds of these mid-sized products with
NumPy work in between, and on the 2-core virtual machine of ``benchmarks/RESULTS.md`` waking the
BLAS's second thread for each of them made whole minutes of FCN-8s steps 0.36 s instead of 0.26 s
(one thread: 0.26 s throughout; two threads at their best: 0.22 s).
"""
import functools

import numpy
import threadpoolctl

from seglearn.functions._patches import nchw, nhwc


#: Below this many input channels the filter gradient's products (C_out × rows) @ (rows × C) are
#: too thin for the BLAS; a patch matrix with kh·kw·C columns is faster (FCN's RGB conv1_1: 10 ms
#: against 19 ms).
MIN_CHANNELS_FOR_FILTER_GRADIENT = 8


@functools.lru_cache(maxsize=1)
def _blas_controller():
    return threadpoolctl.ThreadpoolController()


def one_blas_thread():
    """Context manager: NumPy's BLAS on one thread inside the block (a no-op where
    ``threadpoolctl`` cannot reach the BLAS, e.g. Apple's Accelerate)."""
    return _blas_controller().limit(limits=1, user_api='blas')


def worth_it(in_shape, w_shape, stride, dilate, out_hw):
    """Whether a convolution should run on shifted products instead of a patch buffer.

    Args:
        in_shape (tuple): (B, C, H, W) of the input.
        w_shape (tuple): (C_out, C, kh, kw) of the filters.
        stride (tuple): (sy, sx). dilate (tuple): (dy, dx).
        out_hw (tuple): (H_out, W_out).

    Returns:
        bool: stride 1, more than one tap, and a padded grid at most 1.5× the output.
    """
    _, _, kh, kw = w_shape
    if tuple(stride) != (1, 1) or kh * kw == 1:
        return False
    hp, wp = _padded_size(w_shape, dilate, out_hw)
    return hp * wp <= 1.5 * out_hw[0] * out_hw[1]


def _padded_size(w_shape, dilate, out_hw):
    return (out_hw[0] + (w_shape[2] - 1) * dilate[0], out_hw[1] + (w_shape[3] - 1) * dilate[1])


def _offsets(kh, kw, dy, dx, wp):
    return [(ky, kx, ky * dy * wp + kx * dx) for ky in range(kh) for kx in range(kw)]


def blind_border(ksize, pad, dilate):
    """How many output rows (columns) at each end of a stride-1 convolution see padding only.

    Their windows hold no input pixel: the output there is the bias, and they add nothing to
    the filter gradient. FCN's conv1_1 (3×3, pad=100) on a 128×128 image: 98 of its 326 rows
    at each end.

    Args:
        ksize, pad, dilate (tuple): (kh, kw), (ph, pw), (dy, dx).

    Returns:
        tuple of int: (rows, columns) at each end.
    """
    return tuple(max(0, p - (k - 1) * d) for k, p, d in zip(ksize, pad, dilate))


def _padded_rows(x, ph, pw, hp, wp):
    """``x`` zero-padded channel-last on the (hp, wp) grid, as (B·hp·wp, C) rows."""
    b, c, h, w = x.shape
    src = nhwc(x)
    if (ph, pw) == (0, 0) and (h, w) == (hp, wp) and src.flags.c_contiguous:
        return src.reshape(b * h * w, c)
    buf = numpy.zeros((b, hp, wp, c), x.dtype)
    buf[:, ph:ph + h, pw:pw + w] = src[:, :hp - ph, :wp - pw]
    return buf.reshape(b * hp * wp, c)


def convolution(x, W, ph, pw, dy, dx, out_h, out_w, b=None):
    """Stride-1 convolution ``y = conv(x, W) + b`` by shifted matrix products.

    Args:
        x (numpy.ndarray): (B, C, H, W) float32/float64, any memory layout.
        W (numpy.ndarray): (C_out, C, kh, kw), ``x``'s dtype.
        ph, pw, dy, dx (int): padding and dilation.
        out_h, out_w (int): output size (``H + 2·ph − (kh − 1)·dy`` for stride 1).
        b (numpy.ndarray or None): (C_out,) bias.

    Returns:
        numpy.ndarray: (B, C_out, out_h, out_w), an NCHW view of C-contiguous channel-last memory.
    """
    n = x.shape[0]
    c_out, c, kh, kw = W.shape
    hp, wp = _padded_size(W.shape, (dy, dx), (out_h, out_w))
    rows = _padded_rows(x, ph, pw, hp, wp)
    taps = _offsets(kh, kw, dy, dx, wp)
    used = rows.shape[0] - taps[-1][2]  # the last valid output row reads the buffer's last row
    Wt = numpy.ascontiguousarray(W.transpose(2, 3, 1, 0))  # (kh, kw, C, C_out)
    acc = numpy.empty((rows.shape[0], c_out), x.dtype)
    term = numpy.empty((used, c_out), x.dtype)
    with one_blas_thread():
        for i, (ky, kx, off) in enumerate(taps):
            numpy.matmul(rows[off:off + used], Wt[ky, kx], out=term if i else acc[:used])
            if i:
                acc[:used] += term
    valid = acc.reshape(n, hp, wp, c_out)[:, :out_h, :out_w]
    y = numpy.empty((n, out_h, out_w, c_out), x.dtype)
    if b is None:
        y[...] = valid
    else:
        numpy.add(valid, b, out=y)
    return nchw(y)


def filter_gradient(x, gy, kh, kw, ph, pw, dy, dx):
    """Filter gradient of a stride-1 convolution, ``gW[ky, kx] = Σ_r G[r]ᵀ X[r + off]``.

    Args:
        x (numpy.ndarray): (B, C, H, W) the convolution's input.
        gy (numpy.ndarray): (B, C_out, H_out, W_out) gradient of its output, ``x``'s dtype.
        kh, kw, ph, pw, dy, dx (int): kernel size, padding and dilation.

    Returns:
        numpy.ndarray: (C_out, C, kh, kw), C-contiguous.
    """
    n, c_out, out_h, out_w = gy.shape
    c = x.shape[1]
    hp, wp = _padded_size((c_out, c, kh, kw), (dy, dx), (out_h, out_w))
    rows = _padded_rows(x, ph, pw, hp, wp)
    taps = _offsets(kh, kw, dy, dx, wp)
    used = rows.shape[0] - taps[-1][2]
    grad = numpy.zeros((n, hp, wp, c_out), x.dtype)
    grad[:, :out_h, :out_w] = nhwc(gy)
    grad = grad.reshape(-1, c_out)[:used]
    gW = numpy.empty((kh, kw, c_out, c), x.dtype)
    with one_blas_thread():
        for ky, kx, off in taps:
            numpy.matmul(grad.T, rows[off:off + used], out=gW[ky, kx])
    return numpy.ascontiguousarray(gW.transpose(2, 3, 0, 1))
