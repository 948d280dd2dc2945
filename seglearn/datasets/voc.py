"""PASCAL VOC 2012 segmentation, read from the official ``VOCdevkit`` layout (no download here).

The FCN paper trains and evaluates on PASCAL VOC: 20 object classes plus background. Its label
images are *palette* PNGs: each pixel stores a class index, and the file carries a colour table
so that viewers show colours. Read the indices (Pillow mode ``'P'``), never the colours. Index
255 marks object outlines and difficult regions ("void"); it becomes ``-1`` (ignored).

Get the data with ``seglearn.datasets.download('voc2012', root)`` or by hand
(``VOCtrainval_11-May-2012.tar``, about 2 GB), then ``VOCSegmentation(root, 'train')``.
"""
import os

from seglearn._checks import check_choice
from seglearn.datasets import _base
from seglearn.datasets.fetch import DataSource, Resource
from seglearn.palettes import voc_colormap

#: The 21 VOC classes, background first (class id = position).
VOC_CLASSES = [
    'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair',
    'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa',
    'train', 'tvmonitor']

#: uint8 (21, 3): the colours of VOC's palette PNGs (:func:`seglearn.palettes.voc_colormap`).
VOC_PALETTE = voc_colormap(len(VOC_CLASSES))

LAYOUT = """VOCdevkit/VOC2012/                 (root is this folder, VOCdevkit/, or their parent)
  ImageSets/Segmentation/{train,val,trainval}.txt   one image id per line
  JPEGImages/<id>.jpg
  SegmentationClass/<id>.png       palette PNG: indices 0-20, 255 = void"""

SPLITS = ('train', 'val', 'trainval')

#: Where :func:`seglearn.datasets.download` gets it (MD5 as torchvision records it; the host serves
#: it over https too, the URL keras-cv's VOC loader uses).
SOURCE = DataSource(
    resources=[Resource(
        'https://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar',
        'VOCtrainval_11-May-2012.tar', None, '6cd6e144f989b92b3379bac3b3de84fd', True)],
    path=os.path.join('VOCdevkit', 'VOC2012'), size='2.0 GB',
    note='PASCAL VOC 2012 train/val; load with VOCSegmentation(path, split)')


def find_voc_root(root):
    """The ``VOC2012`` folder under ``root`` (``root`` itself, ``root/VOC2012`` or
    ``root/VOCdevkit/VOC2012``), or None."""
    for candidate in (root, os.path.join(root, 'VOC2012'),
                      os.path.join(root, 'VOCdevkit', 'VOC2012')):
        if os.path.isdir(os.path.join(candidate, 'ImageSets', 'Segmentation')):
            return candidate
    return None


class VOCSegmentation(_base.FilePairDataset):
    """PASCAL VOC 2012 semantic segmentation.

    Args:
        root (str): ``VOCdevkit/VOC2012``, ``VOCdevkit`` or the folder holding ``VOCdevkit``.
        split (str): ``'train'`` (1,464 images), ``'val'`` (1,449) or ``'trainval'``.

    Each example is ``(img, label)``: ``img`` float32 ``(3, H, W)`` RGB 0–255, ``label`` int32
    ``(H, W)`` in ``0..20``, ``-1`` where the file says 255 (void).

    Raises:
        FileNotFoundError: A file of the layout is missing (the message names it).
        ValueError: ``split`` is unknown, or the split file lists no image.
    """

    class_names = VOC_CLASSES
    _table = {c: c for c in range(21)} | {255: -1}

    def __init__(self, root, split='train'):
        check_choice('split', split, SPLITS)
        base = find_voc_root(root) or root
        list_file = _base.require(
            os.path.join(base, 'ImageSets', 'Segmentation', split + '.txt'), LAYOUT)
        self.root, self.split = base, split
        self.ids = _base.read_ids(list_file, LAYOUT)
        self._pairs = [
            (_base.require(os.path.join(base, 'JPEGImages', i + '.jpg'), LAYOUT),
             _base.require(os.path.join(base, 'SegmentationClass', i + '.png'), LAYOUT))
            for i in self.ids]
    palette = VOC_PALETTE
