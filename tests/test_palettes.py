"""Tests of seglearn.palettes and of the data sets' own palettes (VOC, CamVid)."""
import numpy
import pytest

from seglearn.datasets import CAMVID_CLASSES, CAMVID_PALETTE, VOC_PALETTE
from seglearn.palettes import IGNORE_COLOR, default_palette, voc_colormap


def brute_voc_colour(i):
    """The VOC colour map written bit by bit, as in the devkit's description."""
    r = g = b = 0
    c = i
    for j in range(8):
        r |= ((c >> 0) & 1) << (7 - j)
        g |= ((c >> 1) & 1) << (7 - j)
        b |= ((c >> 2) & 1) << (7 - j)
        c >>= 3
    return r, g, b


def test_voc_palette_known_values():
    assert VOC_PALETTE.shape == (21, 3) and VOC_PALETTE.dtype == numpy.uint8
    assert tuple(VOC_PALETTE[0]) == (0, 0, 0)
    assert tuple(VOC_PALETTE[1]) == (128, 0, 0)      # aeroplane
    assert tuple(VOC_PALETTE[15]) == (192, 128, 128)  # person
    full = voc_colormap()
    assert full.shape == (256, 3)
    assert [tuple(c) for c in full] == [brute_voc_colour(i) for i in range(256)]
    assert tuple(full[255]) == (224, 224, 192)  # the colour of VOC's void border
    assert len({tuple(c) for c in full}) == 256


def test_camvid_palette():
    assert CAMVID_PALETTE.shape == (11, 3) and CAMVID_PALETTE.dtype == numpy.uint8
    assert len(CAMVID_CLASSES) == 11
    assert tuple(CAMVID_PALETTE[CAMVID_CLASSES.index('Road')]) == (128, 64, 128)
    assert tuple(CAMVID_PALETTE[CAMVID_CLASSES.index('Sky')]) == (128, 128, 128)
    assert len({tuple(c) for c in CAMVID_PALETTE}) == 11


@pytest.mark.parametrize('palette', [VOC_PALETTE, CAMVID_PALETTE, default_palette(256)])
def test_ignore_colour_differs_from_every_palette_colour(palette):
    assert not (palette == IGNORE_COLOR).all(axis=1).any()


def test_default_palette():
    p = default_palette(256)
    assert p.dtype == numpy.uint8 and p.shape == (256, 3)
    assert tuple(p[0]) == (0, 0, 0)
    assert len({tuple(c) for c in p}) == 256
    for n in (1, 2, 5, 21, 40):
        numpy.testing.assert_array_equal(default_palette(n), p[:n])
    for bad in (0, 257, 2.5, True):
        with pytest.raises(ValueError, match='n must be an int'):
            default_palette(bad)
    with pytest.raises(ValueError, match='1..256'):
        voc_colormap(0)


def test_default_palette_follows_matplotlibs_tab20():
    colormaps = pytest.importorskip('matplotlib').colormaps
    tab20 = (numpy.asarray(colormaps['tab20'].colors) * 255).round().astype(numpy.uint8)
    p = default_palette(21)
    numpy.testing.assert_array_equal(p[1:11], tab20[0::2])
    numpy.testing.assert_array_equal(p[11:21], tab20[1::2])
    numpy.testing.assert_array_equal(default_palette(30)[21:], voc_colormap(30)[21:])


def test_palettes_need_no_matplotlib():
    import subprocess
    import sys
    code = ('import sys, seglearn.palettes, seglearn.datasets; '
            'print("matplotlib" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'False'
