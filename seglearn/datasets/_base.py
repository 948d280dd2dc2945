"""What every seglearn dataset shares: indexing rules, class names, palette, file readers.

A segmentation dataset is a :class:`chainer.dataset.DatasetMixin` whose ``get_example(i)``
returns ``(img, label)``:

* ``img``: float32 ``(C, H, W)``, RGB (or one grey channel), values 0–255;
* ``label``: int32 ``(H, W)``, one class id per pixel, ``-1`` where the pixel is ignored.

This module also holds the small helpers the generated and the real-layout datasets have in
common, so that no dataset repeats them.
"""
import contextlib
import os
import struct

import chainer
import numpy

from seglearn.palettes import default_palette


class SegmentationDataset(chainer.dataset.DatasetMixin):
    """Base class: ``len()``, index checking, ``class_names``, ``n_class`` and ``palette``.

    Subclasses set ``class_names`` (a list of str, class id = position) and implement
    ``__len__`` and ``_get(i)`` for a checked, non-negative index ``i``.
    """

    class_names = []

    @property
    def n_class(self):
        """int: Number of classes (the ignore label -1 is not a class)."""
        return len(self.class_names)

    @property
    def palette(self):
        """numpy.ndarray: uint8 ``(n_class, 3)`` colours, row ``c`` for class ``c``."""
        return default_palette(self.n_class)

    def __len__(self):
        raise NotImplementedError

    def _get(self, i):
        raise NotImplementedError

    def _index(self, i):
        """Checks ``i`` and returns it as a non-negative int (negative ``i`` counts from the end)."""
        if isinstance(i, (bool, numpy.bool_)) or not isinstance(i, (int, numpy.integer)):
            raise TypeError('index must be an int, got {!r}'.format(type(i).__name__))
        n = len(self)
        if not -n <= i < n:
            raise IndexError('index {} is out of range for a dataset of {} examples'.format(i, n))
        return int(i) % n

    def get_example(self, i):
        """Returns example ``i``.

        Args:
            i (int): Index, ``-len(self) <= i < len(self)``.

        Returns:
            tuple: ``img`` float32 ``(C, H, W)`` 0–255 and ``label`` int32 ``(H, W)``
            (``-1`` = ignore).

        Raises:
            IndexError: ``i`` is out of range.
        """
        return self._get(self._index(i))

    def arrays(self):
        """All examples stacked; see :func:`to_arrays`."""
        return to_arrays(self)


def to_arrays(dataset, indices=None):
    """Materialises a dataset into two arrays.

    Args:
        dataset: Anything indexable returning ``(img, label)`` pairs of one common shape.
        indices (iterable of int or None): Which examples (default: all, in order).

    Returns:
        tuple: ``imgs`` float32 ``(N, C, H, W)`` and ``labels`` int32 ``(N, H, W)``.

    Raises:
        ValueError: The dataset is empty or its examples differ in shape.
    """
    if indices is None:
        indices = range(len(dataset))
    examples = [dataset[i] for i in indices]
    if not examples:
        raise ValueError('to_arrays needs at least one example, got an empty selection')
    shapes = {(img.shape, label.shape) for img, label in examples}
    if len(shapes) != 1:
        raise ValueError('to_arrays needs examples of one shape, got {}: crop or resize first'
                         .format(sorted(shapes)))
    imgs = numpy.stack([img for img, _ in examples]).astype(numpy.float32, copy=False)
    labels = numpy.stack([label for _, label in examples]).astype(numpy.int32, copy=False)
    return imgs, labels


def subset(dataset, start, stop):
    """Examples ``start:stop`` of a dataset (a view, no copy), keeping its ``class_names``.

    Returns:
        chainer.datasets.SubDataset: with the ``class_names`` of ``dataset``.
    """
    sub = chainer.datasets.SubDataset(dataset, start, stop)
    sub.class_names = dataset.class_names
    return sub


def require(path, layout):
    """Returns ``path`` if it exists, else raises a FileNotFoundError naming it and the layout.

    Args:
        path (str): The file or folder that must exist.
        layout (str): The expected directory layout, printed in the error message.
    """
    if not os.path.exists(path):
        raise FileNotFoundError('missing {!r}. Expected layout:\n{}'.format(path, layout))
    return path


def to_0_255(values, path):
    """8-bit values as float32, 16-bit ones scaled to 0–255 (divided by 257, so 65535 → 255).

    Args:
        values (numpy.ndarray): pixel values, uint8 or uint16 (or int32 holding 16-bit values,
            as Pillow gives for some 16-bit files).
        path (str): the file they came from (for the error message).

    Returns:
        numpy.ndarray: float32, same shape, 0–255.

    Raises:
        ValueError: another kind of values (float, negative, beyond 16 bits).
    """
    if values.dtype == numpy.uint8:
        return values.astype(numpy.float32)
    if values.dtype.kind in 'iu' and (values.size == 0 or (values.min() >= 0
                                                          and values.max() <= 65535)):
        return values.astype(numpy.float32) / numpy.float32(257)
    raise ValueError('{!r} holds {} pixel values; seglearn reads 8-bit and 16-bit images: '
                     'convert it to one of them'.format(path, values.dtype))


