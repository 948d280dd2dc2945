"""oneDNN CPU kernels for seglearn's function nodes (the ``'onednn'`` CPU backend).

Each function here computes what one NumPy kernel of :mod:`seglearn.functions` computes, on
float32 NumPy arrays, with one oneDNN primitive (:mod:`seglearn.functions._dnnl`):

- :func:`convolution` — convolution forward (+ bias);
- :func:`deconvolution` — transposed convolution (+ bias): also every convolution's input gradient;
- :func:`filter_gradient` — convolution backward-weights: the filter gradient of a convolution, and
  of a transposed convolution with the roles of the two arrays swapped;
- :func:`max_pooling` / :func:`max_pooling_grad` — max pooling forward with its argmax workspace,
  and backward;
- :func:`relu` / :func:`relu_grad` — ReLU and its gradient from the output;
- :func:`batch_normalization` / :func:`batch_normalization_grad` — training-mode batch
  normalization (batch statistics) and its backward; :func:`fixed_batch_normalization` — with
  given statistics (inference).

Layout: activations are handed to oneDNN as *plain channel-last* (NHWC) memory and come back the
same way, as NCHW views (the layout seglearn's NumPy kernels already use, so the two backends mix
freely). oneDNN's AVX-512/AVX2 ``brgconv`` kernels take NHWC directly; mixed layouts fall to its
slow reference code, so inputs in any other layout are copied to NHWC first. Measured on
FCN/U-Net/FC-DenseNet layer shapes (``benchmarks/RESULTS.md``): NHWC in place beats oneDNN's
blocked ``nChw16c`` layout once the two reorders each call are paid, and beats plain NCHW (a GEMM
path) by 2–5×. Filters are reordered each call from Chainer's ``(C_out, C_in, kh, kw)`` to the
blocked layout the primitive asks for (they change every step; the reorder is small).

Geometry is given as oneDNN's: per spatial axis a stride, a dilation ``d − 1``, and a left and a
right padding; the right padding is whatever makes oneDNN's output size equal Chainer's (so
``cover_all``'s extra window and ``outsize`` are a larger or smaller — even negative — right
padding). Primitives are created once per geometry and kept (:func:`kernel`); a geometry oneDNN
cannot run raises :class:`Unsupported`, and the caller uses its NumPy kernel.
"""
import collections

import numpy

from seglearn import config
from seglearn.functions import _dnnl
from seglearn.functions._patches import nchw, nhwc
from seglearn.functions._dnnl import (ARG_BIAS, ARG_DIFF_BIAS, ARG_DIFF_DST, ARG_DIFF_SCALE,
                                      ARG_DIFF_SHIFT, ARG_DIFF_SRC, ARG_DIFF_WEIGHTS, ARG_DST,
                                      ARG_MEAN, ARG_SCALE, ARG_SHIFT, ARG_SRC, ARG_VARIANCE,
                                      ARG_WEIGHTS, ARG_WORKSPACE, Dims, Primitive)
from seglearn.functions._dnnl import available  # noqa: F401  (part of this module's API)

_CACHE_SIZE = 512


class Unsupported(Exception):
    """oneDNN has no implementation for this geometry; use the NumPy kernel."""


def applies(*arrays):
    """Whether to run the oneDNN kernel on these NumPy arrays (None entries ignored): the
    active CPU kernels (:func:`seglearn.config.cpu_kernels`) are oneDNN's and all are float32
    (oneDNN's CPU convolutions have no float64; those take the NumPy kernels)."""
    return (all(a.dtype == numpy.float32 for a in arrays if a is not None)
            and config.cpu_kernels() == 'onednn')


def channel_last(x):
    """A (B, C, H, W) array as C-contiguous (B, H, W, C) memory: a view when it already is."""
    last = nhwc(x)
    return last if last.flags.c_contiguous else numpy.ascontiguousarray(last)


_kernels = collections.OrderedDict()


