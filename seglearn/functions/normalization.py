"""Batch normalization with a faster NumPy core: per-channel sums as matrix-vector products.

Batch normalization needs sums over every axis but the channel one: ``mean``, ``var`` in the
forward pass, ``Σ gy`` and ``Σ gy·x̂`` in the backward pass. NumPy's ``a.sum(axis=(0, 2, 3))``
runs its inner loop along the last axis; on channel-last memory (what
:mod:`seglearn.functions.convolution` outputs) that loop is only ``C`` long and the sum crawls.
Written as a matrix-vector product the same sum is one BLAS call on either layout:

- channel-last memory: the array is a ``(B·H·W, C)`` matrix ``X``; the sums are ``1ᵀX``;
- NCHW memory: it is a ``(B·C, H·W)`` matrix; ``X1`` gives per-(image, channel) sums, added over
  the batch.

The per-channel affine maps (``x·scale + shift``) get the same care in :func:`scale_shift`.
Everything else is Chainer's own :class:`chainer.functions.normalization.batch_normalization.
BatchNormalization` node: this module only plugs a faster CPU implementation into its
``impl_selector`` hook, so the type checks, running statistics and double backprop are Chainer's.
:class:`OneDNNBatchNormalizationImpl` is the same hook on oneDNN's kernels (float32).

Two more nodes: :class:`BatchNormalizationReLU` (batch norm and ReLU as one node, one oneDNN
kernel each way where it pays) and :class:`FixedBatchNormalization` (given statistics, for
inference: Chainer's node with oneDNN's or :func:`scale_shift`'s forward).
"""
import functools
import math
import time

import chainer
import numpy
from chainer import function_node
from chainer.functions.normalization import batch_normalization as _bn
from chainer.utils import type_check

from seglearn.functions import _patches, activation, onednn
from seglearn.functions._patches import channel_sum


