"""Array functions used by seglearn's links and models, with fast CPU kernels (see
:mod:`seglearn.config`).

Each function keeps the signature and semantics of its ``chainer.functions`` namesake. On NumPy
float32/float64 arrays with :data:`seglearn.config.fast_cpu` on (the default) it runs seglearn's
nodes, whose kernels are oneDNN's (:mod:`seglearn.functions.onednn`, float32, when ``libdnnl.so``
loads) or seglearn's channel-last NumPy kernels (:mod:`.convolution`, :mod:`.normalization`,
:mod:`.pooling`, :mod:`.array`, :mod:`.activation`); on CuPy arrays, other dtypes (float16),
grouped convolution, or with the switch off, it calls Chainer's own implementation.
:mod:`seglearn.functions.separable` holds the separable per-channel upsampling that FCN's fixed
bilinear layers use on the CPU. :func:`batch_normalization_relu` (one fused node) has no
Chainer namesake: it is ``relu(batch_normalization(…))``.
"""
import numpy
import chainer
import chainer.functions as F

from seglearn import config
from seglearn._checks import pair
from seglearn.functions import activation, array, convolution, normalization, pooling

_FAST_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


def _array(v):
    return v.array if isinstance(v, chainer.Variable) else v


def use_fast_path(*arrays):
    """Whether the fast CPU kernels apply to these inputs.

    Args:
        *arrays: Variables, arrays or None (a missing bias).

    Returns:
        bool: True when :data:`seglearn.config.fast_cpu` is on and every given array is a plain
        ``numpy.ndarray`` of one dtype, float32 or float64.
    """
    if not config.fast_cpu:
        return False
    arrays = [_array(a) for a in arrays if a is not None]
    if not all(type(a) is numpy.ndarray for a in arrays):
        return False
    return arrays[0].dtype in _FAST_DTYPES and all(a.dtype == arrays[0].dtype for a in arrays)


def _inputs(x, W, b):
    return (x, W) if b is None else (x, W, b)


def convolution_2d(x, W, b=None, stride=1, pad=0, cover_all=False, dilate=1, groups=1):
    """2-D convolution; same arguments as ``chainer.functions.convolution_2d``.

    Args:
        x: (B, C_in, H, W) float input.
        W: (C_out, C_in / groups, kh, kw) filters.
        b: (C_out,) bias or None.
        stride, pad, dilate: ints or pairs. cover_all: ceil-mode output size.
        groups (int): grouped convolution (always Chainer's implementation).

    Returns:
        chainer.Variable: (B, C_out, H_out, W_out).
    """
    if groups == 1 and use_fast_path(x, W, b):
        node = convolution.Convolution2D(stride, pad, cover_all, dilate)
        return node.apply(_inputs(x, W, b))[0]
    return F.convolution_2d(x, W, b, stride, pad, cover_all=cover_all, dilate=dilate,
                            groups=groups)


def deconvolution_2d(x, W, b=None, stride=1, pad=0, outsize=None, dilate=1, groups=1):
    """2-D transposed convolution; same arguments as ``chainer.functions.deconvolution_2d``.

    Args:
        x: (B, C_in, H, W) float input.
        W: (C_in, C_out / groups, kh, kw) filters.
        b: (C_out,) bias or None.
        stride, pad, dilate: ints or pairs.
        outsize: (H_out, W_out) or None.
        groups (int): grouped convolution (always Chainer's implementation).

    Returns:
        chainer.Variable: (B, C_out, H_out, W_out), H_out = s·(H−1) + kh − 2p unless ``outsize``.
    """
    if groups == 1 and use_fast_path(x, W, b):
        node = convolution.Deconvolution2D(stride, pad, outsize, dilate)
        return node.apply(_inputs(x, W, b))[0]
    return F.deconvolution_2d(x, W, b, stride, pad, outsize, dilate=dilate, groups=groups)


def batch_normalization(x, gamma, beta, eps=2e-5, running_mean=None, running_var=None,
                        decay=0.9, axis=None):
    """Batch normalization with batch statistics; same arguments as Chainer's.

    Args:
        x: (B, C, H, W) float input (other ranks and axes: Chainer's implementation).
        gamma, beta: (C,) scale and shift.
        eps (float): added to the variance.
        running_mean, running_var: (C,) arrays updated in place, or None.
        decay (float): decay of the running statistics.
        axis: axes to normalise over (default all but the channel axis).

    Returns:
        chainer.Variable: normalised ``x``.
    """
    kwargs = dict(eps=eps, running_mean=running_mean, running_var=running_var, decay=decay,
                  axis=axis)
    if use_fast_path(x, gamma, beta):
        return normalization.batch_normalization(x, gamma, beta, **kwargs)
    return F.batch_normalization(x, gamma, beta, **kwargs)