def kernel(key, build):
    """The kernel object for ``key``, built once by ``build(lib, *key[1:])`` and kept (least
    recently used first out past 512); a geometry that raised :class:`Unsupported` keeps
    raising it without asking oneDNN again."""
    try:
        found = _kernels.pop(key)
    except KeyError:
        try:
            found = build(_dnnl.library(), *key[1:])
        except _dnnl.OneDNNError as error:
            found = Unsupported('{}: {}'.format(key[0], error))
        if len(_kernels) >= _CACHE_SIZE:
            _kernels.popitem(last=False)
    _kernels[key] = found
    if isinstance(found, Unsupported):
        raise found
    return found


class _Reorder(object):
    """Copies an array from one memory descriptor to another (None when they are equal)."""

    @classmethod
    def between(cls, lib, src_md, dst_md, size):
        if lib.memory_desc_equal(src_md, dst_md):
            return None
        pd = lib.new(lib.reorder_primitive_desc_create, src_md, lib.engine, dst_md, lib.engine,
                     None)
        return cls(Primitive(lib, pd, (ARG_SRC, ARG_DST)), size)

    def __init__(self, primitive, size):
        self.primitive, self.size = primitive, size

    def __call__(self, src, dst=None):
        dst = _dnnl.empty_buffer(self.size) if dst is None else dst
        self.primitive(src, dst)
        return dst


class _WithFilters(object):
    """A convolution-type primitive and the reorder between its filters' layout and Chainer's.

    Args:
        lib, pd, args: as :class:`seglearn.functions._dnnl.Primitive`'s.
        filter_arg (int): ``ARG_WEIGHTS`` (filters read: reordered from ``user`` before) or
            ``ARG_DIFF_WEIGHTS`` (filter gradient written: reordered to ``user`` after).
        user (int): memory descriptor of Chainer's filter array.
    """

    def __init__(self, lib, pd, args, filter_arg, user):
        self.primitive = Primitive(lib, pd, args)
        wanted = self.primitive.mds[filter_arg]
        self.size = self.primitive.sizes[filter_arg]
        if filter_arg == ARG_DIFF_WEIGHTS:
            self.reorder = _Reorder.between(lib, wanted, user, self.size)
        else:
            self.reorder = _Reorder.between(lib, user, wanted, self.size)

    def filters(self, W):
        """Chainer's filters ``W`` in the layout the primitive reads."""
        W = numpy.ascontiguousarray(W)
        return W if self.reorder is None else self.reorder(W)


def _geometry(stride, dilate, pad_l, pad_r):
    return Dims(*stride), Dims(*(d - 1 for d in dilate)), Dims(*pad_l), Dims(*pad_r)


def _with_bias(bias):
    return (ARG_SRC, ARG_WEIGHTS, ARG_BIAS, ARG_DST) if bias else (ARG_SRC, ARG_WEIGHTS, ARG_DST)


def _build_convolution(lib, x_shape, w_shape, bias, y_shape, stride, dilate, pad_l, pad_r):
    with lib.descriptors() as md:
        pd = lib.new(lib.convolution_forward_primitive_desc_create, lib.engine,
                     _dnnl.FORWARD_TRAINING, _dnnl.CONVOLUTION_DIRECT, md.nhwc(x_shape),
                     md.any(w_shape), md.plain(w_shape[:1]) if bias else None,
                     md.nhwc(y_shape), *_geometry(stride, dilate, pad_l, pad_r), None)
        return _WithFilters(lib, pd, _with_bias(bias), ARG_WEIGHTS, md.plain(w_shape))


def _build_deconvolution(lib, x_shape, w_shape, bias, y_shape, stride, dilate, pad_l, pad_r):
    # oneDNN's deconvolution filters are (C_out, C_in, kh, kw); Chainer's W is (C_in, C_out, …):
    # its user layout is W's memory read with the first two axes swapped
    c_in, c_out, kh, kw = w_shape
    swapped = (c_out, c_in, kh, kw)
    with lib.descriptors() as md:
        pd = lib.new(lib.deconvolution_forward_primitive_desc_create, lib.engine,
                     _dnnl.FORWARD_TRAINING, _dnnl.DECONVOLUTION_DIRECT, md.nhwc(x_shape),
                     md.any(swapped), md.plain((c_out,)) if bias else None, md.nhwc(y_shape),
                     *_geometry(stride, dilate, pad_l, pad_r), None)
        user = md.strided(swapped, (kh * kw, c_out * kh * kw, kw, 1))
        return _WithFilters(lib, pd, _with_bias(bias), ARG_WEIGHTS, user)


