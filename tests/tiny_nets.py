"""A tiny chain that is not a seglearn model, shared by the inference and serialization tests."""
import numpy

import seglearn  # noqa: F401
import chainer
import chainer.functions as F

from seglearn import links


class PixelNet(chainer.Chain):
    """1×1 convolutions only: translation-equivariant, output at the input size."""

    def __init__(self, n_class=3, in_channels=3, hidden=5):
        super().__init__()
        self.n_class, self.in_channels, self.hidden = n_class, in_channels, hidden
        with self.init_scope():
            self.c1 = links.Convolution2D(in_channels, hidden, 1)
            self.c2 = links.Convolution2D(hidden, n_class, 1)

    def forward(self, x):
        return self.c2(F.relu(self.c1(x / 255.0)))


def image(c=3, h=13, w=17, seed=0):
    return (numpy.random.RandomState(seed).rand(c, h, w) * 255).astype(numpy.float32)