def batch_normalization_relu(x, gamma, beta, eps=2e-5, running_mean=None, running_var=None,
                             decay=0.9):
    """``relu(batch_normalization(x, gamma, beta, …))`` with batch statistics, over (B, H, W).

    On the fast path one node (:class:`seglearn.functions.normalization.BatchNormalizationReLU`;
    on oneDNN one kernel each way); otherwise Chainer's two functions.

    Args:
        x: (B, C, H, W) float input. gamma, beta: (C,) scale and shift.
        eps, running_mean, running_var, decay: as in :func:`batch_normalization`.

    Returns:
        chainer.Variable: same shape as ``x``.
    """
    kwargs = dict(eps=eps, running_mean=running_mean, running_var=running_var, decay=decay)
    if use_fast_path(x, gamma, beta) and _array(x).ndim == 4:
        return normalization.batch_normalization_relu(x, gamma, beta, **kwargs)
    return F.relu(F.batch_normalization(x, gamma, beta, **kwargs))


def fixed_batch_normalization(x, gamma, beta, mean, var, eps=2e-5, axis=None):
    """Batch normalization with given statistics (inference); same arguments as Chainer's.

    Args:
        x: (B, C, H, W) float input (other ranks and axes: Chainer's implementation).
        gamma, beta: (C,) scale and shift. mean, var: (C,) statistics.
        eps (float): added to the variance. axis: as in Chainer's.

    Returns:
        chainer.Variable: ``gamma · (x − mean) / sqrt(var + eps) + beta``.
    """
    if use_fast_path(x, gamma, beta, mean, var):
        return normalization.fixed_batch_normalization(x, gamma, beta, mean, var, eps, axis)
    return F.fixed_batch_normalization(x, gamma, beta, mean, var, eps, axis)


def max_pooling_2d(x, ksize, stride=None, pad=0, cover_all=True, return_indices=False):
    """2-D max pooling; same arguments as ``chainer.functions.max_pooling_2d``.

    The fast path covers non-overlapping windows (``stride`` None or equal to ``ksize``,
    ``pad=0``, no ``return_indices``); anything else is Chainer's implementation.

    Args:
        x: (B, C, H, W) float input.
        ksize, stride, pad: ints or pairs. cover_all (bool): ceil-mode output size.
        return_indices (bool): also return Chainer's window indices (Chainer's path).

    Returns:
        chainer.Variable: (B, C, H_out, W_out) (and the indices with ``return_indices``).
    """
    ksize = pair(ksize)
    stride = ksize if stride is None else pair(stride)
    if (stride == ksize and pair(pad) == (0, 0) and not return_indices
            and use_fast_path(x) and _array(x).ndim == 4):
        return pooling.MaxPooling2D(ksize, cover_all).apply((x,))[0]
    return F.max_pooling_2d(x, ksize, stride, pad, cover_all=cover_all,
                            return_indices=return_indices)


def concat(xs, axis=1):
    """Concatenation; same arguments as ``chainer.functions.concat``.

    On 4-D NumPy arrays along the channels (``axis=1``) the fast path writes the result
    channel-last (:class:`seglearn.functions.array.ChannelConcat`).

    Args:
        xs (sequence): Variables or arrays of one dtype, equal but for ``axis``.
        axis (int): the axis to concatenate along.

    Returns:
        chainer.Variable: the concatenation.
    """
    if axis == 1 and use_fast_path(*xs) and all(_array(x).ndim == 4 for x in xs):
        return array.ChannelConcat().apply(tuple(xs))[0]
    return F.concat(xs, axis)


def crop(x, offset, size):
    """``x[:, :, oy:oy + h, ox:ox + w]`` of a (B, C, H, W) input, with a cheap gradient on the
    CPU fast path (:class:`seglearn.functions.array.Crop`).

    Args:
        x: (B, C, H, W) Variable or array. offset (tuple): (oy, ox). size (tuple): (h, w); the
            window must lie inside ``x``.

    Returns:
        chainer.Variable: (B, C, h, w).
    """
    (oy, ox), (h, w) = offset, size
    if use_fast_path(x) and _array(x).ndim == 4:
        return array.Crop(offset, size).apply((x,))[0]
    return chainer.as_variable(x)[:, :, oy:oy + h, ox:ox + w]


def dropout(x, ratio=.5):
    """Dropout; same arguments and random numbers as ``chainer.functions.dropout``.

    On 4-D NumPy input the fast path draws the mask in the input's memory layout
    (:func:`seglearn.functions.array.dropout_mask`), so channel-last stays channel-last.

    Args:
        x: Variable or array. ratio (float): the probability of dropping a value.

    Returns:
        chainer.Variable: ``x`` with values dropped and the rest scaled by ``1 / (1 − ratio)``
        in training mode (``chainer.config.train``), ``x`` itself otherwise.
    """
    if chainer.config.train and use_fast_path(x) and _array(x).ndim == 4:
        return F.dropout(x, ratio, mask=array.dropout_mask(_array(x), ratio))
    return F.dropout(x, ratio)


def relu(x):
    """ReLU; same as ``chainer.functions.relu``, with seglearn's kernels on 4-D NumPy input
    (:class:`seglearn.functions.activation.ReLU`).

    Args:
        x: Variable or array.

    Returns:
        chainer.Variable: ``max(x, 0)``.
    """
    if use_fast_path(x) and _array(x).ndim == 4:
        return activation.ReLU().apply((x,))[0]
    return F.relu(x)