def _build_filter_gradient(lib, x_shape, w_shape, y_shape, stride, dilate, pad_l, pad_r):
    geometry = _geometry(stride, dilate, pad_l, pad_r)
    with lib.descriptors() as md:
        hint = lib.new(lib.convolution_forward_primitive_desc_create, lib.engine,
                       _dnnl.FORWARD_TRAINING, _dnnl.CONVOLUTION_DIRECT, md.nhwc(x_shape),
                       md.any(w_shape), None, md.nhwc(y_shape), *geometry, None)
        try:
            pd = lib.new(lib.convolution_backward_weights_primitive_desc_create, lib.engine,
                         _dnnl.CONVOLUTION_DIRECT, md.nhwc(x_shape), md.any(w_shape), None,
                         md.nhwc(y_shape), *geometry, hint, None)
        finally:
            lib.primitive_desc_destroy(hint)
        return _WithFilters(lib, pd, (ARG_SRC, ARG_DIFF_DST, ARG_DIFF_WEIGHTS),
                            ARG_DIFF_WEIGHTS, md.plain(w_shape))


def right_pads(in_hw, out_hw, ksize, stride, pad, dilate):
    """Right paddings that make a convolution of ``in_hw`` give exactly ``out_hw``.

    oneDNN's output size is ``(in + pad_l + pad_r − dk) / s + 1`` with ``dk = (k − 1)·d + 1``.
    """
    return tuple((o - 1) * s + (k - 1) * d + 1 - i - p
                 for i, o, k, s, p, d in zip(in_hw, out_hw, ksize, stride, pad, dilate))


def convolution(x, W, b, stride, pad, dilate, out_hw):
    """``y = conv(x, W) + b`` (Chainer's ``convolution_2d`` semantics, ``groups=1``).

    Args:
        x (numpy.ndarray): (B, C_in, H, W) float32, any memory layout.
        W (numpy.ndarray): (C_out, C_in, kh, kw) float32.
        b (numpy.ndarray or None): (C_out,) float32.
        stride, pad, dilate (tuple): (y, x) pairs, as Chainer's.
        out_hw (tuple): (H_out, W_out), Chainer's (``cover_all`` included).

    Returns:
        numpy.ndarray: (B, C_out, H_out, W_out), an NCHW view of C-contiguous NHWC memory.

    Raises:
        Unsupported: oneDNN cannot run this geometry.
    """
    src = channel_last(x)
    y_shape = (x.shape[0], W.shape[0]) + tuple(out_hw)
    pad_r = right_pads(x.shape[2:], out_hw, W.shape[2:], stride, pad, dilate)
    k = kernel(('convolution', x.shape, W.shape, b is not None, y_shape, stride, dilate, pad,
                pad_r), _build_convolution)
    y = numpy.empty((y_shape[0],) + tuple(out_hw) + (y_shape[1],), numpy.float32)
    bias = () if b is None else (numpy.ascontiguousarray(b),)
    k.primitive(src, k.filters(W), *bias, y)
    return nchw(y)


def deconvolution(x, W, b, stride, pad, dilate, out_hw):
    """Transposed convolution (Chainer's ``deconvolution_2d`` semantics, ``groups=1``).

    Args:
        x (numpy.ndarray): (B, C_in, H, W) float32, any memory layout.
        W (numpy.ndarray): (C_in, C_out, kh, kw) float32.
        b (numpy.ndarray or None): (C_out,) float32.
        stride, pad, dilate (tuple): (y, x) pairs.
        out_hw (tuple): (H_out, W_out), ``s·(H − 1) + dk − 2p`` or Chainer's ``outsize``.

    Returns:
        numpy.ndarray: (B, C_out, H_out, W_out), an NCHW view of C-contiguous NHWC memory.
    """
    src = channel_last(x)
    y_shape = (x.shape[0], W.shape[1]) + tuple(out_hw)
    # the transposed convolution's output is the input of the convolution it transposes
    pad_r = right_pads(out_hw, x.shape[2:], W.shape[2:], stride, pad, dilate)
    k = kernel(('deconvolution', x.shape, W.shape, b is not None, y_shape, stride, dilate, pad,
                pad_r), _build_deconvolution)
    y = numpy.empty((y_shape[0],) + tuple(out_hw) + (y_shape[1],), numpy.float32)
    bias = () if b is None else (numpy.ascontiguousarray(b),)
    k.primitive(src, k.filters(W), *bias, y)
    return nchw(y)


