"""The generated datasets: types, determinism, content properties, bad arguments."""
import numpy
import pytest
from scipy import ndimage
from skimage import draw

import seglearn  # noqa: F401
import chainer
from seglearn.datasets import CellsDataset, ShapesDataset, to_arrays
from seglearn.datasets.shapes import SHAPES, shape_mask
from seglearn.datasets._synth import pixel_grid


# ---------------------------------------------------------------- common to both

@pytest.mark.parametrize('make', [lambda: ShapesDataset(n=5, size=(40, 56)),
                                  lambda: CellsDataset(n=5, size=(48, 64))])
def test_types_shapes_and_indexing(make):
    ds = make()
    assert isinstance(ds, chainer.dataset.DatasetMixin)
    assert len(ds) == 5
    h, w = ds.size
    for img, label in [ds[0], ds[4], ds[-1]]:
        assert img.dtype == numpy.float32 and label.dtype == numpy.int32
        assert img.ndim == 3 and img.shape[1:] == (h, w) and label.shape == (h, w)
        assert img.min() >= 0 and img.max() <= 255
        assert label.min() >= 0 and label.max() < ds.n_class
    numpy.testing.assert_array_equal(ds[-1][0], ds[4][0])
    assert len(ds[1:3]) == 2  # DatasetMixin slicing
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(IndexError):
        ds[-6]
    with pytest.raises(TypeError):
        ds.get_example(1.0)
    assert ds.n_class == len(ds.class_names)


def test_palette_is_the_default_palette():
    from seglearn.palettes import default_palette
    for ds in (ShapesDataset(n=1), CellsDataset(n=1)):
        assert ds.palette.dtype == numpy.uint8 and ds.palette.shape == (ds.n_class, 3)
        numpy.testing.assert_array_equal(ds.palette, default_palette(ds.n_class))


@pytest.mark.parametrize('cls', [ShapesDataset, CellsDataset])
def test_same_seed_same_data_other_seed_other_data(cls):
    a, b, c = cls(n=3, size=48, seed=1), cls(n=3, size=48, seed=1), cls(n=3, size=48, seed=2)
    for i in range(3):
        numpy.testing.assert_array_equal(a[i][0], b[i][0])
        numpy.testing.assert_array_equal(a[i][1], b[i][1])
        assert not numpy.array_equal(a[i][0], c[i][0])
    assert not numpy.array_equal(a[0][0], a[1][0])
    # example i does not depend on n, nor on which examples were generated before
    numpy.testing.assert_array_equal(cls(n=10, size=48, seed=1)[2][0], a[2][0])


def test_to_arrays():
    ds = ShapesDataset(n=4, size=32)
    imgs, labels = to_arrays(ds)
    assert imgs.shape == (4, 3, 32, 32) and imgs.dtype == numpy.float32
    assert labels.shape == (4, 32, 32) and labels.dtype == numpy.int32
    numpy.testing.assert_array_equal(imgs[2], ds[2][0])
    imgs2, labels2 = ds.arrays()
    numpy.testing.assert_array_equal(labels2, labels)
    sub_imgs, sub_labels = to_arrays(ds, [3, 1])
    numpy.testing.assert_array_equal(sub_labels[0], labels[3])
    with pytest.raises(ValueError, match='empty'):
        to_arrays(ds, [])
    mixed = [ds[0], ShapesDataset(n=1, size=40)[0]]
    with pytest.raises(ValueError, match='one shape'):
        to_arrays(mixed)


# ---------------------------------------------------------------- shapes

def test_every_class_appears_and_background_dominates_less_than_all():
    ds = ShapesDataset(n=40, size=64, seed=0)
    _, labels = to_arrays(ds)
    counts = numpy.bincount(labels.ravel(), minlength=ds.n_class)
    assert (counts > 0).all()
    assert 0.5 < counts[0] / counts.sum() < 0.95


def test_all_shape_classes_can_be_requested():
    ds = ShapesDataset(n=40, size=48, classes=('background',) + SHAPES)
    _, labels = to_arrays(ds)
    assert set(numpy.unique(labels)) == set(range(len(SHAPES) + 1))
    assert ds.class_names == ['background'] + list(SHAPES)


def test_label_is_exactly_where_shapes_were_drawn():
    # flat background, no noise, no blur: a pixel differs from the background colour iff
    # the label says a shape covers it
    ds = ShapesDataset(n=20, size=48, texture='flat', noise=0, blur=0)
    for i in range(len(ds)):
        img, label = ds[i]
        bg = img[:, label == 0]
        assert bg.size > 0
        colour = bg[:, 0]
        numpy.testing.assert_array_equal(bg, numpy.broadcast_to(colour[:, None], bg.shape))
        differs = (img != colour[:, None, None]).any(axis=0)
        numpy.testing.assert_array_equal(differs, label > 0)


