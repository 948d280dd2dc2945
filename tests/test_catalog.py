"""The data-set catalogue: one entry per data set, read by the command line and by download()."""
import os

import numpy
import pytest

import seglearn  # noqa: F401
from seglearn import datasets
from seglearn.datasets import CATALOG, DOWNLOADS, catalog, default_root, open_splits


def test_every_entry_is_complete_and_consistent():
    assert list(CATALOG) == ['shapes', 'cells', 'voc', 'camvid', 'isbi', 'pets']
    for name, entry in CATALOG.items():
        assert issubclass(entry.loader, datasets.SegmentationDataset), name
        if entry.splits is None:  # generated: its arguments, nothing to download
            assert entry.options is not None and entry.download is None and entry.source is None
            assert entry.loader(n=1, size=40, **entry.options)[0][1].shape == (40, 40)
        else:  # a folder layout: splits, a source, and a download key of its own
            assert entry.options is None and entry.source is DOWNLOADS[entry.download]
            assert len(entry.splits) == (1 if entry.held_out else 2)
    assert len(DOWNLOADS) == 4
    assert CATALOG['voc'].download == 'voc2012' and CATALOG['isbi'].download == 'isbi2012'


def test_sources_live_beside_their_loaders():
    from seglearn.datasets import camvid, isbi, pets, voc
    for module in (voc, camvid, pets, isbi):
        entry = next(e for e in CATALOG.values() if e.loader.__module__ == module.__name__)
        assert entry.source is module.SOURCE


def test_default_root(monkeypatch, tmp_path):
    monkeypatch.setenv('SEGLEARN_DATA', str(tmp_path))
    assert default_root() == str(tmp_path)
    monkeypatch.delenv('SEGLEARN_DATA')
    assert default_root() == os.path.expanduser('~/seglearn_data')


def _write_isbi(root, pages):
    from PIL import Image
    rng = numpy.random.RandomState(0)
    stacks = {'train-volume.tif': rng.randint(0, 256, (pages, 8, 8)),
              'train-labels.tif': 255 * (rng.rand(pages, 8, 8) > 0.5)}
    for filename, stack in stacks.items():
        frames = [Image.fromarray(page.astype(numpy.uint8)) for page in stack]
        frames[0].save(os.path.join(root, filename), save_all=True, append_images=frames[1:])
    return stacks['train-volume.tif']


def test_open_splits_holds_out_the_last_isbi_slices(tmp_path):
    volume = _write_isbi(str(tmp_path), pages=8)
    train, val = open_splits('isbi', str(tmp_path))
    assert (len(train), len(val)) == (3, 5)
    numpy.testing.assert_array_equal(val[0][0][0], volume[3])
    numpy.testing.assert_array_equal(train[2][0][0], volume[2])
    assert train.class_names == val.class_names == ['membrane', 'cell']


def test_open_splits_reads_the_two_named_splits(tmp_path):
    from PIL import Image
    rng = numpy.random.RandomState(0)
    for split, n in (('train', 3), ('val', 2)):
        for folder in (split, split + 'annot'):
            os.makedirs(tmp_path / folder)
        for i in range(n):
            name = '{}.png'.format(i)
            Image.fromarray((rng.rand(6, 7, 3) * 255).astype(numpy.uint8)).save(
                tmp_path / split / name)
            Image.fromarray(rng.randint(0, 12, (6, 7)).astype(numpy.uint8)).save(
                tmp_path / (split + 'annot') / name)
    train, val = open_splits('camvid', str(tmp_path))
    assert (len(train), len(val)) == (3, 2) and (train.split, val.split) == ('train', 'val')


def test_open_splits_errors(tmp_path):
    for bad in ('shapes', 'mnist'):
        with pytest.raises(ValueError, match='voc, camvid, isbi, pets'):
            open_splits(bad, str(tmp_path))
    with pytest.raises(FileNotFoundError, match='train-volume.tif'):
        open_splits('isbi', str(tmp_path))


def test_the_download_module_name_is_free():
    # seglearn.datasets.download is the function; no module of that name hides behind it
    assert callable(datasets.download) and datasets.download is catalog.download
    assert not os.path.exists(os.path.join(os.path.dirname(datasets.__file__), 'download.py'))


@pytest.mark.parametrize('pages', [1, 5])
def test_an_isbi_stack_with_no_more_pages_than_held_out_is_a_clear_error(tmp_path, pages):
    _write_isbi(str(tmp_path), pages=pages)  # open_splits cut it to an empty training set
    with pytest.raises(ValueError, match='has {} examples: it needs more than 5'.format(pages)):
        open_splits('isbi', str(tmp_path))
