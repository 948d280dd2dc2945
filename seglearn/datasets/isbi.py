"""ISBI 2012 EM segmentation challenge (neuronal membranes), the U-Net paper's first data set.

Thirty 512×512 serial-section electron-microscopy slices of the *Drosophila* ventral nerve cord,
stored as multi-page TIFF stacks: ``train-volume.tif`` (the images) and ``train-labels.tif``
(255 = cell interior, 0 = membrane). We map 255 → 1 (``'cell'``) and 0 → 0 (``'membrane'``), so
the thin membranes play the role of the background gaps of :class:`CellsDataset`. The test
volume's labels were never published, so only the training volume is a dataset here.

Get the data with ``seglearn.datasets.download('isbi2012', root)``, then ``ISBI2012(root)``.
"""
import os

import numpy

from seglearn._checks import check_choice
from seglearn.datasets import _base
from seglearn.datasets.fetch import DataSource, Resource

LAYOUT = """<root>/
  train-volume.tif   30 pages, 512×512, 8-bit grey
  train-labels.tif   30 pages, 255 = cell, 0 = membrane"""

#: Where :func:`seglearn.datasets.download` gets it (no published checksum; plain http, the only
#: address of the files we found documented, so :func:`~seglearn.datasets.download` checks them by
#: opening the stacks).
SOURCE = DataSource(
    resources=[
        Resource('http://brainiac2.mit.edu/isbi_challenge/sites/default/files/' + f,
                 f, None, None, False) for f in ('train-volume.tif', 'train-labels.tif')],
    path='.', size='16 MB',
    note='ISBI 2012 EM stacks; the challenge site has asked for registration and is '
         'sometimes offline: then put train-volume.tif and train-labels.tif in the folder '
         'by hand. Load with ISBI2012(path)')


def read_tiff_stack(path):
    """All pages of a multi-page TIFF.

    Returns:
        numpy.ndarray: ``(pages, H, W)`` in the file's own dtype.

    Raises:
        ValueError: The file cannot be read (damaged, truncated), or its pages are not all
            single-channel images of one size.
    """
    from PIL import Image, ImageSequence
    with _base.reading(path), Image.open(path) as f:
        pages = [numpy.asarray(page) for page in ImageSequence.Iterator(f)]
    if len({p.shape for p in pages}) != 1 or pages[0].ndim != 2:
        raise ValueError('{!r}: expected grey pages of one size, got shapes {}'
                         .format(path, sorted({p.shape for p in pages})))
    return numpy.stack(pages)


class ISBI2012(_base.SegmentationDataset):
    """ISBI 2012 EM membranes: 30 training slices.

    Args:
        root (str): The folder holding ``train-volume.tif`` and ``train-labels.tif``.
        split (str): Only ``'train'`` (the test labels are not public).

    Each example is ``(img, label)``: ``img`` float32 ``(1, H, W)`` 0–255 (a 16-bit volume is
    scaled, as :func:`~seglearn.datasets.read_image` does), ``label`` int32 ``(H, W)``: 1 = cell
    (file value above 127), 0 = membrane. Both stacks are read into memory on construction
    (about 8 MB each).

    Raises:
        FileNotFoundError: A file is missing (the message names it).
        ValueError: ``split`` is unknown, the two stacks differ in shape, or the volume holds
            neither 8-bit nor 16-bit values.
    """

    class_names = ['membrane', 'cell']

    def __init__(self, root, split='train'):
        check_choice('split', split, ('train',))
        volume_path = _base.require(os.path.join(root, 'train-volume.tif'), LAYOUT)
        labels_path = _base.require(os.path.join(root, 'train-labels.tif'), LAYOUT)
        self.root, self.split = root, split
        self.volume = read_tiff_stack(volume_path)
        self.labels = read_tiff_stack(labels_path)
        if self.volume.shape != self.labels.shape:
            raise ValueError('{!r} has shape {} but {!r} has shape {}'.format(
                volume_path, self.volume.shape, labels_path, self.labels.shape))
        _base.to_0_255(self.volume[:1, :1, :1], volume_path)  # refuse other kinds now
        self._volume_path = volume_path

    def __len__(self):
        return len(self.volume)

    def _get(self, i):
        img = _base.to_0_255(self.volume[i], self._volume_path)[None]
        label = (self.labels[i] > 127).astype(numpy.int32)
        return img, label
