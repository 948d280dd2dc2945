"""Chainer links used by every seglearn model, routed through :mod:`seglearn.functions`.

They are ``chainer.links.Convolution2D`` / ``Deconvolution2D`` / ``BatchNormalization`` in every
respect (arguments, parameters, serialisation) except that ``forward`` calls seglearn's functions,
which run seglearn's CPU kernels (oneDNN's or NumPy's) when :data:`seglearn.config.fast_cpu` is
on, and that inside :func:`parameter_budget` they refuse to allocate more than the budget allows.
"""
import contextlib
import contextvars

import chainer
import chainer.links as L
import numpy

from seglearn import functions
from seglearn._checks import check_int, pair

_budget = contextvars.ContextVar('seglearn_parameter_budget', default=None)


@contextlib.contextmanager
def parameter_budget(max_elements):
    """Inside the block, seglearn's layers refuse to allocate more than ``max_elements`` array
    elements in all: weights, biases and batch-norm statistics (gradients come later, in
    training).

    The count is made before each array is allocated, so a model whose size comes from untrusted
    input (a model file's header) fails at once with a ``ValueError`` instead of filling the
    memory. Budgets are per thread (and per asyncio task).

    Args:
        max_elements (int): the most elements the layers built inside may hold.
    """
    token = _budget.set([check_int('max_elements', max_elements, 0)])
    try:
        yield
    finally:
        _budget.reset(token)


def _charge(link, elements):
    left = _budget.get()
    if left is None:
        return
    left[0] -= elements
    if left[0] < 0:
        raise ValueError('building {} would exceed the parameter budget ({} more elements than '
                         'allowed)'.format(type(link).__name__, -left[0]))


class _Budgeted:
    """Counts a (transposed) convolution's weight and bias against the budget before they exist:
    ``in · out / groups · kh · kw`` weights either way round, ``out`` biases."""

    def _initialize_params(self, in_channels):
        kh, kw = pair(self.ksize)
        _charge(self, in_channels * self.out_channels // self.groups * kh * kw
                + self.out_channels)
        super()._initialize_params(in_channels)


class Convolution2D(_Budgeted, L.Convolution2D):
    """``chainer.links.Convolution2D`` that calls :func:`seglearn.functions.convolution_2d`."""

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return functions.convolution_2d(x, self.W, self.b, self.stride, self.pad,
                                        dilate=self.dilate, groups=self.groups)


class Deconvolution2D(_Budgeted, L.Deconvolution2D):
    """``chainer.links.Deconvolution2D`` that calls :func:`seglearn.functions.deconvolution_2d`."""

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return functions.deconvolution_2d(x, self.W, self.b, self.stride, self.pad,
                                          self.outsize, dilate=self.dilate, groups=self.groups)


class BatchNormalization(L.BatchNormalization):
    """``chainer.links.BatchNormalization`` whose forward calls
    :func:`seglearn.functions.batch_normalization` (training: batch statistics) or
    :func:`seglearn.functions.fixed_batch_normalization` (inference: the running averages).

    ``forward(x, finetune=False, relu=False)``: with ``relu=True`` the output is
    ``relu(bn(x))``, in training mode as one fused node
    (:func:`seglearn.functions.batch_normalization_relu`).
    """

    def _initialize_params(self, shape):
        _charge(self, 4 * int(numpy.prod(shape)))  # mean, variance, gamma, beta
        super()._initialize_params(shape)

    def forward(self, x, finetune=False, relu=False):
        if self.avg_mean is None:
            self._initialize_params(tuple(d for i, d in enumerate(x.shape) if i not in self.axis))
        gamma = self.gamma if self.gamma is not None else self._get_gamma()[0]
        beta = self.beta if self.beta is not None else self._get_beta()[0]
        if not chainer.config.train:
            y = functions.fixed_batch_normalization(x, gamma, beta, self.avg_mean, self.avg_var,
                                                    self.eps, axis=self.axis)
            return functions.relu(y) if relu else y
        decay, avg_mean, avg_var = self.decay, self.avg_mean, self.avg_var
        if finetune:
            self.N += 1
            decay = 1. - 1. / self.N
        if chainer.config.in_recomputing:  # no statistics update on a recomputed forward
            if finetune:
                self.N -= 1
            avg_mean = avg_var = None
        kwargs = dict(eps=self.eps, running_mean=avg_mean, running_var=avg_var, decay=decay)
        if relu and self.axis in (None, (0, 2, 3)) and x.ndim == 4:
            return functions.batch_normalization_relu(x, gamma, beta, **kwargs)
        y = functions.batch_normalization(x, gamma, beta, axis=self.axis, **kwargs)
        return functions.relu(y) if relu else y
