"""The data-set catalogue: every data set seglearn knows, in one table, and ``download``.

:data:`CATALOG` maps the name the command line uses (``--data NAME`` or ``--data NAME:PATH``)
to a :class:`DataSetEntry`: the loader class, its training and validation splits, the key and
source of :func:`download`, and, for the built-in generated sets, the default image size.
:data:`DOWNLOADS` (download key → source) is derived from it. A new data set is its module (the
loader, its class names and palette, its :class:`~seglearn.datasets.fetch.DataSource`) plus one
entry here.

Downloaded data sets live under :func:`default_root` unless you say otherwise::

    root = download('pets', default_root())   # about 800 MB
    train, val = open_splits('pets', root)
"""
import collections
import os

from seglearn.datasets import _base, camvid, cells, fetch, isbi, pets, shapes, voc


class DataSetEntry(collections.namedtuple('DataSetEntry', 'loader splits held_out download '
                                                           'source size')):
    """One data set of the catalogue.

    Attributes:
        loader: the dataset class.
        splits (tuple of str or None): the (training, validation) splits of a real data set, or
            its one split when the validation set is held out of it; None for a generated set.
        held_out (int or None): the last ``held_out`` examples of that one split validate.
        download (str or None): its key of :func:`download` (None: nothing to download).
        source (DataSource or None): where :func:`download` gets it.
        size (int or None): a generated set's default image size (None for real data).
    """
    __slots__ = ()


DataSetEntry.__new__.__defaults__ = (None, None, None, None, None)

#: dict: name → :class:`DataSetEntry`, the built-in generated sets first.
CATALOG = {
    'shapes': DataSetEntry(shapes.ShapesDataset, size=64),
    'cells': DataSetEntry(cells.CellsDataset, size=128),
    'voc': DataSetEntry(voc.VOCSegmentation, ('train', 'val'), download='voc2012',
                        source=voc.SOURCE),
    'camvid': DataSetEntry(camvid.CamVid, ('train', 'val'), download='camvid',
                           source=camvid.SOURCE),
    'isbi': DataSetEntry(isbi.ISBI2012, ('train',), held_out=5, download='isbi2012',
                         source=isbi.SOURCE),
    'pets': DataSetEntry(pets.OxfordPets, ('trainval', 'test'), download='pets',
                         source=pets.SOURCE),
}

#: dict: download key → :class:`~seglearn.datasets.fetch.DataSource`, from :data:`CATALOG`.
DOWNLOADS = {entry.download: entry.source for entry in CATALOG.values() if entry.download}


def default_root():
    """The folder holding downloaded data sets: ``$SEGLEARN_DATA`` or ``~/seglearn_data``."""
    return os.path.expanduser(os.environ.get('SEGLEARN_DATA') or '~/seglearn_data')


def open_splits(name, root):
    """The training and validation sets of a real data set of the catalogue.

    Args:
        name (str): a key of :data:`CATALOG` with splits (``'voc'``, ``'camvid'``, ``'isbi'``,
            ``'pets'``).
        root (str): the folder to give its loader.

    Returns:
        tuple: ``(train, val)`` datasets, both with ``class_names``.

    Raises:
        ValueError: ``name`` is not a real data set of the catalogue.
        FileNotFoundError: ``root`` does not hold the data set's layout (the loader's message).
    """
    entry = CATALOG.get(name)
    if entry is None or entry.splits is None:
        raise ValueError('name must be one of {}, got {!r}'.format(
            ', '.join(n for n, e in CATALOG.items() if e.splits), name))
    if entry.held_out is None:
        return entry.loader(root, entry.splits[0]), entry.loader(root, entry.splits[1])
    full = entry.loader(root, entry.splits[0])
    return (_base.subset(full, 0, len(full) - entry.held_out),
            _base.subset(full, len(full) - entry.held_out, len(full)))


def dataset_paths(name, root):
    """Where :func:`download` leaves data set ``name`` (a key of :data:`DOWNLOADS`) under ``root``.

    Returns:
        tuple of str: ``(marker, folder)``: the file written when the download completed, and the
        folder to give the data set's loader.
    """
    return (os.path.join(root, '.seglearn-{}-complete'.format(name)),
            os.path.normpath(os.path.join(root, DOWNLOADS[name].path)))


def download(name, root, progress=True, keep_archives=False):
    """Downloads and unpacks data set ``name`` under ``root``; returns the path for its loader.

    Files already downloaded (and verified) are not fetched again; a data set already unpacked
    by an earlier call is left as it is.

    Args:
        name (str): A key of :data:`DOWNLOADS` (the catalogue's download keys): ``'voc2012'``,
            ``'camvid'``, ``'pets'`` or ``'isbi2012'``.
        root (str): Folder to download into (created when missing).
        progress (bool): Show progress bars.
        keep_archives (bool): Keep the downloaded archives after extraction.

    Returns:
        str: The folder to pass to the data set's loader.

    Raises:
        ValueError: ``name`` is unknown.
        DownloadError, ChecksumError, UnsafeArchiveError: See
            :func:`~seglearn.datasets.fetch.download_url` and
            :func:`~seglearn.datasets.fetch.extract_archive`.
    """
    if name not in DOWNLOADS:
        raise ValueError('name must be one of {}, got {!r}'.format(', '.join(sorted(DOWNLOADS)),
                                                                     name))
    source = DOWNLOADS[name]
    root = os.fspath(root)
    done, path = dataset_paths(name, root)
    if os.path.exists(done):
        return path
    os.makedirs(root, exist_ok=True)
    for r in source.resources:
        file = fetch.download_url(r.url, os.path.join(root, r.filename), sha256=r.sha256,
                                  md5=r.md5, progress=progress)
        if r.extract:
            fetch.extract_archive(file, root)
            if not keep_archives:
                os.remove(file)
    with open(done, 'w') as f:
        f.write(source.note + '\n')
    return path