def filter_gradient(x, gy, ksize, stride, pad, dilate):
    """Filter gradient of ``conv(x, W)`` from its output gradient ``gy``.

    Args:
        x (numpy.ndarray): (B, C_in, H, W) float32, the convolution's input.
        gy (numpy.ndarray): (B, C_out, H_out, W_out) float32.
        ksize, stride, pad, dilate (tuple): (y, x) pairs of the convolution.

    Returns:
        numpy.ndarray: (C_out, C_in, kh, kw) float32, C-contiguous.
    """
    w_shape = (gy.shape[1], x.shape[1]) + tuple(ksize)
    pad_r = right_pads(x.shape[2:], gy.shape[2:], ksize, stride, pad, dilate)
    k = kernel(('filter_gradient', x.shape, w_shape, gy.shape, stride, dilate, pad, pad_r),
               _build_filter_gradient)
    gW = numpy.empty(w_shape, numpy.float32)
    if k.reorder is None:
        k.primitive(channel_last(x), channel_last(gy), gW)
        return gW
    blocked = _dnnl.empty_buffer(k.size)
    k.primitive(channel_last(x), channel_last(gy), blocked)
    return k.reorder(blocked, gW)


class _Pooling(object):
    def __init__(self, lib, x_shape, y_shape, ksize, pad_r):
        geometry = (Dims(*ksize), Dims(*ksize), Dims(0, 0), Dims(0, 0), Dims(*pad_r))
        with lib.descriptors() as md:
            forward = lib.new(lib.pooling_forward_primitive_desc_create, lib.engine,
                              _dnnl.FORWARD_TRAINING, _dnnl.POOLING_MAX, md.nhwc(x_shape),
                              md.nhwc(y_shape), *geometry, None)
            self.forward = Primitive(lib, forward, (ARG_SRC, ARG_DST, ARG_WORKSPACE))
            # the workspace holds, per output value, the row-major index of its window's first
            # maximum as one byte in the output's layout: exactly the NumPy kernel's indexes
            if not lib.memory_desc_equal(md.nhwc(y_shape, _dnnl.U8),
                                         self.forward.mds[ARG_WORKSPACE]):
                raise _dnnl.OneDNNError('the pooling workspace is not a byte per output')
            backward = lib.new(lib.pooling_backward_primitive_desc_create, lib.engine,
                               _dnnl.POOLING_MAX, md.nhwc(x_shape), md.nhwc(y_shape), *geometry,
                               forward, None)
        self.backward = Primitive(lib, backward, (ARG_DIFF_DST, ARG_WORKSPACE, ARG_DIFF_SRC))


def max_pooling(x, ksize, out_hw):
    """Max pooling over ``ksize`` windows with stride ``ksize`` (windows past the bottom/right
    border, Chainer's ``cover_all``, see only the pixels inside).

    Args:
        x (numpy.ndarray): (B, C, H, W) float32, any memory layout.
        ksize (tuple): (kh, kw), also the stride.
        out_hw (tuple): (H_out, W_out).

    Returns:
        tuple: ``y`` (B, C, H_out, W_out) float32 and ``indexes`` of the same shape, uint8: the
        row-major index inside its window of the first maximum; both NCHW views of NHWC memory.
    """
    y_shape = x.shape[:2] + tuple(out_hw)
    pad_r = tuple(o * k - i for o, k, i in zip(out_hw, ksize, x.shape[2:]))
    k = kernel(('max_pooling', x.shape, y_shape, tuple(ksize), pad_r), _Pooling)
    src = channel_last(x)
    y = numpy.empty((y_shape[0],) + tuple(out_hw) + (y_shape[1],), numpy.float32)
    indexes = numpy.empty(y.shape, numpy.uint8)
    k.forward(src, y, indexes)
    return nchw(y), nchw(indexes)


