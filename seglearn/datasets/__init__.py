"""Datasets for semantic segmentation, all :class:`chainer.dataset.DatasetMixin`.

``dataset[i]`` is ``(img, label)``: ``img`` float32 ``(C, H, W)`` RGB (or grey) 0–255, ``label``
int32 ``(H, W)`` with ``-1`` = ignore. Every dataset has ``class_names``, ``n_class`` and
``palette`` (uint8 ``(n_class, 3)``).

Built in, generated from a seed, no download:

* :class:`ShapesDataset`: coloured shapes on textured backgrounds (FCN, FC-DenseNet chapters);
* :class:`CellsDataset`: touching cells separated by thin gaps, with instances (U-Net chapters).

:func:`to_arrays` stacks a dataset into two arrays.
"""
from seglearn.datasets._base import SegmentationDataset, to_arrays  # noqa: F401
from seglearn.datasets.cells import CellsDataset  # noqa: F401
from seglearn.datasets.shapes import ShapesDataset  # noqa: F401
