"""The real-layout loaders, on small fake trees written with Pillow under tmp_path."""
import os

import numpy
import pytest
from PIL import Image

import seglearn  # noqa: F401
import chainer
from seglearn.datasets import (CAMVID_CLASSES, VOC_CLASSES, CamVid, ISBI2012, OxfordPets,
                               VOCSegmentation, to_arrays)
from seglearn.datasets._base import map_values, read_label

RNG = numpy.random.default_rng(0)


def _write_jpeg(path, h=20, w=30, mode='RGB'):
    shape = (h, w, 3) if mode == 'RGB' else (h, w)
    Image.fromarray(RNG.integers(0, 256, shape, dtype=numpy.uint8), mode).save(path, quality=95)


def _write_palette_png(path, indices):
    img = Image.fromarray(indices.astype(numpy.uint8), 'P')
    # a colour table whose colours are not the indices: reading RGB would give other numbers
    img.putpalette([(7 * k + 3) % 256 for k in range(768)])
    img.save(path)


def _expected_image(path):
    with Image.open(path) as f:
        return numpy.asarray(f.convert('RGB')).transpose(2, 0, 1).astype(numpy.float32)


def _check_example(img, label, channels=3):
    assert img.dtype == numpy.float32 and label.dtype == numpy.int32
    assert img.shape == (channels,) + label.shape


# ---------------------------------------------------------------- VOC

@pytest.fixture
def voc_tree(tmp_path):
    base = tmp_path / 'VOCdevkit' / 'VOC2012'
    for d in ('ImageSets/Segmentation', 'JPEGImages', 'SegmentationClass'):
        (base / d).mkdir(parents=True)
    labels = {}
    for k, name in enumerate(['2007_000032', '2007_000039', '2008_000001']):
        _write_jpeg(base / 'JPEGImages' / (name + '.jpg'))
        lab = RNG.integers(0, 21, (20, 30))
        lab[0, :] = 255
        lab[1, 0], lab[1, 1] = 0, 20
        _write_palette_png(base / 'SegmentationClass' / (name + '.png'), lab)
        labels[name] = lab
    (base / 'ImageSets/Segmentation/train.txt').write_text('2007_000032\n2007_000039\n')
    (base / 'ImageSets/Segmentation/val.txt').write_text('2008_000001\n')
    (base / 'ImageSets/Segmentation/trainval.txt').write_text(
        '2007_000032\n2007_000039\n2008_000001\n')
    return tmp_path, base, labels


def test_voc_reads_indices_and_maps_void(voc_tree):
    parent, base, labels = voc_tree
    ds = VOCSegmentation(base, 'train')
    assert isinstance(ds, chainer.dataset.DatasetMixin)
    assert len(ds) == 2 and ds.ids == ['2007_000032', '2007_000039']
    assert ds.n_class == 21 and ds.class_names == VOC_CLASSES and ds.class_names[0] == 'background'
    img, label = ds[1]
    _check_example(img, label)
    expected = numpy.where(labels['2007_000039'] == 255, -1, labels['2007_000039'])
    numpy.testing.assert_array_equal(label, expected)
    numpy.testing.assert_array_equal(
        img, _expected_image(base / 'JPEGImages' / '2007_000039.jpg'))
    with pytest.raises(IndexError):
        ds[2]


@pytest.mark.parametrize('where', ['VOC2012', 'VOCdevkit', 'parent'])
def test_voc_root_may_be_the_folder_or_a_parent(voc_tree, where):
    parent, base, _ = voc_tree
    root = {'VOC2012': base, 'VOCdevkit': base.parent, 'parent': parent}[where]
    assert len(VOCSegmentation(str(root), 'trainval')) == 3
    assert len(VOCSegmentation(str(root), 'val')) == 1


def test_voc_missing_files_name_the_path(voc_tree, tmp_path):
    _, base, _ = voc_tree
    os.remove(base / 'SegmentationClass' / '2007_000039.png')
    with pytest.raises(FileNotFoundError) as e:
        VOCSegmentation(base, 'train')
    assert str(base / 'SegmentationClass' / '2007_000039.png') in str(e.value)
    assert 'JPEGImages' in str(e.value)  # the expected layout is printed
    empty = tmp_path / 'nothing'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='train.txt'):
        VOCSegmentation(empty)
    with pytest.raises(ValueError, match='split'):
        VOCSegmentation(base, 'test')


