"""Small things several test modules share: a chain that is not a seglearn model, random data."""
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


def examples(n, size=16, n_class=4, seed=0, weights=False):
    """n (img, label[, weight]) examples; labels follow the red channel, 10 % ignored."""
    rng = numpy.random.RandomState(seed)
    out = []
    for _ in range(n):
        img = (rng.rand(3, size, size) * 255).astype(numpy.float32)
        label = (img[0] * n_class / 256).astype(numpy.int32)  # learnable from the red channel
        label[rng.rand(size, size) < 0.1] = -1
        example = (img, label)
        if weights:
            example += ((rng.rand(size, size) + 0.5).astype(numpy.float32),)
        out.append(example)
    return out


def width_option(cls, width):
    """``{'width': width}`` for a zoo model class that reads a width (its own ``build_kwargs``),
    else nothing: a new model without options is tested at its own size."""
    from seglearn.models import SegmentationModel
    reads_width = cls.build_kwargs.__func__ is not SegmentationModel.build_kwargs.__func__
    return {'width': width} if reads_width else {}
