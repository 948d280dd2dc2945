"""Channel concatenation and spatial crops that keep seglearn's channel-last memory on the CPU.

- :class:`ChannelConcat` / :class:`ChannelSplit`: ``F.concat(xs, axis=1)`` and its gradient.
  ``numpy.concatenate`` along axis 1 writes a C-contiguous NCHW array, and every kernel after it
  (batch normalization, convolution on oneDNN) would first copy that back to channel-last; here
  the output is written channel-last at once, ``(B, H, W, ΣC)``, each input into its band of
  channels, and the gradient is split into its bands.
- :func:`dropout_mask`: Chainer's dropout mask, from the same random numbers, laid out like the
  input, so that dropout's output and gradient stay channel-last (``x * mask`` with an NCHW mask
  is NCHW).
- :class:`Crop` / :class:`CropGrad`: ``x[:, :, oy:oy + h, ox:ox + w]`` and its gradient. Chainer's
  ``GetItem`` gradient adds ``gy`` into zeros with ``numpy.add.at`` (general enough for repeated
  indices, and about 20× slower than an assignment); a crop never repeats an index, so the
  gradient here is zeros with ``gy`` assigned into the window, in ``gy``'s layout.

Each pair is its own adjoint pair, so every order of derivative exists.
"""
import numpy
from chainer import function_node
from chainer.utils import type_check

from seglearn.functions._patches import nchw, nhwc


def _empty_channel_last(b, c, h, w, dtype):
    return nchw(numpy.empty((b, h, w, c), dtype))


class ChannelConcat(function_node.FunctionNode):
    """Concatenation of (B, C_i, H, W) NumPy arrays along the channels, written channel-last."""

    def check_type_forward(self, in_types):
        type_check.expect(in_types.size() > 0)
        first = in_types[0]
        type_check.expect(first.ndim == 4, first.dtype.kind == 'f')
        for t in in_types[1:]:
            type_check.expect(t.dtype == first.dtype, t.ndim == 4, t.shape[0] == first.shape[0],
                              t.shape[2] == first.shape[2], t.shape[3] == first.shape[3])

    def forward_cpu(self, inputs):
        self.channels = [x.shape[1] for x in inputs]
        b, _, h, w = inputs[0].shape
        y = _empty_channel_last(b, sum(self.channels), h, w, inputs[0].dtype)
        start = 0
        for x, c in zip(inputs, self.channels):
            y[:, start:start + c] = x
            start += c
        return y,

    def backward(self, indexes, grad_outputs):
        return ChannelSplit(self.channels).apply(grad_outputs)


class ChannelSplit(function_node.FunctionNode):
    """Splits a (B, ΣC_i, H, W) NumPy array into its channel bands (views, as Chainer's
    ``split_axis``: their consumers make new arrays; a oneDNN kernel copies a band
    channel-last, as it would a copy of it)."""

    def __init__(self, channels):
        self.channels = channels

    def forward_cpu(self, inputs):
        gy, = inputs
        bounds = numpy.cumsum([0] + self.channels)
        return tuple(gy[:, a:b] for a, b in zip(bounds[:-1], bounds[1:]))

    def backward(self, indexes, grad_outputs):
        shape = self.inputs[0].shape
        grads = [numpy.zeros((shape[0], c) + shape[2:], self.inputs[0].dtype) if g is None else g
                 for g, c in zip(grad_outputs, self.channels)]
        return ChannelConcat().apply(grads)


def dropout_mask(x, ratio):
    """The mask ``F.dropout(x, ratio)`` would draw (``numpy.random.rand`` in NCHW order, the
    same stream), in ``x``'s memory layout.

    Args:
        x (numpy.ndarray): (B, C, H, W) float input.
        ratio (float): dropout ratio in [0, 1).

    Returns:
        numpy.ndarray: ``x``'s dtype: ``1 / (1 − ratio)`` where kept, 0 where dropped.
    """
    keep = numpy.random.rand(*x.shape) >= ratio
    mask = numpy.empty_like(x)  # keeps x's layout
    numpy.multiply(keep, x.dtype.type(1. / (1 - ratio)), out=mask)
    return mask


class Crop(function_node.FunctionNode):
    """``x[:, :, oy:oy + h, ox:ox + w]`` of a (B, C, H, W) NumPy array (a view).

    Args:
        offset (tuple): (oy, ox). size (tuple): (h, w); the window lies inside ``x``.
    """

    def __init__(self, offset, size):
        self.offset, self.size = tuple(offset), tuple(size)

    def forward_cpu(self, inputs):
        x, = inputs
        self.in_shape = x.shape
        (oy, ox), (h, w) = self.offset, self.size
        return x[:, :, oy:oy + h, ox:ox + w],

    def backward(self, indexes, grad_outputs):
        return CropGrad(self.offset, self.in_shape).apply(grad_outputs)


class CropGrad(function_node.FunctionNode):
    """The adjoint of :class:`Crop`: ``gy`` placed at ``offset`` in zeros of ``shape``, in
    ``gy``'s memory layout (channel-last stays channel-last)."""

    def __init__(self, offset, shape):
        self.offset, self.shape = offset, shape

    def forward_cpu(self, inputs):
        gy, = inputs
        b, c, h, w = self.shape
        if nhwc(gy).flags.c_contiguous:
            gx = nchw(numpy.zeros((b, h, w, c), gy.dtype))
        else:
            gx = numpy.zeros(self.shape, gy.dtype)
        oy, ox = self.offset
        gx[:, :, oy:oy + gy.shape[2], ox:ox + gy.shape[3]] = gy
        return gx,

    def backward(self, indexes, grad_outputs):
        return Crop(self.offset, self.inputs[0].shape[2:]).apply(grad_outputs)