def test_voc_rejects_rgb_labels_and_unknown_values(voc_tree):
    _, base, _ = voc_tree
    path = base / 'SegmentationClass' / '2007_000032.png'
    Image.fromarray(numpy.zeros((20, 30, 3), numpy.uint8)).save(path)
    ds = VOCSegmentation(base, 'train')
    with pytest.raises(ValueError, match='RGB'):
        ds[0]
    _write_palette_png(path, numpy.full((20, 30), 30))
    with pytest.raises(ValueError, match=r'\[30\]'):
        ds[0]
    _write_palette_png(path, numpy.zeros((10, 30)))
    with pytest.raises(ValueError, match='its label'):
        ds[0]


def test_voc_palette():
    from seglearn.palettes import voc_colormap
    ds = VOCSegmentation.__new__(VOCSegmentation)
    numpy.testing.assert_array_equal(ds.palette, voc_colormap()[:21])
    assert ds.palette.shape == (21, 3)


# ---------------------------------------------------------------- CamVid

@pytest.fixture
def camvid_tree(tmp_path):
    labels = {}
    for split, n in (('train', 3), ('val', 1), ('test', 2)):
        (tmp_path / split).mkdir()
        (tmp_path / (split + 'annot')).mkdir()
        for k in range(n):
            name = '0001TP_{:06d}.png'.format(k)
            Image.fromarray(RNG.integers(0, 256, (18, 24, 3), dtype=numpy.uint8)).save(
                tmp_path / split / name)
            lab = RNG.integers(0, 12, (18, 24)).astype(numpy.uint8)
            lab[0, :12] = numpy.arange(12)
            Image.fromarray(lab, 'L').save(tmp_path / (split + 'annot') / name)
            labels[split, k] = lab
    return tmp_path, labels


def test_camvid_reads_layout_and_maps_void(camvid_tree):
    root, labels = camvid_tree
    ds = CamVid(root, 'train')
    assert len(ds) == 3 and len(CamVid(root, 'val')) == 1 and len(CamVid(root, 'test')) == 2
    assert ds.n_class == 11 and ds.class_names == CAMVID_CLASSES
    img, label = ds[2]
    _check_example(img, label)
    raw = labels['train', 2].astype(numpy.int32)  # uint8 cannot hold -1 (NumPy 2 refuses)
    numpy.testing.assert_array_equal(label, numpy.where(raw == 11, -1, raw))
    assert label.min() == -1 and label.max() == 10
    numpy.testing.assert_array_equal(img, _expected_image(root / 'train' / ds.names[2]))
    imgs, labs = to_arrays(ds)
    assert imgs.shape == (3, 3, 18, 24) and labs.shape == (3, 18, 24)


def test_camvid_errors(camvid_tree, tmp_path):
    root, _ = camvid_tree
    missing = root / 'valannot' / '0001TP_000000.png'
    os.remove(missing)
    with pytest.raises(FileNotFoundError) as e:
        CamVid(root, 'val')
    assert str(missing) in str(e.value) and 'trainannot' in str(e.value)
    with pytest.raises(FileNotFoundError, match='testannot'):
        os.rename(root / 'testannot', root / 'elsewhere')
        CamVid(root, 'test')
    with pytest.raises(ValueError, match='split'):
        CamVid(root, 'trainval')
    for f in os.listdir(root / 'train'):
        os.remove(root / 'train' / f)
    with pytest.raises(ValueError, match='no .png'):
        CamVid(root, 'train')


def test_camvid_palette():
    from seglearn.datasets import CAMVID_PALETTE
    ds = CamVid.__new__(CamVid)
    numpy.testing.assert_array_equal(ds.palette, CAMVID_PALETTE[:11])


# ---------------------------------------------------------------- ISBI 2012

def _write_stack(path, pages):
    images = [Image.fromarray(p) for p in pages]
    images[0].save(path, save_all=True, append_images=images[1:])


@pytest.fixture
def isbi_tree(tmp_path):
    volume = RNG.integers(0, 256, (4, 32, 40), dtype=numpy.uint8)
    labels = numpy.where(RNG.random((4, 32, 40)) < 0.8, 255, 0).astype(numpy.uint8)
    _write_stack(tmp_path / 'train-volume.tif', volume)
    _write_stack(tmp_path / 'train-labels.tif', labels)
    return tmp_path, volume, labels


