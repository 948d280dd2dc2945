"""ReLU whose output and gradient keep seglearn's channel-last memory, on oneDNN or NumPy.

Chainer's ReLU computes ``numpy.maximum(x, 0)`` (layout kept) and its gradient as
``gy * (y > 0)``: a boolean array and a product, two passes. :class:`ReLU` and
:class:`ReLUGrad` run oneDNN's eltwise kernels on float32 arrays when oneDNN is the active
backend (one pass each way, output channel-last), else NumPy (``maximum`` / ``where`` into an
array laid out like ``gy``). ``ReLUGrad`` is linear in ``gy`` and its own adjoint, so every order
of derivative exists, as with Chainer's.
"""
import numpy
from chainer import function_node
from chainer.utils import type_check

from seglearn.functions import onednn


def relu_grad(y, gy):
    """``gy`` where ``y > 0``, else 0, for NumPy arrays: oneDNN's kernel where it applies.

    Args:
        y, gy (numpy.ndarray): (B, C, H, W), the ReLU's output and the output gradient.

    Returns:
        numpy.ndarray: (B, C, H, W), laid out like ``gy`` (channel-last on oneDNN).
    """
    if onednn.applies(gy, y):
        try:
            return onednn.relu_grad(y, gy)
        except onednn.Unsupported:
            pass
    gx = numpy.empty_like(gy)
    numpy.multiply(gy, y > 0, out=gx)
    return gx


class ReLU(function_node.FunctionNode):
    """``y = max(x, 0)`` of a 4-D NumPy array."""

    def check_type_forward(self, in_types):
        type_check._argname(in_types, ('x',))
        type_check.expect(in_types[0].dtype.kind == 'f', in_types[0].ndim == 4)

    def forward_cpu(self, inputs):
        x, = inputs
        self.retain_outputs((0,))
        if onednn.applies(x):
            try:
                return onednn.relu(x),
            except onednn.Unsupported:
                pass
        return numpy.maximum(x, 0, out=numpy.empty_like(x)),

    def backward(self, indexes, grad_outputs):
        y, = self.get_retained_outputs()
        return ReLUGrad(y.array).apply(grad_outputs)


class ReLUGrad(function_node.FunctionNode):
    """``gx = gy`` where ``y > 0``, else 0 (the ReLU's output ``y`` is a constant here)."""

    def __init__(self, y):
        self.y = y

    def forward_cpu(self, inputs):
        return relu_grad(self.y, inputs[0]),

    def backward(self, indexes, grad_outputs):
        return ReLUGrad(self.y).apply(grad_outputs)
