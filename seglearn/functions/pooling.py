"""Max pooling over non-overlapping windows (ksize = stride, no padding) without copies.

Chainer's CPU max pooling pads the input into a new NCHW array, copies every window out
(``im2col``), takes an ``argmax`` over it and keeps int64 indices. For the poolings of FCN, U-Net
and FC-DenseNet (2×2, stride 2) there is a cheaper way: the input viewed as
``(B, C, H/k, k, W/k, k)`` holds every window without a copy (in any memory layout: only strides
change), and the max is ``k·k`` elementwise ``maximum`` calls over strided views, whose result keeps
the input's layout (channel-last stays channel-last for the next convolution). The index of the first maximum of each window (Chainer's
tie rule: row-major order inside the window) is kept as one byte per output value.

Three nodes: :class:`MaxPooling2D` (forward), :class:`MaxPooling2DGrad` (scatters ``gy`` to the
kept positions) and :class:`MaxPooling2DGather` (reads the kept positions). The last two are each
other's adjoint, so every order of derivative exists, as with Chainer's pooling.

With oneDNN as the CPU backend (float32), the forward and :class:`MaxPooling2DGrad` run oneDNN's
max pooling (ceil mode as a right padding, whose windows see the pixels inside only); its
workspace is the same one byte per output, the row-major index of the first maximum, so it
serves as ``indexes`` (:mod:`seglearn.functions.onednn` checks its layout;
``tests/test_functions_onednn.py`` its values).
"""
import numpy
from chainer import function_node
from chainer.utils import type_check

from seglearn.functions import _patches, onednn


def _zeros_like_layout(template, shape, fill=0):
    """A new (B, C, H, W) array filled with ``fill``, channel-last in memory if ``template`` is."""
    b, c, h, w = shape
    if _patches.nhwc(template).flags.c_contiguous:
        return _patches.nchw(numpy.full((b, h, w, c), fill, template.dtype))
    return numpy.full(shape, fill, template.dtype)


class _Windows(object):
    """Geometry of a pooling and its kept argmax, shared by the three nodes."""

    def _set_geometry(self, ksize, cover_all):
        self.kh, self.kw = ksize
        self.cover_all = bool(cover_all)

    def _set_shape(self, x_shape):
        self.x_shape = x_shape
        h, w = x_shape[2:]
        if self.cover_all:  # windows past the border read -inf, as Chainer pads
            self.out_h, self.out_w = -(-h // self.kh), -(-w // self.kw)
        else:
            self.out_h, self.out_w = h // self.kh, w // self.kw
        if self.out_h <= 0 or self.out_w <= 0:
            raise ValueError('max pooling output size must be positive, got {}x{} for input {} '
                             'and ksize {}'.format(self.out_h, self.out_w, x_shape,
                                                   (self.kh, self.kw)))

    @property
    def _padded_shape(self):
        b, c = self.x_shape[:2]
        return b, c, self.out_h * self.kh, self.out_w * self.kw

    def _taps(self, a):
        """The k·k (B, C, Ho, Wo) views of an NCHW array (any layout) covering the windows."""
        b, c, _, _ = a.shape
        region = _patches.split_view(a[:, :, :self.out_h * self.kh, :self.out_w * self.kw],
                                     (b, c, self.out_h, self.kh, self.out_w, self.kw))
        return [region[:, :, :, i, :, j] for i in range(self.kh) for j in range(self.kw)]

    def _fits(self):
        h, w = self.x_shape[2:]
        return self.out_h * self.kh <= h and self.out_w * self.kw <= w

    def _covering(self, a, fill=0):
        """``a``, or a copy padded with ``fill`` at the bottom/right when the windows (ceil mode)
        reach past its border."""
        if self._fits():
            return a
        padded = _zeros_like_layout(a, self._padded_shape, fill)
        h, w = a.shape[2:]
        padded[:, :, :h, :w] = a
        return padded


class MaxPooling2D(function_node.FunctionNode, _Windows):
    """``y = max over each k×k window`` (stride k, no padding) of a NumPy NCHW array.

    Args:
        ksize (tuple): (kh, kw), also the stride.
        cover_all (bool): ceil-mode output size (partial windows at the border).
    """

    def __init__(self, ksize, cover_all):
        self._set_geometry(ksize, cover_all)

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        x_type, = in_types
        type_check.expect(x_type.dtype.kind == 'f', x_type.ndim == 4)

    def forward_cpu(self, inputs):
        x, = inputs
        self._set_shape(x.shape)
        if onednn.applies(x):
            try:
                y, self.indexes = onednn.max_pooling(x, (self.kh, self.kw),
                                                     (self.out_h, self.out_w))
                return y,
            except onednn.Unsupported:
                pass
        x = self._covering(x, -numpy.inf)
        taps = self._taps(x)
        y = _zeros_like_layout(x, taps[0].shape)  # keeps the input's memory layout
        numpy.copyto(y, taps[0])
        for tap in taps[1:]:
            numpy.maximum(y, tap, out=y)
        # index of the first maximum in row-major window order (Chainer's tie rule)
        self.indexes = numpy.zeros(y.shape, numpy.uint8)
        found = numpy.zeros(y.shape, bool)
        for q, tap in enumerate(taps):
            hit = tap == y
            hit &= ~found
            numpy.copyto(self.indexes, q, where=hit)
            found |= hit
        return y,

    def backward(self, indexes, grad_outputs):
        return MaxPooling2DGrad(self).apply(grad_outputs)


class MaxPooling2DGrad(function_node.FunctionNode):
    """Gradient of :class:`MaxPooling2D`: each ``gy`` value goes to its window's kept maximum."""

    def __init__(self, pooling):
        self.pooling = pooling

    def forward_cpu(self, inputs):
        gy, = inputs
        p = self.pooling
        if onednn.applies(gy):
            try:
                return onednn.max_pooling_grad(gy, p.indexes, p.x_shape, (p.kh, p.kw)),
            except onednn.Unsupported:
                pass
        b, c, h, w = p.x_shape
        _, _, hp, wp = p._padded_shape
        gx = _zeros_like_layout(gy, (b, c, max(h, hp), max(w, wp)))
        for q, tap in enumerate(p._taps(gx)):
            numpy.copyto(tap, gy, where=p.indexes == q)
        return gx[:, :, :h, :w],

    def backward(self, indexes, grad_outputs):
        return MaxPooling2DGather(self.pooling).apply(grad_outputs)


class MaxPooling2DGather(function_node.FunctionNode):
    """Reads an input-shaped array at the kept maxima (the adjoint of :class:`MaxPooling2DGrad`)."""

    def __init__(self, pooling):
        self.pooling = pooling

    def forward_cpu(self, inputs):
        ggx, = inputs
        p = self.pooling
        ggx = p._covering(ggx)
        taps = p._taps(ggx)
        out = _zeros_like_layout(ggx, taps[0].shape)
        for q, tap in enumerate(taps):
            numpy.copyto(out, tap, where=p.indexes == q)
        return out,

    def backward(self, indexes, grad_outputs):
        return MaxPooling2DGrad(self.pooling).apply(grad_outputs)