def max_pooling_grad(gy, indexes, x_shape, ksize):
    """Gradient of :func:`max_pooling`: each ``gy`` value to its window's kept maximum.

    Args:
        gy (numpy.ndarray): (B, C, H_out, W_out) float32.
        indexes (numpy.ndarray): :func:`max_pooling`'s second result.
        x_shape (tuple): (B, C, H, W) of the pooled input.
        ksize (tuple): (kh, kw).

    Returns:
        numpy.ndarray: (B, C, H, W) float32, an NCHW view of NHWC memory.
    """
    pad_r = tuple(o * k - i for o, k, i in zip(gy.shape[2:], ksize, x_shape[2:]))
    k = kernel(('max_pooling', tuple(x_shape), gy.shape, tuple(ksize), pad_r), _Pooling)
    gx = numpy.empty((x_shape[0], x_shape[2], x_shape[3], x_shape[1]), numpy.float32)
    k.backward(channel_last(gy), channel_last(indexes), gx)
    return nchw(gx)


class _ReLU(object):
    def __init__(self, lib, shape):
        alg = _dnnl.ELTWISE_RELU_USE_DST_FOR_BWD  # the gradient reads the output, not the input
        with lib.descriptors() as md:
            forward = lib.new(lib.eltwise_forward_primitive_desc_create, lib.engine,
                              _dnnl.FORWARD_TRAINING, alg, md.nhwc(shape), md.nhwc(shape), 0., 0.,
                              None)
            self.forward = Primitive(lib, forward, (ARG_SRC, ARG_DST))
            backward = lib.new(lib.eltwise_backward_primitive_desc_create, lib.engine, alg,
                               md.nhwc(shape), md.nhwc(shape), md.nhwc(shape), 0., 0., forward,
                               None)
        self.backward = Primitive(lib, backward, (ARG_DST, ARG_DIFF_DST, ARG_DIFF_SRC))


def relu(x):
    """``max(x, 0)`` of a (B, C, H, W) float32 array (any layout), as an NCHW view of NHWC
    memory."""
    k = kernel(('relu', x.shape), _ReLU)
    y = numpy.empty((x.shape[0],) + x.shape[2:] + x.shape[1:2], numpy.float32)
    k.forward(channel_last(x), y)
    return nchw(y)


def relu_grad(y, gy):
    """Gradient of :func:`relu` from its output ``y``: ``gy`` where ``y > 0``, else 0.

    Args:
        y, gy (numpy.ndarray): (B, C, H, W) float32, any layout.

    Returns:
        numpy.ndarray: (B, C, H, W), an NCHW view of NHWC memory.
    """
    k = kernel(('relu', y.shape), _ReLU)
    gx = numpy.empty((y.shape[0],) + y.shape[2:] + y.shape[1:2], numpy.float32)
    k.backward(channel_last(y), channel_last(gy), gx)
    return nchw(gx)


_SCALE_SHIFT = _dnnl.USE_SCALE | _dnnl.USE_SHIFT


class _BatchNormalization(object):
    def __init__(self, lib, shape, eps, inference, relu=False):
        flags = (_SCALE_SHIFT | (_dnnl.USE_GLOBAL_STATS if inference else 0)
                 | (_dnnl.FUSE_NORM_RELU if relu else 0))
        prop = _dnnl.FORWARD_INFERENCE if inference else _dnnl.FORWARD_TRAINING
        workspace = (ARG_WORKSPACE,) if relu else ()  # the ReLU's mask
        with lib.descriptors() as md:
            forward = lib.new(lib.batch_normalization_forward_primitive_desc_create, lib.engine,
                              prop, md.nhwc(shape), md.nhwc(shape), eps, flags, None)
            if inference:
                self.forward = Primitive(lib, forward, (ARG_SRC, ARG_MEAN, ARG_VARIANCE,
                                                        ARG_SCALE, ARG_SHIFT, ARG_DST))
                return
            self.forward = Primitive(lib, forward, (ARG_SRC, ARG_SCALE, ARG_SHIFT, ARG_DST,
                                                    ARG_MEAN, ARG_VARIANCE) + workspace)
            backward = lib.new(lib.batch_normalization_backward_primitive_desc_create,
                               lib.engine, _dnnl.BACKWARD, md.nhwc(shape), md.nhwc(shape),
                               md.nhwc(shape), eps, flags, forward, None)
        self.backward = Primitive(lib, backward, (ARG_SRC, ARG_MEAN, ARG_VARIANCE, ARG_DIFF_DST,
                                                  ARG_SCALE) + workspace
                                  + (ARG_DIFF_SRC, ARG_DIFF_SCALE, ARG_DIFF_SHIFT))


