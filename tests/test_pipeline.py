"""Tests of seglearn.pipeline: augmentation, U-Net's padding and weight maps, resizing."""
import os

import numpy
import pytest

import seglearn  # noqa: F401

from seglearn.pipeline import WeightMapDataset, augment, pad_for_valid_unet, resized
from seglearn.training import make_trainer
from small import examples as _data


@pytest.mark.filterwarnings('ignore::seglearn.serialization.UnrecordedArgumentWarning')
def test_pad_for_valid_unet_lines_up_outputs_and_labels(tmp_path, capsys):
    from seglearn.models import UNet
    from seglearn.models.unet import unet_output_size
    data = pad_for_valid_unet(_data(4, size=10, weights=True), depth=2)
    img, label, weight = data[0]
    (img0, label0, weight0), = _data(1, size=10, weights=True)
    out = unet_output_size(img.shape[1], 2)
    assert label.shape == weight.shape == (out, out) and out >= 10
    numpy.testing.assert_array_equal(label[:10, :10], label0)
    assert (label[10:] == -1).all() and (label[:, 10:] == -1).all()
    assert (weight[10:] == 0).all()
    margin = (img.shape[1] - out) // 2
    numpy.testing.assert_array_equal(img[:, margin:margin + 10, margin:margin + 10], img0)
    # the mirror: the row above the image is its second row
    numpy.testing.assert_array_equal(img[:, margin - 1, margin:margin + 10], img0[:, 1])
    numpy.random.seed(0)
    unet = UNet(n_class=4, in_channels=3, depth=2, base=4)
    pairs = pad_for_valid_unet(_data(4, size=10), depth=2)
    make_trainer(unet, data, pairs, epochs=1, batch_size=2, device='@numpy', out=str(tmp_path),
                 progress=False).run()
    assert os.path.exists(os.path.join(str(tmp_path), 'best_model.npz'))


def test_augment_keeps_labels_aligned_and_is_seeded():
    rng = numpy.random.RandomState(0)
    data = []
    for _ in range(3):
        img = (rng.rand(3, 12, 15) * 255).astype(numpy.float32)
        data.append((img, (img[0] > 127).astype(numpy.int32)))  # label is a function of pixels
    aug = augment(data, crop=(8, 9), x_flip=True, y_flip=True)
    numpy.random.seed(1)
    first = [aug[i] for i in range(3)]
    for img, label in first:
        assert img.shape == (3, 8, 9) and label.shape == (8, 9)
        numpy.testing.assert_array_equal(label, (img[0] > 127).astype(numpy.int32))
    numpy.random.seed(1)
    for (a, b), (c, d) in zip(first, [aug[i] for i in range(3)]):
        numpy.testing.assert_array_equal(a, c)
        numpy.testing.assert_array_equal(b, d)
    numpy.random.seed(2)
    assert any(not numpy.array_equal(a[0], aug[i][0]) for i, a in enumerate(first))
    img, label = augment(data, elastic=True, x_flip=False)[0]
    assert img.shape == (3, 12, 15) and set(numpy.unique(label)) <= {0, 1}
    with pytest.raises(ValueError, match=r'\(img, label\)'):
        augment([(data[0][0],)])[0]


def test_augment_moves_weight_maps_with_labels():
    rng = numpy.random.RandomState(1)
    img = (rng.rand(1, 14, 15) * 255).astype(numpy.float32)
    label = (img[0] > 127).astype(numpy.int32)
    weight = img[0] / 255 + 1  # a function of the pixels too
    aug = augment([(img, label, weight)], crop=(9, 10), x_flip=True, y_flip=True)
    for seed in range(4):
        numpy.random.seed(seed)
        a, b, c = aug[0]
        assert a.shape == (1, 9, 10) and b.shape == c.shape == (9, 10)
        numpy.testing.assert_array_equal(b, (a[0] > 127).astype(numpy.int32))
        numpy.testing.assert_allclose(c, a[0] / 255 + 1, rtol=1e-6)
    numpy.random.seed(0)
    _, _, w = augment([(img, label, weight)], elastic=True)[0]
    assert w.shape == (14, 15) and w.min() >= 0


def test_weight_map_dataset():
    from seglearn.datasets import CellsDataset
    from seglearn.losses import unet_weight_map
    cells = CellsDataset(n=2, size=40, seed=3)
    data = WeightMapDataset(cells, w0=5, sigma=3)
    assert len(data) == 2 and data.class_names == cells.class_names
    img, label, weight = data[1]
    numpy.testing.assert_array_equal(img, cells[1][0])
    numpy.testing.assert_array_equal(label, cells[1][1])
    numpy.testing.assert_array_equal(weight, unet_weight_map(cells.instances(1), w0=5, sigma=3))
    with pytest.raises(TypeError, match='instances'):
        WeightMapDataset(_data(2))


def test_weight_map_dataset_cache_computes_each_map_once(spy):
    from seglearn import pipeline
    from seglearn.datasets import CellsDataset
    cells = CellsDataset(n=3, size=40, seed=3)
    calls = spy(pipeline, 'unet_weight_map')
    cached, fresh = WeightMapDataset(cells, cache=True), WeightMapDataset(cells)
    first = [cached[i] for i in range(3)]
    again = [cached[i] for i in range(3)]
    assert len(calls) == 3
    for a, b, c in zip(first, again, [fresh[i] for i in range(3)]):
        assert all(x is y for x, y in zip(a, b))
        for x, y in zip(a, c):
            numpy.testing.assert_array_equal(x, y)
    assert len(calls) == 6  # the uncached dataset computed its maps on access


def test_resized_keeps_labels_and_class_names():
    from seglearn.datasets import ShapesDataset
    from seglearn.transforms import resize_image, resize_label
    shapes = ShapesDataset(n=2, size=32, seed=0)
    small = resized(shapes, (20, 24))
    img, label = small[1]
    assert img.shape == (3, 20, 24) and label.shape == (20, 24) and label.dtype == numpy.int32
    numpy.testing.assert_array_equal(img, resize_image(shapes[1][0], (20, 24)))
    numpy.testing.assert_array_equal(label, resize_label(shapes[1][1], (20, 24)))
    assert small.class_names == shapes.class_names and len(small) == 2