def test_later_shapes_occlude_earlier_ones_in_the_label():
    ds = ShapesDataset(n=30, size=64, max_shapes=6)
    grid = pixel_grid(ds.size)
    for i in range(len(ds)):
        label = ds[i][1]
        expected = numpy.zeros(ds.size, dtype=numpy.int32)
        for s in ds.scene(i):
            expected[shape_mask(s['shape'], *grid, s['center'], s['radius'], s['angle'])] = \
                s['class_id']
        numpy.testing.assert_array_equal(label, expected)
    counts = [len(ds.scene(i)) for i in range(len(ds))]
    assert min(counts) >= 1 and max(counts) <= 6 and len(set(counts)) > 2


def _polygon_mask(vertices, size):
    rr, cc = draw.polygon([v[0] for v in vertices], [v[1] for v in vertices], shape=size)
    mask = numpy.zeros(size, dtype=bool)
    mask[rr, cc] = True
    return mask


def _agree(a, b):
    """a and b differ only on pixels at the outline of either (rasterisation conventions)."""
    edge = (a ^ ndimage.binary_erosion(a)) | (b ^ ndimage.binary_erosion(b))
    edge = ndimage.binary_dilation(edge)
    return not ((a ^ b) & ~edge).any() and (a & b).sum() > 0.8 * max(a.sum(), b.sum())


@pytest.mark.parametrize('seed', range(6))
def test_shape_geometry_matches_skimage_drawing(seed):
    rng = numpy.random.default_rng(seed)
    size = (80, 80)
    grid = pixel_grid(size)
    cy, cx, r, a = 40 + rng.uniform(-5, 5), 40 + rng.uniform(-5, 5), rng.uniform(8, 20), \
        rng.uniform(0, 2 * numpy.pi)
    # circle
    rr, cc = draw.disk((cy, cx), r, shape=size)
    disk = numpy.zeros(size, dtype=bool)
    disk[rr, cc] = True
    assert _agree(shape_mask('circle', *grid, (cy, cx), r, a), disk)
    # square: half-side 0.886 r, corners at angle a + 45° + k·90°
    half = 0.886 * r * numpy.sqrt(2)
    square = [(cy + half * numpy.sin(a + numpy.pi / 4 + k * numpy.pi / 2),
               cx + half * numpy.cos(a + numpy.pi / 4 + k * numpy.pi / 2)) for k in range(4)]
    assert _agree(shape_mask('square', *grid, (cy, cx), r, a), _polygon_mask(square, size))
    # triangle: circumradius 1.3 r, one vertex at angle a + 90°
    tri = [(cy + 1.3 * r * numpy.sin(a + numpy.pi / 2 + 2 * k * numpy.pi / 3),
            cx + 1.3 * r * numpy.cos(a + numpy.pi / 2 + 2 * k * numpy.pi / 3)) for k in range(3)]
    assert _agree(shape_mask('triangle', *grid, (cy, cx), r, a), _polygon_mask(tri, size))
    # ring = disk minus the inner disk
    rr, cc = draw.disk((cy, cx), 0.55 * r, shape=size)
    hole = numpy.zeros(size, dtype=bool)
    hole[rr, cc] = True
    assert _agree(shape_mask('ring', *grid, (cy, cx), r, a), disk & ~hole)


def test_shape_mask_rejects_unknown_shape():
    with pytest.raises(ValueError, match='hexagon'):
        shape_mask('hexagon', *pixel_grid((8, 8)), (4, 4), 2, 0)


def test_colour_does_not_give_the_class():
    # the mean colours of two classes overlap widely: no colour threshold separates them
    ds = ShapesDataset(n=60, size=48, seed=3)
    colours = {c: [] for c in range(1, ds.n_class)}
    for i in range(len(ds)):
        for s in ds.scene(i):
            colours[s['class_id']].append(s['color'])
    for c, cs in colours.items():
        cs = numpy.array(cs)
        assert len(cs) > 10 and (cs.std(axis=0) > 40).all()


@pytest.mark.parametrize('texture', ['gradient', 'stripes', 'mixed'])
def test_textured_backgrounds_are_not_flat(texture):
    ds = ShapesDataset(n=5, size=48, texture=texture, noise=0, blur=0)
    for i in range(len(ds)):
        img, label = ds[i]
        assert img[:, label == 0].std(axis=1).max() > 2.0