def supports_batch_normalization(shape, eps, inference=False, relu=False):
    """Whether oneDNN runs batch normalization (+ ReLU) of a (B, C, H, W) ``shape`` with this
    ``eps``."""
    try:
        kernel(('batch_normalization', tuple(shape), float(eps), inference, relu),
               _BatchNormalization)
    except Unsupported:
        return False
    return True


def _vector(v):
    return numpy.ascontiguousarray(v, numpy.float32)


def batch_normalization(x, gamma, beta, eps, relu=False):
    """Training-mode batch normalization over (B, H, W) with the batch's statistics.

    Args:
        x (numpy.ndarray): (B, C, H, W) float32, any memory layout.
        gamma, beta (numpy.ndarray): (C,) float32.
        eps (float): added to the variance.
        relu (bool): also apply a ReLU (oneDNN's ``fuse_norm_relu``: one pass over the data).

    Returns:
        tuple: ``y`` (an NCHW view of NHWC memory), the batch ``mean`` and the biased ``var``
        ((C,) float32 each); with ``relu``, also the ReLU's mask (an opaque buffer for
        :func:`batch_normalization_grad`).
    """
    k = kernel(('batch_normalization', x.shape, float(eps), False, relu), _BatchNormalization)
    src = channel_last(x)
    y = numpy.empty(src.shape, numpy.float32)
    mean, var = (numpy.empty(x.shape[1], numpy.float32) for _ in range(2))
    outputs = (y, mean, var)
    if relu:
        outputs += (_dnnl.empty_buffer(k.forward.sizes[ARG_WORKSPACE]),)
    k.forward(src, _vector(gamma), _vector(beta), *outputs)
    return (nchw(y),) + outputs[1:]


def batch_normalization_grad(x, gy, gamma, mean, var, eps, relu_mask=None):
    """Backward of :func:`batch_normalization`.

    Args:
        x, gy (numpy.ndarray): (B, C, H, W) float32, the input and the output gradient.
        gamma, mean, var (numpy.ndarray): (C,) float32 (the forward's statistics).
        eps (float): the forward's.
        relu_mask: the forward's ReLU mask when it had ``relu=True`` (``gy`` is then the
            gradient of the ReLU's output).

    Returns:
        tuple: ``gx`` (an NCHW view of NHWC memory), ``ggamma``, ``gbeta`` ((C,) float32).
    """
    relu = relu_mask is not None
    k = kernel(('batch_normalization', x.shape, float(eps), False, relu), _BatchNormalization)
    gx = numpy.empty((x.shape[0],) + x.shape[2:] + x.shape[1:2], numpy.float32)
    ggamma, gbeta = (numpy.empty(x.shape[1], numpy.float32) for _ in range(2))
    mask = (relu_mask,) if relu else ()
    k.backward(channel_last(x), _vector(mean), _vector(var), channel_last(gy), _vector(gamma),
               *mask, gx, ggamma, gbeta)
    return nchw(gx), ggamma, gbeta


def fixed_batch_normalization(x, gamma, beta, mean, var, eps):
    """Batch normalization with given statistics: ``γ·(x − mean)/√(var + eps) + β``.

    Args:
        x (numpy.ndarray): (B, C, H, W) float32, any memory layout.
        gamma, beta, mean, var (numpy.ndarray): (C,) float32.
        eps (float): added to ``var``.

    Returns:
        numpy.ndarray: (B, C, H, W), an NCHW view of NHWC memory.
    """
    k = kernel(('batch_normalization', x.shape, float(eps), True, False), _BatchNormalization)
    src = channel_last(x)
    y = numpy.empty(src.shape, numpy.float32)
    k.forward(src, _vector(mean), _vector(var), _vector(gamma), _vector(beta), y)
    return nchw(y)
