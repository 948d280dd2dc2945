"""Channel-last patch buffers: the layout trick behind seglearn's fast CPU convolution.

A convolution is a matrix product once every input patch is written out as a row (``im2col``).
Chainer's CPU path builds the patch buffer channel-first, ``(B, C, kh, kw, Ho, Wo)``, and then
``numpy.tensordot`` has to *transpose-copy* that whole buffer (and ``rollaxis`` the result) to reach
the ``(rows, K)`` layout a BLAS matrix product wants; its input gradient does the same in reverse.
Those copies cost more than the matrix products themselves.

Here the same numbers are laid out channel-last:

1. View the input as NHWC, ``x.transpose(0, 2, 3, 1)`` (free: only strides change), zero-pad it
   once into a ``(B, Hp, Wp, C)`` buffer when ``pad`` asks for it.
2. ``numpy.lib.stride_tricks.as_strided`` gives a *view* of shape ``(B, Ho, Wo, kh, kw, C)``: one
   patch per output pixel, nothing copied yet.
3. ``reshape`` to ``(B·Ho·Wo, kh·kw·C)`` copies it once into a contiguous buffer whose rows are
   patches. For a 1×1 convolution of a channel-last array this is even a free view.
4. One matrix product with the filters reshaped once to ``(kh·kw·C, C_out)`` gives
   ``(B·Ho·Wo, C_out)``: the output in NHWC memory. Returned as the NCHW *view*
   ``y.reshape(B, Ho, Wo, C_out).transpose(0, 3, 1, 2)``, so Chainer sees the usual shape, and the
   next layer's step 1 is free again.

The weight gradient is ``colᵀ @ gy`` (BLAS reads the transposed operand in place). The input
gradient is a transposed convolution of ``gy``: ``gy @ Wᵀ`` followed by :func:`col2im`, which adds
the ``kh·kw`` slices of the patch gradient into a padded channel-last buffer (only ``(k/s)²`` block
adds when the kernel is a multiple of the stride), or, for stride 1, a convolution of ``gy`` with
the flipped filters (see :mod:`seglearn.functions.convolution`).

Memory: the patch buffer exists only inside one function call; the backward pass rebuilds it from
the retained input (as Chainer does), so no layer keeps a ``kh·kw``-times larger array alive, and
there is one such buffer at a time instead of Chainer's two (patches + their transposed copy).
"""
import numpy
from numpy.lib.stride_tricks import as_strided


def nhwc(x):
    """Channel-last view of an NCHW array (no copy).

    Args:
        x (numpy.ndarray): (B, C, H, W).

    Returns:
        numpy.ndarray: (B, H, W, C) view of ``x``.
    """
    return x.transpose(0, 2, 3, 1)


def nchw(y):
    """NCHW view of a channel-last array (no copy); the inverse of :func:`nhwc`."""
    return y.transpose(0, 3, 1, 2)


def rows(y):
    """An NCHW array as a (B·H·W, C) matrix; free when ``y`` is channel-last in memory.

    Args:
        y (numpy.ndarray): (B, C, H, W).

    Returns:
        numpy.ndarray: (B·H·W, C), C-contiguous.
    """
    b, c, h, w = y.shape
    return numpy.ascontiguousarray(nhwc(y)).reshape(b * h * w, c)


def _span(out, k, s, d):
    """Rows (or columns) of the padded input touched by ``out`` windows."""
    return (out - 1) * s + (k - 1) * d + 1


def im2col(x, kh, kw, sy, sx, ph, pw, dy, dx, out_h, out_w):
    """Channel-last patch matrix of an NCHW array.

    Args:
        x (numpy.ndarray): (B, C, H, W), any memory layout.
        kh, kw, sy, sx, ph, pw, dy, dx (int): kernel size, stride, padding, dilation.
        out_h, out_w (int): output size (decides ``cover_all``: windows past the padded input
            read zeros).

    Returns:
        numpy.ndarray: (B·out_h·out_w, kh·kw·C); row ``(b, i, j)`` is the patch under output
        pixel ``(i, j)``, ordered (ky, kx, c).
    """
    b, c, h, w = x.shape
    span_h, span_w = _span(out_h, kh, sy, dy), _span(out_w, kw, sx, dx)
    src = nhwc(x)
    if ph or pw or span_h > h or span_w > w:
        src = numpy.zeros((b, max(span_h, h + ph), max(span_w, w + pw), c), x.dtype)
        src[:, ph:ph + h, pw:pw + w] = nhwc(x)
    s_b, s_h, s_w, s_c = src.strides
    patches = as_strided(src, (b, out_h, out_w, kh, kw, c),
                         (s_b, s_h * sy, s_w * sx, s_h * dy, s_w * dx, s_c), writeable=False)
    return patches.reshape(b * out_h * out_w, kh * kw * c)