def test_shapes_rejects_bad_arguments():
    with pytest.raises(ValueError, match='n must be'):
        ShapesDataset(n=-1)
    with pytest.raises(TypeError, match='n must be an int'):
        ShapesDataset(n=2.5)
    with pytest.raises(ValueError, match='size'):
        ShapesDataset(size=8)
    with pytest.raises(TypeError, match='size'):
        ShapesDataset(size=(32, 32, 3))
    with pytest.raises(ValueError, match='seed'):
        ShapesDataset(seed=-1)
    with pytest.raises(ValueError, match='max_shapes'):
        ShapesDataset(max_shapes=0)
    with pytest.raises(ValueError, match='classes'):
        ShapesDataset(classes=('circle', 'square'))
    with pytest.raises(ValueError, match='classes'):
        ShapesDataset(classes=('background', 'hexagon'))
    with pytest.raises(ValueError, match='texture'):
        ShapesDataset(texture='plaid')
    with pytest.raises(ValueError, match='noise'):
        ShapesDataset(noise=-1)
    with pytest.raises(ValueError, match='radius'):
        ShapesDataset(radius=(0.3, 0.1))
    with pytest.raises(ValueError, match='radius'):
        ShapesDataset(radius=0.2)


# ---------------------------------------------------------------- cells

def _touching_pairs(instances, distance):
    """Pairs of distinct cells that come within ``distance`` pixels (Chebyshev) of each other."""
    pairs = set()
    ids = [i for i in numpy.unique(instances) if i > 0]
    for i in ids:
        grown = ndimage.binary_dilation(instances == i, iterations=distance,
                                        structure=numpy.ones((3, 3), bool))
        pairs |= {(i, j) for j in numpy.unique(instances[grown]) if j > i}
    return pairs


def test_cells_label_is_instances_above_zero():
    ds = CellsDataset(n=4, size=96)
    for i in range(len(ds)):
        img, label = ds[i]
        assert img.shape == (1, 96, 96)
        inst = ds.instances(i)
        assert inst.dtype == numpy.int32 and inst.shape == (96, 96)
        numpy.testing.assert_array_equal(label, (inst > 0).astype(numpy.int32))
        ids = numpy.unique(inst)
        numpy.testing.assert_array_equal(ids, numpy.arange(ids.size))  # numbered 0..k
        assert ids.size > 5
        assert 0.4 < label.mean() < 0.95
    assert ds.class_names == ['background', 'cell']


@pytest.mark.parametrize('gap', [1, 2, 3])
def test_cells_touch_only_across_gaps_of_the_requested_width(gap):
    ds = CellsDataset(n=3, size=96, gap=(gap, gap), seed=4)
    for i in range(len(ds)):
        inst = ds.instances(i)
        # no two cells closer than the gap (Chebyshev distance: 8-adjacent = distance 1)...
        assert not _touching_pairs(inst, gap)
        # ...but many pairs exactly across a gap: cells are packed, the gaps are thin
        assert len(_touching_pairs(inst, gap + 1)) >= 10


def test_gap_pixels_are_background_between_two_cells():
    ds = CellsDataset(n=2, size=96, gap=(1, 1))
    inst = ds.instances(0)
    label = ds[0][1]
    # background pixels with two different cells among their 8 neighbours
    hi = ndimage.maximum_filter(inst, size=3)
    lo = ndimage.minimum_filter(numpy.where(inst > 0, inst, inst.max() + 1), size=3)
    between = (inst == 0) & (lo <= inst.max()) & (hi > lo)
    assert between.sum() > 50
    assert (label[between] == 0).all()


def test_gaps_are_darker_than_cells_on_average():
    ds = CellsDataset(n=3, size=96, noise=0)
    for i in range(len(ds)):
        img, label = ds[i]
        assert img[0][label == 1].mean() > img[0][label == 0].mean() + 30


def test_cells_rejects_bad_arguments():
    with pytest.raises(ValueError, match='size'):
        CellsDataset(size=16)
    with pytest.raises(ValueError, match='gap'):
        CellsDataset(gap=(0, 2))
    with pytest.raises(ValueError, match='gap'):
        CellsDataset(gap=(3, 1))
    with pytest.raises(ValueError, match='gap'):
        CellsDataset(gap=2)
    with pytest.raises(ValueError, match='cell_size'):
        CellsDataset(cell_size=2)
    with pytest.raises(ValueError, match='empty'):
        CellsDataset(empty=1.0)
    with pytest.raises(ValueError, match='blur'):
        CellsDataset(blur=-0.5)
    with pytest.raises(IndexError):
        CellsDataset(n=2).instances(2)