@contextlib.contextmanager
def reading(path):
    """Reports a file that Pillow cannot read (damaged, truncated, not an image) as a
    ``ValueError`` naming it; a missing file stays a ``FileNotFoundError``."""
    from PIL import Image
    try:
        yield
    except FileNotFoundError:
        raise
    except (OSError, SyntaxError, TypeError, ValueError, EOFError, struct.error,
            Image.DecompressionBombError) as error:  # what Pillow's readers raise
        raise ValueError('cannot read {!r} (damaged, truncated or not an image?): {}'.format(
            path, ' '.join(str(error).split()) or type(error).__name__)) from None


def read_image(path, mode='RGB'):
    """Reads an image file (PNG, JPEG, TIFF, …) as seglearn's images are: float32 CHW 0–255.

    16-bit grey images are scaled to 0–255 (divided by 257: their full range maps onto 8 bits'
    one, without clipping); images of 32-bit integers or floats are refused.

    Args:
        path (str): the file.
        mode (str): ``'RGB'`` gives ``(3, H, W)``, ``'L'`` (grey) ``(1, H, W)``; other colour
            modes of the file (CMYK, RGBA, palette) are converted.

    Returns:
        numpy.ndarray: float32 ``(C, H, W)``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file cannot be read, or holds 32-bit or floating-point pixels.
    """
    from PIL import Image
    with reading(path), Image.open(path) as f:
        deep = f.mode.startswith('I') or f.mode == 'F'  # 16-bit: I;16…, or I in older Pillow
        img = numpy.asarray(f) if deep else numpy.asarray(f.convert(mode), dtype=numpy.float32)
    if deep:
        grey = to_0_255(img, path)[None]
        return grey if mode == 'L' else numpy.repeat(grey, 3, axis=0)
    return img[None] if img.ndim == 2 else img.transpose(2, 0, 1)


def read_label(path):
    """Reads the raw integer values of a label image (palette indices for palette PNGs).

    Returns:
        numpy.ndarray: int32 ``(H, W)``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: The file cannot be read, or stores colours (RGB) rather than class indices.
    """
    from PIL import Image
    with reading(path), Image.open(path) as f:
        file_mode = f.mode
        if file_mode in ('P', 'L', 'I', 'I;16'):
            return numpy.asarray(f, dtype=numpy.int32).copy()
    raise ValueError('{!r} is a {} image; a label image must store class indices (mode P or L), '
                     'not colours'.format(path, file_mode))


def map_values(raw, table, path):
    """Maps raw label values to class ids through ``table``.

    Args:
        raw (numpy.ndarray): int32 ``(H, W)`` values read from ``path``.
        table (dict): ``{raw value: class id}``; class id ``-1`` means ignore.
        path (str): The file the values came from (for the error message).

    Returns:
        numpy.ndarray: int32 ``(H, W)``.

    Raises:
        ValueError: ``raw`` holds a value that ``table`` does not know.
    """
    unknown = sorted(set(numpy.unique(raw).tolist()) - set(table))
    if unknown:
        raise ValueError('{!r} holds label values {} outside the expected {}'
                         .format(path, unknown[:10], sorted(table)))
    lookup = numpy.zeros(max(table) + 1, dtype=numpy.int32)
    for value, class_id in table.items():
        lookup[value] = class_id
    return lookup[raw]


class FilePairDataset(SegmentationDataset):
    """A dataset of ``(image file, label file)`` pairs; subclasses set ``_pairs`` and ``_table``.

    ``_table`` maps the raw values of the label files to class ids (see :func:`map_values`).
    """

    _pairs = ()
    _table = {}

    def __len__(self):
        return len(self._pairs)

    def _get(self, i):
        img_path, label_path = self._pairs[i]
        img = read_image(img_path)
        label = map_values(read_label(label_path), self._table, label_path)
        if img.shape[1:] != label.shape:
            raise ValueError('{!r} is {}×{} but its label {!r} is {}×{}'.format(
                img_path, img.shape[1], img.shape[2], label_path, *label.shape))
        return img, label


def read_lines(path):
    """Non-empty, non-comment lines of a text file, stripped."""
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def read_ids(path, layout):
    """The first word of each line of a split file, which must name at least one image.

    Raises:
        ValueError: the file names no image (the message shows ``layout``).
    """
    ids = [line.split()[0] for line in read_lines(path)]
    if not ids:
        raise ValueError('{!r} lists no image. Expected layout:\n{}'.format(path, layout))
    return ids


def check_examples(dataset, what='the data set'):
    """Read every example once, so that a bad file is reported now rather than mid-training.

    A label value outside the data set's table, an image and label of different sizes, a
    missing, truncated or unreadable file: the loader's own error, with the example's index.

    Args:
        dataset: anything indexable giving ``(img, label, …)`` examples.
        what (str): how the message names the data set.

    Returns:
        set of tuple: the ``(H, W)`` sizes of the labels.

    Raises:
        ValueError: ``dataset`` is empty, or an example cannot be read (the message names it).
    """
    if len(dataset) == 0:
        raise ValueError('{} holds no example'.format(what))
    sizes = set()
    for i in range(len(dataset)):
        try:
            sizes.add(tuple(dataset[i][1].shape))
        except (OSError, ValueError) as error:  # the loaders' errors (Pillow's made ValueError)
            raise ValueError('example {} of {}: {}'.format(
                i, what, ' '.join(str(error).split()))) from None
    return sizes