def scale_shift(x, scale, shift, out=None):
    """``x * scale + shift`` with (C,) vectors broadcast over the channel axis, layout kept.

    On channel-last memory a plain broadcast runs NumPy's inner loop over only ``C`` numbers;
    here the ``(B·H·W, C)`` matrix is viewed as ``(B·H·W/k, k·C)`` rows and the vectors tiled ``k``
    times, so each inner loop is ``k·C`` long.

    Args:
        x (numpy.ndarray): (B, C, H, W).
        scale, shift (numpy.ndarray): (C,) of ``x.dtype``.
        out (numpy.ndarray): optional result array with the same shape and memory layout as ``x``
            (``x`` itself is allowed).

    Returns:
        numpy.ndarray: (B, C, H, W), channel-last in memory when ``x`` is.
    """
    b, c, h, w = x.shape
    last = _patches.nhwc(x)
    if last.flags.c_contiguous and (out is None or _patches.nhwc(out).flags.c_contiguous):
        n = b * h * w
        k = math.gcd(n, max(1, 2048 // c))
        m = last.reshape(n // k, k * c)
        o = numpy.empty_like(m) if out is None else _patches.nhwc(out).reshape(n // k, k * c)
        numpy.multiply(m, numpy.tile(scale, k), out=o)
        o += numpy.tile(shift, k)
        return _patches.nchw(o.reshape(b, h, w, c))
    o = numpy.multiply(x, scale[:, None, None], out=out)
    o += shift[:, None, None]
    return o


def _update_running(running_mean, running_var, mean, var, m, decay):
    """Chainer's running statistics update, in place: exponential averages of the batch mean
    and of the *unbiased* batch variance ``var · m/(m − 1)`` (``var`` is the biased one)."""
    if running_mean is not None:
        running_mean *= decay
        running_mean += (1 - decay) * mean
        running_var *= decay
        running_var += (1 - decay) * (m / max(m - 1., 1.)) * var


class FastBatchNormalizationImpl(_bn.GeneralBatchNormalizationImpl):
    """Chainer's NumPy implementation rewritten around :func:`channel_sum` and
    :func:`scale_shift`; for 4-D NumPy inputs normalised over (0, 2, 3), dtype equal to gamma's.
    """

    def forward(self, axis, gamma, x, x_layout, xp, expander, beta, eps, decay, running_mean,
                running_var):
        m = x.size // gamma.size
        inv_m = 1. / m  # a Python float keeps float32 (an int may not)
        mean = channel_sum(x) * inv_m
        y = scale_shift(x, numpy.ones_like(mean), -mean)
        var = channel_sum(numpy.square(y)) * inv_m
        inv_std = numpy.reciprocal(numpy.sqrt(var + eps))
        y = scale_shift(y, gamma * inv_std, beta, out=y)
        _update_running(running_mean, running_var, mean, var, m, decay)
        return y, x_layout, running_mean, running_var, mean, var, inv_std, None

    def backward(self, axis, gamma, gy, x, x_layout, xp, expander, mean, inv_std, eps, var,
                 forward_data):
        inv_m = 1. / (x.size // gamma.size)
        x_hat = scale_shift(x, inv_std, -mean * inv_std)
        gbeta = channel_sum(gy)
        ggamma = channel_sum(gy * x_hat)
        # gx = γ/σ · (gy − (x̂·ggamma + gbeta)/m) = a·gy + (b·x̂ + c)
        a = gamma * inv_std
        gx = scale_shift(x_hat, -a * ggamma * inv_m, -a * gbeta * inv_m, out=x_hat)
        gx += scale_shift(gy, a, numpy.zeros_like(a))
        return gx, x_layout, ggamma, gbeta


class OneDNNBatchNormalizationImpl(_bn.GeneralBatchNormalizationImpl):
    """Forward and backward on oneDNN (:mod:`seglearn.functions.onednn`), for 4-D float32 NumPy
    inputs normalised over (0, 2, 3); the biased variance travels to the backward pass as
    Chainer's ``forward_data``."""

    def forward(self, axis, gamma, x, x_layout, xp, expander, beta, eps, decay, running_mean,
                running_var):
        y, mean, var = onednn.batch_normalization(x, gamma, beta, eps)
        inv_std = numpy.reciprocal(numpy.sqrt(var + eps))
        _update_running(running_mean, running_var, mean, var, x.size // gamma.size, decay)
        return y, x_layout, running_mean, running_var, mean, var, inv_std, var

    def backward(self, axis, gamma, gy, x, x_layout, xp, expander, mean, inv_std, eps, var,
                 forward_data):
        gx, ggamma, gbeta = onednn.batch_normalization_grad(x, gy, gamma, mean, forward_data,
                                                            eps)
        return gx, x_layout, ggamma, gbeta


@functools.lru_cache(maxsize=256)
def _onednn_pays(shape, eps, relu):
    """Whether oneDNN's training batch normalization (+ ReLU) of this (B, C, H, W) ``shape``
    beats the NumPy kernels; timed once per shape on random data (forward + backward, best of
    two runs each).

    oneDNN 3.2 picks its kernel by shape, and some of its picks are pathological: for
    8×C×32×32 with C = 24, 32, 40, 48 or 64 its ``bnorm_jit`` forward takes 35-45 ms on one
    core where C = 16, 20, 28 or 96 take 0.1-4 ms and the NumPy kernels 0.3-4 ms (FC-DenseNet at
    chapter 11's CPU size). A rule by channel count would not hold across shapes; a measurement
    does.
    """
    if not onednn.supports_batch_normalization(shape, eps, relu=relu):
        return False
    rng = numpy.random.RandomState(0)
    x = _patches.nchw(rng.randn(shape[0], shape[2], shape[3], shape[1]).astype(numpy.float32))
    gamma, beta = numpy.ones(shape[1], numpy.float32), numpy.zeros(shape[1], numpy.float32)
    numpy_impl = FastBatchNormalizationImpl()

    def with_onednn():
        y, mean, var, *mask = onednn.batch_normalization(x, gamma, beta, eps, relu=relu)
        onednn.batch_normalization_grad(x, x, gamma, mean, var, eps, *mask)

    def with_numpy():
        y, _, _, _, mean, _, inv_std, _ = numpy_impl.forward(
            (0, 2, 3), gamma, x, None, numpy, None, beta, eps, 0.9, None, None)
        if relu:
            numpy.maximum(y, 0, out=y)
            x_grad = activation.relu_grad(y, x)
        numpy_impl.backward((0, 2, 3), gamma, x_grad if relu else x, x, None, numpy, None, mean,
                            inv_std, eps, None, None)

    return _best_time(with_onednn) <= _best_time(with_numpy)


def _best_time(fn, runs=2):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _applies(x, gamma, axis):
    return (isinstance(x, numpy.ndarray) and x.ndim == 4 and tuple(axis) == (0, 2, 3)
            and x.dtype == gamma.dtype)


def _select_impl(node, inputs):
    x, gamma, beta = inputs
    if not _applies(x, gamma, node.axis):
        return _bn._impl_selector(node, inputs)
    if onednn.applies(x, gamma, beta) and _onednn_pays(x.shape, float(node.eps), False):
        return OneDNNBatchNormalizationImpl()
    return FastBatchNormalizationImpl()


def batch_normalization(x, gamma, beta, eps=2e-5, running_mean=None, running_var=None,
                        decay=0.9, axis=None):
    """Chainer's batch normalization node with :class:`FastBatchNormalizationImpl` on NumPy.

    Args:
        x: (B, C, H, W) input. gamma, beta: (C,) scale and shift.
        eps, running_mean, running_var, decay, axis: as in
            ``chainer.functions.batch_normalization``.

    Returns:
        chainer.Variable: normalised ``x``, same shape.
    """
    node = _bn.BatchNormalization(eps, running_mean, running_var, decay, axis,
                                  impl_selector=_select_impl)
    return node.apply((x, gamma, beta))[0]


_NCHW_EXPANDER = (None, slice(None), None, None)


class BatchNormalizationReLU(function_node.FunctionNode):
    """``relu(batch_normalization(x, gamma, beta))`` with batch statistics, as one node.

    On oneDNN (:func:`onednn.applies`) forward and backward are single kernels
    (``fuse_norm_relu``: the ReLU costs no pass of its own) when C is a multiple of 16, else
    oneDNN's batch normalization and a NumPy ReLU; on the NumPy kernels the forward is
    :class:`FastBatchNormalizationImpl`'s followed by an in-place ReLU. Gradients: without
    double backprop (``chainer.config.enable_backprop`` off during ``backward``, Chainer's
    default) oneDNN's backward kernel; with it, Chainer's ReLU gradient node followed by its
    batch-normalization gradient node, so every order of derivative exists. Running statistics
    are updated as Chainer's :class:`BatchNormalization` node does. For 4-D NumPy inputs
    normalised over (0, 2, 3).

    Args:
        eps (float): added to the variance.
        running_mean, running_var (numpy.ndarray or None): (C,) updated in place.
        decay (float): decay of the running statistics.
    """

    def __init__(self, eps, running_mean, running_var, decay):
        self.eps, self.decay = eps, decay
        self.running_mean, self.running_var = running_mean, running_var
        self._mask = None

    def check_type_forward(self, in_types):
        type_check.expect(in_types.size() == 3)
        x_type, gamma_type, beta_type = in_types
        type_check.expect(x_type.dtype.kind == 'f', x_type.ndim == 4,
                          gamma_type.dtype == x_type.dtype, beta_type.dtype == x_type.dtype,
                          gamma_type.shape == (x_type.shape[1],),
                          beta_type.shape == gamma_type.shape)

    def forward_cpu(self, inputs):
        self.retain_inputs((0, 1))
        self.retain_outputs((0,))
        x, gamma, beta = inputs
        # oneDNN 3.2's fused kernels slow down 5-30x when C is not a multiple of 16 (C = 60 or
        # 84 of FC-DenseNet56: 7.6 ms against 0.3 ms + a 0.8 ms NumPy ReLU); there the ReLU is
        # NumPy's, in place
        fuse = x.shape[1] % 16 == 0
        if onednn.applies(x, gamma, beta) and _onednn_pays(x.shape, float(self.eps), fuse):
            self._impl = OneDNNBatchNormalizationImpl()
            y, self.mean, self.var, *mask = onednn.batch_normalization(x, gamma, beta,
                                                                       self.eps, relu=fuse)
            self._mask = mask[0] if fuse else None
            self.inv_std = numpy.reciprocal(numpy.sqrt(self.var + self.eps))
            _update_running(self.running_mean, self.running_var, self.mean, self.var,
                            x.size // gamma.size, self.decay)
        else:
            self._impl = FastBatchNormalizationImpl()
            y, _, _, _, self.mean, self.var, self.inv_std, _ = self._impl.forward(
                (0, 2, 3), gamma, x, None, numpy, _NCHW_EXPANDER, beta, self.eps, self.decay,
                self.running_mean, self.running_var)
        if self._mask is None:
            numpy.maximum(y, 0, out=y)
        return y,

    def backward(self, indexes, grad_outputs):
        x, gamma = self.get_retained_inputs()
        y, = self.get_retained_outputs()
        gy, = grad_outputs
        onednn_impl = isinstance(self._impl, OneDNNBatchNormalizationImpl)
        if onednn_impl and not chainer.config.enable_backprop:
            g = gy.array if self._mask is not None else activation.relu_grad(y.array, gy.array)
            grads = onednn.batch_normalization_grad(x.array, g, gamma.array, self.mean, self.var,
                                                    self.eps, relu_mask=self._mask)
            return tuple(chainer.Variable(a) for a in grads)
        g = activation.ReLUGrad(y.array).apply((gy,))[0]
        node = _bn.BatchNormalizationGrad(self.eps, _NCHW_EXPANDER, (0, 2, 3), self.mean, None,
                                          self.inv_std, (1,), self._impl, self.var)
        return node.apply((x, gamma, g))


def batch_normalization_relu(x, gamma, beta, eps=2e-5, running_mean=None, running_var=None,
                             decay=0.9):
    """:class:`BatchNormalizationReLU` applied to ``(x, gamma, beta)``.

    Returns:
        chainer.Variable: ``relu(batch_normalization(x, gamma, beta))``, same shape as ``x``.
    """
    node = BatchNormalizationReLU(eps, running_mean, running_var, decay)
    return node.apply((x, gamma, beta))[0]


class FixedBatchNormalization(_bn.FixedBatchNormalization):
    """Chainer's batch normalization node with given statistics (inference), whose forward
    runs seglearn's kernels on 4-D NumPy inputs normalised over (0, 2, 3): oneDNN, or
    :func:`scale_shift`. The gradients are Chainer's (its gradient node computes ``1/σ``
    itself when the forward did not)."""

    def forward(self, inputs):
        x, gamma, beta, mean, var = inputs
        axis = _bn._compute_axis(x.ndim, gamma.ndim, self.axis)
        if not (_applies(x, gamma, axis) and all(a.dtype == x.dtype for a in inputs)):
            return super().forward(inputs)
        self.retain_inputs((0, 1, 3, 4))
        self.axis, self.key_axis = axis, (1,)
        self.expander = (None, slice(None), None, None)
        self.inv_std = self.inv_var = None
        if onednn.applies(x) and onednn.supports_batch_normalization(x.shape, self.eps,
                                                                     inference=True):
            return onednn.fixed_batch_normalization(x, gamma, beta, mean, var, self.eps),
        scale = gamma / numpy.sqrt(var + self.eps)
        return scale_shift(x, scale, beta - mean * scale),


def fixed_batch_normalization(x, gamma, beta, mean, var, eps=2e-5, axis=None):
    """:class:`FixedBatchNormalization` (Chainer's node, seglearn's CPU kernels).

    Args:
        x: (B, C, H, W) input. gamma, beta, mean, var: (C,) scale, shift and statistics.
        eps, axis: as in ``chainer.functions.fixed_batch_normalization``.

    Returns:
        chainer.Variable: normalised ``x``, same shape.
    """
    return FixedBatchNormalization(eps, axis).apply((x, gamma, beta, mean, var))[0]