def test_isbi_reads_multipage_tiff(isbi_tree):
    tifffile = pytest.importorskip('tifffile')
    root, volume, labels = isbi_tree
    numpy.testing.assert_array_equal(tifffile.imread(root / 'train-volume.tif'), volume)
    ds = ISBI2012(root)
    assert len(ds) == 4 and ds.class_names == ['membrane', 'cell'] and ds.n_class == 2
    for i in range(4):
        img, label = ds[i]
        _check_example(img, label, channels=1)
        numpy.testing.assert_array_equal(img[0], volume[i].astype(numpy.float32))
        numpy.testing.assert_array_equal(label, (labels[i] == 255).astype(numpy.int32))
    assert set(numpy.unique(ds[0][1])) == {0, 1}


def test_isbi_errors(isbi_tree):
    root, volume, labels = isbi_tree
    with pytest.raises(ValueError, match='split'):
        ISBI2012(root, 'test')
    _write_stack(root / 'train-labels.tif', labels[:3])
    with pytest.raises(ValueError, match='shape'):
        ISBI2012(root)
    os.remove(root / 'train-labels.tif')
    with pytest.raises(FileNotFoundError) as e:
        ISBI2012(root)
    assert str(root / 'train-labels.tif') in str(e.value)


# ---------------------------------------------------------------- Oxford-IIIT Pet

@pytest.fixture
def pets_tree(tmp_path):
    (tmp_path / 'images').mkdir()
    (tmp_path / 'annotations' / 'trimaps').mkdir(parents=True)
    names = ['Abyssinian_1', 'beagle_12', 'Bombay_3']
    trimaps = {}
    for k, name in enumerate(names):
        _write_jpeg(tmp_path / 'images' / (name + '.jpg'), 16, 22, mode='L' if k == 1 else 'RGB')
        tri = RNG.integers(1, 4, (16, 22)).astype(numpy.uint8)
        Image.fromarray(tri, 'L').save(tmp_path / 'annotations' / 'trimaps' / (name + '.png'))
        trimaps[name] = tri
    (tmp_path / 'annotations' / 'trainval.txt').write_text(
        'Abyssinian_1 1 1 1\nbeagle_12 13 2 2\n')
    (tmp_path / 'annotations' / 'test.txt').write_text('Bombay_3 8 1 3\n')
    return tmp_path, trimaps


def test_pets_maps_trimaps(pets_tree):
    root, trimaps = pets_tree
    ds = OxfordPets(root, 'trainval')
    assert len(ds) == 2 and ds.names == ['Abyssinian_1', 'beagle_12']
    assert ds.class_names == ['background', 'pet'] and ds.n_class == 2
    img, label = ds[1]  # a grey JPEG comes out as 3 equal channels
    _check_example(img, label)
    numpy.testing.assert_array_equal(img[0], img[2])
    tri = trimaps['beagle_12']
    numpy.testing.assert_array_equal(label[tri == 1], 1)
    numpy.testing.assert_array_equal(label[tri == 2], 0)
    numpy.testing.assert_array_equal(label[tri == 3], -1)
    border = OxfordPets(root, 'test', keep_border=True)
    assert border.class_names == ['background', 'pet', 'border'] and border.n_class == 3
    numpy.testing.assert_array_equal(border[0][1][trimaps['Bombay_3'] == 3], 2)


def test_pets_errors(pets_tree):
    root, _ = pets_tree
    with pytest.raises(ValueError, match='split'):
        OxfordPets(root, 'train')
    with pytest.raises(TypeError, match='keep_border'):
        OxfordPets(root, keep_border=1)
    os.remove(root / 'images' / 'Bombay_3.jpg')
    with pytest.raises(FileNotFoundError) as e:
        OxfordPets(root, 'test')
    assert str(root / 'images' / 'Bombay_3.jpg') in str(e.value)
    Image.fromarray(numpy.full((16, 22), 4, numpy.uint8), 'L').save(
        root / 'annotations' / 'trimaps' / 'Abyssinian_1.png')
    with pytest.raises(ValueError, match=r'\[4\]'):
        OxfordPets(root)[0]


# ---------------------------------------------------------------- helpers

