"""The data-set catalogue: every data set seglearn knows, in one table, and ``download``.

:data:`CATALOG` maps the name the command line uses (``--data NAME`` or ``--data NAME:PATH``)
to a :class:`DataSetEntry`: the loader class, its training and validation splits, the key and
source of :func:`download`, and, for the built-in generated sets, the generator's arguments.
:data:`DOWNLOADS` (download key → source) is derived from it. A new data set is its module (the
loader, its class names and palette, its :class:`~seglearn.datasets.fetch.DataSource`) plus one
entry here.

Downloaded data sets live under :func:`default_root` unless you say otherwise::

    root = download('pets', default_root())   # about 800 MB
    train, val = open_splits('pets', root)
"""
import collections
import json
import os

from seglearn.datasets import _base, camvid, cells, fetch, isbi, pets, shapes, voc


class DataSetEntry(collections.namedtuple('DataSetEntry', 'loader splits held_out download '
                                                           'source options')):
    """One data set of the catalogue.

    Attributes:
        loader: the dataset class.
        splits (tuple of str or None): the (training, validation) splits of a real data set, or
            its one split when the validation set is held out of it; None for a generated set.
        held_out (int or None): the last ``held_out`` examples of that one split validate.
        download (str or None): its key of :func:`download` (None: nothing to download).
        source (DataSource or None): where :func:`download` gets it.
        options (dict or None): a generated set's arguments besides ``n``, ``size`` and ``seed``
            (the image size comes from the model's recipe, :mod:`seglearn.recipes`); None for
            real data.
    """
    __slots__ = ()


DataSetEntry.__new__.__defaults__ = (None, None, None, None, None)

#: dict: name → :class:`DataSetEntry`, the built-in generated sets first.
CATALOG = {
    # the style of chapters 06, 07 and 11: one to three circles on a flat background
    'shapes': DataSetEntry(shapes.ShapesDataset, options=dict(
        max_shapes=3, radius=(0.15, 0.3), texture='flat', classes=('background', 'circle'))),
    'cells': DataSetEntry(cells.CellsDataset, options={}),
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
        ValueError: ``name`` is not a real data set of the catalogue, or a split is empty (a
            split file that lists nothing, an ISBI stack with no more pages than it holds out).
        FileNotFoundError: ``root`` does not hold the data set's layout (the loader's message).
    """
    entry = CATALOG.get(name)
    if entry is None or entry.splits is None:
        raise ValueError('name must be one of {}, got {!r}'.format(
            ', '.join(n for n, e in CATALOG.items() if e.splits), name))
    if entry.held_out is None:
        return entry.loader(root, entry.splits[0]), entry.loader(root, entry.splits[1])
    full = entry.loader(root, entry.splits[0])
    if len(full) <= entry.held_out:
        raise ValueError('the {} data in {} has {} examples: it needs more than {}, since the last '
                         '{} validate'.format(name, root, len(full), entry.held_out,
                                              entry.held_out))
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


def manifest_path(name, root):
    """The file where :func:`download` records the size and SHA-256 of the files of data set
    ``name`` that have no published checksum (``root/.seglearn-NAME-files.json``)."""
    return os.path.join(root, '.seglearn-{}-files.json'.format(name))


def _read_manifest(path):
    try:
        with open(path) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _matches(path, entry):
    """Whether ``path`` has the size and SHA-256 that ``entry`` records."""
    return (isinstance(entry, dict) and os.path.getsize(path) == entry.get('size')
            and fetch.file_digest(path) == entry.get('sha256'))


def _check_opens(name, path):
    """Open every data set of the catalogue that download key ``name`` provides (a truncated
    ISBI stack fails here); raises the loader's error."""
    for entry_name, entry in CATALOG.items():
        if entry.download == name:
            open_splits(entry_name, path)


def download(name, root, progress=True, keep_archives=False, deadline=fetch.DEADLINE):
    """Downloads and unpacks data set ``name`` under ``root``; returns the path for its loader.

    Files already downloaded (and verified) are not fetched again; a data set already unpacked
    by an earlier call is left as it is.

    A file without a published checksum (CamVid, ISBI 2012) cannot be told from one cut short
    when the server sends no length, so it is checked by use: an archive that fails to unpack is
    deleted, and the data set must open with its loader, else the unverified files are deleted.
    Once it passed, the size and SHA-256 of each such file kept on disk is recorded
    (:func:`manifest_path`), and a later call deletes and fetches again a copy that no longer
    matches.

    Args:
        name (str): A key of :data:`DOWNLOADS` (the catalogue's download keys): ``'voc2012'``,
            ``'camvid'``, ``'pets'`` or ``'isbi2012'``.
        root (str): Folder to download into (created when missing).
        progress (bool): Show progress bars.
        keep_archives (bool): Keep the downloaded archives after extraction.
        deadline (float or None): seconds each file's download may take
            (:func:`~seglearn.datasets.fetch.download_url`).

    Returns:
        str: The folder to pass to the data set's loader.

    Raises:
        ValueError: ``name`` is unknown.
        DownloadError: a transfer failed, or a file without a published checksum proved damaged
            (it was deleted: call again).
        ChecksumError, UnsafeArchiveError: See
            :func:`~seglearn.datasets.fetch.download_url` and
            :func:`~seglearn.datasets.archives.extract_archive`.
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
    manifest = _read_manifest(manifest_path(name, root))
    unverified = []  # files kept on disk with no published checksum
    for r in source.resources:
        file = os.path.join(root, r.filename)
        published = bool(r.sha256 or r.md5)
        if not published and os.path.isfile(file) and r.filename in manifest and \
                not _matches(file, manifest[r.filename]):
            os.remove(file)  # changed since it was recorded: fetch it again
        fetch.download_url(r.url, file, sha256=r.sha256, md5=r.md5, progress=progress,
                           deadline=deadline)
        if r.extract:
            try:
                fetch.extract_archive(file, root)
            except fetch.UnsafeArchiveError:
                raise
            except ValueError as error:  # damaged: most likely cut short in transfer
                if published:
                    raise
                os.remove(file)
                raise fetch.DownloadError('{} (a download cut short?); it was deleted: call '
                                          'download again'.format(error)) from None
            if not keep_archives:
                os.remove(file)
                continue
        if not published:
            unverified.append(file)
    try:
        _check_opens(name, path)
    except (OSError, ValueError) as error:
        for file in unverified:
            os.remove(file)
        raise fetch.DownloadError('{} does not open after the download: {}{}'.format(
            name, ' '.join(str(error).split()),
            '; its unverified files were deleted: call download again' if unverified else ''
        )) from None
    records = {os.path.basename(f): {'size': os.path.getsize(f), 'sha256': fetch.file_digest(f)}
               for f in unverified}
    if records:
        with open(manifest_path(name, root), 'w') as f:
            json.dump(records, f, indent=1)
    with open(done, 'w') as f:
        f.write(source.note + '\n')
    return path
