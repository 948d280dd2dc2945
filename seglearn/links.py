"""Chainer links used by every seglearn model, routed through :mod:`seglearn.functions`.

They are ``chainer.links.Convolution2D`` / ``Deconvolution2D`` in every respect (arguments,
parameters, serialisation) except that ``forward`` calls seglearn's functions, which take a fast
path on the CPU when :data:`seglearn.config.fast_cpu` is on.
"""
import chainer.links as L

from seglearn import functions


class Convolution2D(L.Convolution2D):
    """``chainer.links.Convolution2D`` that calls :func:`seglearn.functions.convolution_2d`."""

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return functions.convolution_2d(x, self.W, self.b, self.stride, self.pad,
                                        dilate=self.dilate, groups=self.groups)


class Deconvolution2D(L.Deconvolution2D):
    """``chainer.links.Deconvolution2D`` that calls :func:`seglearn.functions.deconvolution_2d`."""

    def forward(self, x):
        if self.W.array is None:
            self._initialize_params(x.shape[1])
        return functions.deconvolution_2d(x, self.W, self.b, self.stride, self.pad,
                                          self.outsize, dilate=self.dilate, groups=self.groups)
