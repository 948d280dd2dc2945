"""Dataset wrappers between a data set and the trainer: augmentation, U-Net's padding and weights.

Each wrapper takes a dataset of ``(img, label)`` examples (or ``(img, label, weight_map)``
triples) and returns another, computed on access:

* :func:`augment` — random crops, flips and U-Net's elastic deformation, label and weight map
  moved with the image;
* :func:`pad_for_valid_unet` — the overlap-tile strategy applied to training: mirror the image
  by the border a valid U-Net eats, so its output lines up with the label;
* :class:`WeightMapDataset` — adds U-Net's border-emphasising weight map (optionally cached);
* :func:`resized` — every example resized to one size (images bilinear, labels nearest).
"""
import chainer
import numpy

from seglearn import transforms
from seglearn.losses import unet_weight_map
from seglearn.models.unet import valid_padding


def augment(dataset, crop=None, x_flip=True, y_flip=False, elastic=False):
    """Random data augmentation on access (chainer ``TransformDataset``; nothing is cached).

    Each time an example is read it gets, in this order, an optional random crop, an optional
    U-Net elastic deformation (:func:`seglearn.transforms.elastic_deform`, 3×3 grid, 10 px) and
    random flips, the label (and weight map) always transformed with the image. A weight map
    travels as an extra image channel, so it is interpolated like the image when deformed.
    The randomness comes from NumPy's
    global generator, which :func:`seglearn.training.seed_all` seeds and trainer snapshots save
    (:class:`seglearn.training.RandomStateKeeper`), so augmented runs are reproducible and
    resumable too.

    Args:
        dataset: examples ``(img, label)`` or ``(img, label, weight_map)``.
        crop (int or tuple or None): random crop size (h, w); None = no crop.
        x_flip (bool): random left–right flips.
        y_flip (bool): random up–down flips.
        elastic (bool): random elastic deformation.

    Returns:
        chainer.datasets.TransformDataset: the augmented examples.

    Raises:
        ValueError: (when read) an example that is neither a pair nor a triple.
    """
    def transform(example):
        if len(example) not in (2, 3):
            raise ValueError('augment needs (img, label) or (img, label, weight_map) examples; '
                             'got {} arrays'.format(len(example)))
        img, label = example[:2]
        channels = img.shape[0]
        if len(example) == 3:
            img = numpy.concatenate([img, example[2][None].astype(img.dtype)])
        if crop is not None:
            img, label = transforms.random_crop(img, label, crop)
        if elastic:
            img, label = transforms.elastic_deform(img, label)
        if x_flip or y_flip:
            img, label = transforms.random_flip(img, label, x_flip=x_flip, y_flip=y_flip)
        if len(example) == 3:  # clip the (cubic) interpolation's undershoot
            return img[:channels], label, numpy.maximum(img[channels], 0)
        return img, label

    return chainer.datasets.TransformDataset(dataset, transform)


def pad_for_valid_unet(dataset, depth=4):
    """Make a dataset fit a U-Net with valid convolutions, keeping every labelled pixel.

    A valid U-Net's output is smaller than its input by ``2m`` pixels (``m = 92`` for depth 4)
    and only some sizes are valid. Each image is mirror-padded by ``m`` on every side, plus ``e``
    more at the bottom/right so that the output size ``H + e`` is valid; the label (and weight
    map, if the examples are triples) is padded by ``e`` at the bottom/right with -1 (ignored)
    and 0. The output then lines up with the padded label pixel for pixel — the overlap-tile
    strategy applied to training — so both the loss and
    :class:`~seglearn.metrics.SegmentationEvaluator` can be used unchanged.

    Args:
        dataset: examples ``(img, label)`` or ``(img, label, weight_map)``.
        depth (int): the U-Net's depth.

    Returns:
        chainer.datasets.TransformDataset: padded examples, computed on access (no caching).
    """
    def pad(example):
        img, label = example[:2]
        (top, bottom), (left, right) = (valid_padding(s, depth) for s in label.shape)
        img = transforms.mirror_pad(img, (top, bottom, left, right))
        widths = ((0, bottom - top), (0, right - left))  # the output starts at the label's origin
        padded = (img, numpy.pad(label, widths, constant_values=-1))
        if len(example) == 3:
            padded += (numpy.pad(example[2], widths, constant_values=0),)
        return padded

    return chainer.datasets.TransformDataset(dataset, pad)


class WeightMapDataset(chainer.dataset.DatasetMixin):
    """Adds U-Net's weight map to each example: ``(img, label, weight_map)``.

    The map is :func:`seglearn.losses.unet_weight_map` of the instance map that the wrapped
    dataset gives through ``instances(i)`` (e.g. :class:`~seglearn.datasets.CellsDataset`),
    computed on access, or once per example with ``cache=True`` (worth it when the same examples
    are read every epoch and memory holds them). :class:`seglearn.training.SegmentationLoss`
    multiplies each pixel's loss by it.

    Args:
        dataset: a dataset of ``(img, label)`` examples with an ``instances(i)`` method.
        w0 (float): weight of the border term (paper: 10).
        sigma (float): its width in pixels (paper: about 5).
        cache (bool): keep each example after it is first computed.

    Raises:
        TypeError: the dataset has no ``instances`` method.
    """

    def __init__(self, dataset, w0=10, sigma=5, cache=False):
        if not callable(getattr(dataset, 'instances', None)):
            raise TypeError('the dataset must give instance maps through instances(i) (as '
                            'CellsDataset does); {} does not'.format(type(dataset).__name__))
        self.dataset, self.w0, self.sigma = dataset, w0, sigma
        self.class_names = getattr(dataset, 'class_names', None)
        self._cache = {} if cache else None

    def __len__(self):
        return len(self.dataset)

    def get_example(self, i):
        if self._cache is not None and i in self._cache:
            return self._cache[i]
        img, label = self.dataset[i][:2]
        weight = unet_weight_map(self.dataset.instances(i), w0=self.w0, sigma=self.sigma)
        if self._cache is not None:
            self._cache[i] = img, label, weight
        return img, label, weight


def resized(dataset, size):
    """Every example resized to ``size``: the image bilinearly, the label by nearest neighbour.

    Args:
        dataset: examples ``(img, label)`` (anything after the label is dropped).
        size (int or tuple): the new ``(h, w)``.

    Returns:
        chainer.datasets.TransformDataset: with the wrapped dataset's ``class_names``.
    """
    def resize(example):
        img, label = example[:2]
        return transforms.resize_image(img, size), transforms.resize_label(label, size)

    out = chainer.datasets.TransformDataset(dataset, resize)
    out.class_names = dataset.class_names
    return out
