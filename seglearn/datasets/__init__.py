"""Datasets for semantic segmentation, all :class:`chainer.dataset.DatasetMixin`.

``dataset[i]`` is ``(img, label)``: ``img`` float32 ``(C, H, W)`` RGB (or grey) 0–255, ``label``
int32 ``(H, W)`` with ``-1`` = ignore. Every dataset has ``class_names``, ``n_class`` and
``palette`` (uint8 ``(n_class, 3)``).

Built in, generated from a seed, no download:

* :class:`ShapesDataset`: coloured shapes on textured backgrounds (FCN, FC-DenseNet chapters);
* :class:`CellsDataset`: touching cells separated by thin gaps, with instances (U-Net chapters).

:func:`to_arrays` stacks a dataset into two arrays.

Real data sets, read from their usual folder layouts (they never download on their own; use
:func:`download` first):

* :class:`VOCSegmentation`: PASCAL VOC 2012, 21 classes (FCN);
* :class:`CamVid`: road scenes, SegNet layout, 11 classes (FC-DenseNet);
* :class:`ISBI2012`: EM slices of neuronal membranes (U-Net);
* :class:`OxfordPets`: pet / background from the Oxford-IIIT Pet trimaps.

:func:`download` fetches them (verified, atomic, within a deadline, safe extraction; see
:mod:`seglearn.datasets.fetch` and :mod:`seglearn.datasets.archives`). :data:`CATALOG`
(:mod:`seglearn.datasets.catalog`) lists every data set with its loader, splits, download key and
default size; the command line reads it.
:func:`read_image` reads an image file the way the loaders do; :func:`check_examples` reads every
example once, so that a bad file is reported before training rather than in the middle of it.
"""
from seglearn.datasets._base import (SegmentationDataset, check_examples,  # noqa: F401
                                     read_image, subset, to_arrays)
from seglearn.datasets.camvid import CAMVID_CLASSES, CAMVID_PALETTE, CamVid  # noqa: F401
from seglearn.datasets.catalog import (CATALOG, DOWNLOADS, dataset_paths,  # noqa: F401
                                       default_root, download, open_splits)
from seglearn.datasets.cells import CellsDataset  # noqa: F401
from seglearn.datasets.fetch import (ChecksumError, DownloadError,  # noqa: F401
                                     UnsafeArchiveError, download_url, extract_archive)
from seglearn.datasets.isbi import ISBI2012  # noqa: F401
from seglearn.datasets.pets import OxfordPets  # noqa: F401
from seglearn.datasets.shapes import ShapesDataset  # noqa: F401
from seglearn.datasets.voc import VOC_CLASSES, VOC_PALETTE, VOCSegmentation  # noqa: F401