def col2im(col, b, h, w, c, kh, kw, sy, sx, ph, pw, dy, dx, out_h, out_w):
    """Adds a channel-last patch matrix back into an image (the transpose of :func:`im2col`).

    Args:
        col (numpy.ndarray): (B·out_h·out_w, kh·kw·C) patch values, as :func:`im2col` lays them.
        b, h, w, c (int): batch size, height, width and channels of the image.
        kh, kw, sy, sx, ph, pw, dy, dx (int): kernel size, stride, padding, dilation.
        out_h, out_w (int): the patch grid.

    Returns:
        numpy.ndarray: (B, C, H, W) NCHW view of a channel-last array: each image pixel is the
        sum of every patch entry that read it.
    """
    span_h, span_w = _span(out_h, kh, sy, dy), _span(out_w, kw, sx, dx)
    img = numpy.zeros((b, max(span_h, h + ph), max(span_w, w + pw), c), col.dtype)
    if dy == dx == 1 and kh % sy == 0 and kw % sx == 0:
        _col2im_phases(col, img, kh // sy, kw // sx, sy, sx, out_h, out_w)
        return nchw(img[:, ph:ph + h, pw:pw + w])
    col = col.reshape(b, out_h, out_w, kh, kw, c)
    for i in range(kh):
        for j in range(kw):
            img[:, i * dy:i * dy + (out_h - 1) * sy + 1:sy,
                j * dx:j * dx + (out_w - 1) * sx + 1:sx] += col[:, :, :, i, j]
    return nchw(img[:, ph:ph + h, pw:pw + w])


def split_view(a, shape):
    """``a.reshape(shape)`` guaranteed to be a view of ``a``, so that writes to it reach ``a``.

    Splitting axes never needs a copy; the check guards the in-place adds that rely on it.
    (Assigning to ``.shape`` did this before, but is deprecated from NumPy 2.5.)

    Raises:
        ValueError: the reshape would have copied.
    """
    out = a.reshape(shape)
    if out.size and not numpy.may_share_memory(out, a):
        raise ValueError('reshaping {} to {} would copy'.format(a.shape, shape))
    return out


def _col2im_phases(col, img, ah, aw, sy, sx, out_h, out_w):
    """:func:`col2im` for kernels that are a multiple of the stride (FCN's k=2s, U-Net's k=s).

    Tap ``(a·s + r)`` of patch ``i`` lands on image row ``s·(i + a) + r``: for a fixed ``a`` the
    ``s`` taps ``r`` of all patches tile a contiguous band of rows. So ``(k/s)²`` block adds
    replace the ``k²`` strided adds (256 → 4 for k=16, s=8).
    """
    b, c = img.shape[0], img.shape[3]
    col = col.reshape(b, out_h, out_w, ah, sy, aw, sx, c)
    for i in range(ah):
        for j in range(aw):
            band = split_view(img[:, i * sy:i * sy + out_h * sy, j * sx:j * sx + out_w * sx],
                              (b, out_h, sy, out_w, sx, c))
            band += col[:, :, :, i, :, j].transpose(0, 1, 3, 2, 4, 5)


def filters_as_matrix(W):
    """Filters (C_out, C_in, kh, kw) as the (kh·kw·C_in, C_out) matrix that :func:`im2col` needs."""
    c_out = W.shape[0]
    return numpy.ascontiguousarray(W.transpose(2, 3, 1, 0)).reshape(-1, c_out)


def matrix_as_filters(m, shape):
    """Inverse of :func:`filters_as_matrix`: (kh·kw·C_in, C_out) back to (C_out, C_in, kh, kw)."""
    c_out, c_in, kh, kw = shape
    return numpy.ascontiguousarray(m.reshape(kh, kw, c_in, c_out).transpose(3, 2, 0, 1))



def patch_product(col, Wm, n, out_h, out_w):
    """``col @ Wm`` as an NCHW array: the convolution output of a patch matrix.

    Args:
        col (numpy.ndarray): (B·out_h·out_w, K) patch matrix from :func:`im2col`.
        Wm (numpy.ndarray): (K, C_out) filter matrix from :func:`filters_as_matrix`.
        n, out_h, out_w (int): batch size and output size.

    Returns:
        numpy.ndarray: (B, C_out, out_h, out_w) view.
    """
    return nchw((col @ Wm).reshape(n, out_h, out_w, -1))


def channel_sum(a):
    """Sum of an NCHW array over axes (0, 2, 3) through one matrix-vector product.

    Args:
        a (numpy.ndarray): (B, C, H, W), channel-last or NCHW contiguous (others use ``sum``).

    Returns:
        numpy.ndarray: (C,) of ``a.dtype``.
    """
    b, c, h, w = a.shape
    last = nhwc(a)
    if last.flags.c_contiguous:
        return numpy.ones(b * h * w, a.dtype) @ last.reshape(b * h * w, c)
    if a.flags.c_contiguous:
        return (a.reshape(b * c, h * w) @ numpy.ones(h * w, a.dtype)).reshape(b, c).sum(0)
    major = a.transpose(1, 0, 2, 3)
    if major.flags.c_contiguous:  # channel-major (C, B, H, W) memory
        return major.reshape(c, b * h * w) @ numpy.ones(b * h * w, a.dtype)
    return a.sum(axis=(0, 2, 3))
