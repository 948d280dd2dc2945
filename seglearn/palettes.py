"""Colours for class ids: the colour of ignored pixels, the PASCAL VOC colour map, defaults.

A *palette* is an ``(n_class, 3)`` uint8 array indexed by class id; painting a label map is
``palette[label]``. Data sets keep their own palettes beside their class names
(:data:`seglearn.datasets.VOC_PALETTE`, :data:`seglearn.datasets.CAMVID_PALETTE`); everything
else uses :func:`default_palette`. :mod:`seglearn.visualize` draws with any palette it is given.

This module needs NumPy only, so that data sets can hand out colours without loading matplotlib.
"""
import numpy

from seglearn._checks import is_int

IGNORE_COLOR = numpy.array([255, 255, 255], dtype=numpy.uint8)
"""Colour of ignored pixels (label -1): white, which no palette here uses."""

# matplotlib's 'tab20' colour map (Tableau's 20 colours, a strong colour then its light version),
# as 0-255 RGB; tests/test_palettes.py checks it against matplotlib itself.
_TAB20 = numpy.array([
    [31, 119, 180], [174, 199, 232], [255, 127, 14], [255, 187, 120], [44, 160, 44],
    [152, 223, 138], [214, 39, 40], [255, 152, 150], [148, 103, 189], [197, 176, 213],
    [140, 86, 75], [196, 156, 148], [227, 119, 194], [247, 182, 210], [127, 127, 127],
    [199, 199, 199], [188, 189, 34], [219, 219, 141], [23, 190, 207], [158, 218, 229],
], dtype=numpy.uint8)


def _check_count(n):
    if not is_int(n) or not 1 <= n <= 256:
        raise ValueError('n must be an int in 1..256; got {!r}'.format(n))
    return int(n)


def voc_colormap(n=256):
    """The PASCAL VOC colour map: bits of the class id interleaved into R, G, B.

    Bit ``3k`` of the id goes to bit ``7 − k`` of red, bit ``3k + 1`` to green, bit ``3k + 2``
    to blue: background (0) black, aeroplane (1) dark red (128, 0, 0), …, person (15) pink
    (192, 128, 128).

    Args:
        n (int): number of colours, 1–256.

    Returns:
        numpy.ndarray: uint8 ``(n, 3)``.
    """
    ids = numpy.arange(_check_count(n))
    cmap = numpy.zeros((len(ids), 3), dtype=numpy.int64)
    for k in range(8):
        for channel in range(3):
            bit = (ids >> (3 * k + channel)) & 1
            cmap[:, channel] |= bit << (7 - k)
    return cmap.astype(numpy.uint8)


def default_palette(n):
    """Distinct colours for ``n`` classes: black for class 0, then matplotlib's tab20 colours
    (the ten strong ones first, then their light versions), then VOC colour-map entries.

    ``default_palette(n)`` is a prefix of ``default_palette(m)`` for ``n < m``, so a class keeps
    its colour whatever the number of classes shown.

    Args:
        n (int): number of classes, 1–256.

    Returns:
        numpy.ndarray: uint8 ``(n, 3)``, all rows different and none equal to :data:`IGNORE_COLOR`.
    """
    n = _check_count(n)
    colours = numpy.concatenate([numpy.zeros((1, 3), numpy.uint8), _TAB20[0::2], _TAB20[1::2],
                                 voc_colormap(256)[21:]])
    return colours[:n].copy()