def test_map_values_and_read_label(tmp_path):
    raw = numpy.array([[0, 1], [255, 1]], numpy.int32)
    numpy.testing.assert_array_equal(map_values(raw, {0: 0, 1: 1, 255: -1}, 'x.png'),
                                     [[0, 1], [-1, 1]])
    with pytest.raises(ValueError, match="'x.png'.*255"):
        map_values(raw, {0: 0, 1: 1}, 'x.png')
    path = tmp_path / 'l.png'
    _write_palette_png(path, numpy.array([[3, 4]]))
    numpy.testing.assert_array_equal(read_label(path), [[3, 4]])
    assert read_label(path).dtype == numpy.int32


# ---------------------------------------------------------------- robustness (issue 16)

@pytest.mark.parametrize('split_file', ['voc', 'pets'])
@pytest.mark.parametrize('text', ['', '\n\n# only a comment\n'])
def test_an_empty_split_file_is_refused(voc_tree, pets_tree, split_file, text):
    if split_file == 'voc':
        _, base, _ = voc_tree
        (base / 'ImageSets/Segmentation/train.txt').write_text(text)
        with pytest.raises(ValueError, match='train.txt.* lists no image'):
            VOCSegmentation(base, 'train')
    else:
        root, _ = pets_tree
        (root / 'annotations' / 'trainval.txt').write_text(text)
        with pytest.raises(ValueError, match='trainval.txt.* lists no image'):
            OxfordPets(root, 'trainval')


def test_a_16_bit_png_is_scaled_to_0_255_not_clipped(tmp_path):
    from seglearn.datasets import read_image
    values = numpy.arange(0, 65536, 257 * 3, dtype=numpy.uint16)[:80].reshape(8, 10)
    Image.fromarray(values).save(tmp_path / 'deep.png')
    with Image.open(tmp_path / 'deep.png') as f:
        assert f.mode.startswith('I')  # Pillow reads it as 16-bit
    grey = read_image(tmp_path / 'deep.png', 'L')
    numpy.testing.assert_allclose(grey[0], values / 257.0, rtol=1e-6)
    assert grey.max() > 200 and (grey == 255).mean() < 0.05  # it was 99 % clipped at 255
    rgb = read_image(tmp_path / 'deep.png')
    assert rgb.shape == (3, 8, 10) and (rgb == grey).all()
    # 32-bit float pixels have no fixed range: refused, not guessed
    Image.fromarray(numpy.full((4, 4), 300.0, numpy.float32)).save(tmp_path / 'float.tif')
    with pytest.raises(ValueError, match='float.tif.*float32 pixel values'):
        read_image(tmp_path / 'float.tif')


def test_an_isbi_16_bit_volume_is_scaled_to_0_255(isbi_tree):
    root, volume, labels = isbi_tree
    deep = volume.astype(numpy.uint16) * 257
    _write_stack(root / 'train-volume.tif', deep)
    ds = ISBI2012(root)
    assert ds.volume.dtype == numpy.uint16  # the file is 16-bit
    numpy.testing.assert_allclose(ds[1][0][0], volume[1].astype(numpy.float32), rtol=1e-6)
    _write_stack(root / 'train-volume.tif', volume.astype(numpy.float32))
    with pytest.raises(ValueError, match='train-volume.tif.*float32 pixel values'):
        ISBI2012(root)


def test_check_examples_finds_a_bad_label_or_size_before_training(camvid_tree):
    from seglearn.datasets import check_examples
    root = camvid_tree[0]
    ds = CamVid(root, 'train')
    check_examples(ds, 'camvid train')  # a sound tree passes
    names = ds.names
    Image.fromarray(numpy.full((36, 48), 255, numpy.uint8), 'L').save(
        os.path.join(root, 'trainannot', names[-1]))
    with pytest.raises(ValueError, match=r'example {} of camvid train: .*\[255\]'.format(
            len(names) - 1)):
        check_examples(CamVid(root, 'train'), 'camvid train')
    Image.fromarray(numpy.zeros((10, 12), numpy.uint8), 'L').save(
        os.path.join(root, 'trainannot', names[-1]))
    with pytest.raises(ValueError, match='example .* but its label'):
        check_examples(CamVid(root, 'train'), 'camvid train')
    with pytest.raises(ValueError, match='holds no example'):
        check_examples([], 'nothing')
