"""Fetching files safely: streamed, verified, atomic, and archives extracted with care.

The loaders (:class:`~seglearn.datasets.VOCSegmentation` and the others) never download
anything. :func:`seglearn.datasets.download` fetches one data set of the catalogue
(:mod:`seglearn.datasets.catalog`) into a folder you choose, with the tools of this module;
each data set's module records where its files come from (a :class:`DataSource`).

What happens underneath, and why:

* :func:`download_url` streams the file in chunks (a tqdm bar shows progress) into a temporary
  file next to the target, checks its SHA-256 (or MD5) *before* anything uses it, and only then
  renames it into place (``os.replace`` is atomic). A failed, corrupted or interrupted (Ctrl-C)
  download leaves no half-written file behind.
* :func:`extract_archive` unpacks ``.tar``, ``.tar.gz/.bz2/.xz`` and ``.zip`` archives, but first
  checks every member and refuses the whole archive if one would land outside the target folder
  (an absolute path, a ``..`` that climbs out, a symbolic or hard link pointing outside, a device
  file or FIFO). An archive from the internet is untrusted input: Python 3.12's tarfile filters
  help, but we check ourselves so that Python 3.11 is protected too.

Checksums: MD5 sums are given where the data set's publisher or long-standing public loaders
(torchvision) agree on them (VOC 2012, Oxford-IIIT Pet). None is recorded for CamVid (GitHub
builds its branch archive on the fly, so its bytes are not guaranteed stable) nor for ISBI 2012
(no published checksum we could confirm); those files are used unverified.
"""
import collections
import hashlib
import os
import re
import stat
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

from tqdm import tqdm  # a text bar: works in terminals and notebooks, needs no ipywidgets

Resource = collections.namedtuple('Resource', 'url filename sha256 md5 extract')
Resource.__doc__ = """One file of a data set: where from, its name on disk, its checksums (None when
unknown) and whether it is an archive to extract."""

DataSource = collections.namedtuple('DataSource', 'resources path size note')
DataSource.__doc__ = """A downloadable data set: its files, the folder (relative to ``root``) to
pass to the loader, its approximate download size and a note for the user."""

class DownloadError(OSError):
    """A download failed (HTTP error, connection error, incomplete transfer)."""


class ChecksumError(DownloadError):
    """A downloaded file does not have the expected checksum (it was not kept)."""


class UnsafeArchiveError(ValueError):
    """An archive holds a member that would be written outside the target folder."""


def _check_digest(value, name, length):
    if value is not None and not (isinstance(value, str)
                                  and re.fullmatch('[0-9a-fA-F]{%d}' % length, value)):
        raise ValueError('{} must be None or {} hex digits, got {!r}'.format(name, length, value))
    return value.lower() if value else None


def file_digest(path, algorithm='sha256', chunk_size=1 << 20):
    """Hex digest of a file, read in chunks.

    Args:
        path (str): The file.
        algorithm (str): A :mod:`hashlib` name, e.g. ``'sha256'`` or ``'md5'``.
        chunk_size (int): Bytes read at a time.

    Returns:
        str: Lower-case hex digest.
    """
    h = hashlib.new(algorithm)
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            h.update(chunk)
    return h.hexdigest()


def download_url(url, path, sha256=None, md5=None, progress=True, chunk_size=1 << 20,
                 timeout=60):
    """Downloads ``url`` to ``path``: streamed, checksum-verified, renamed into place at the end.

    An existing ``path`` that matches the given checksums (or any existing ``path`` when none
    is given) is kept and nothing is downloaded.

    Args:
        url (str): An ``http://`` or ``https://`` URL.
        path (str): Destination file; its folder is created when missing.
        sha256 (str or None): Expected SHA-256 (64 hex digits); None skips the check.
        md5 (str or None): Expected MD5 (32 hex digits); None skips the check.
        progress (bool): Show a tqdm progress bar.
        chunk_size (int): Bytes read at a time.
        timeout (float): Seconds to wait for the server before giving up.

    Returns:
        str: ``path``.

    Raises:
        ValueError: ``url`` is not http(s), or a checksum is malformed.
        DownloadError: The server answered with an error, or the transfer failed or was cut.
        ChecksumError: The file's checksum differs; nothing is left at ``path``.
    """
    scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else None
    if scheme not in ('http', 'https'):
        raise ValueError('url must be an http:// or https:// URL, got {!r}'.format(url))
    expected = {'sha256': _check_digest(sha256, 'sha256', 64), 'md5': _check_digest(md5, 'md5', 32)}
    expected = {k: v for k, v in expected.items() if v}
    path = os.fspath(path)
    if os.path.isfile(path) and all(file_digest(path, k) == v for k, v in expected.items()):
        return path
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + os.path.basename(path) + '.',
                               suffix='.part')
    try:
        hashes = {k: hashlib.new(k) for k in expected}
        with os.fdopen(fd, 'wb') as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)
            except urllib.error.HTTPError as e:
                raise DownloadError('downloading {} failed: HTTP {} {}'.format(
                    url, e.code, e.reason)) from e
            except (urllib.error.URLError, OSError) as e:
                raise DownloadError('downloading {} failed: {}'.format(
                    url, getattr(e, 'reason', e))) from e
            with response:
                total = response.headers.get('Content-Length')
                total = int(total) if total and total.isdigit() else None
                received = 0
                with tqdm(total=total, unit='B', unit_scale=True, unit_divisor=1024,
                          desc=os.path.basename(path), disable=not progress) as bar:
                    while True:
                        try:
                            chunk = response.read(chunk_size)
                        except OSError as e:  # includes http.client.IncompleteRead
                            raise DownloadError('downloading {} failed after {} bytes: {}'
                                                .format(url, received, e)) from e
                        if not chunk:
                            break
                        out.write(chunk)
                        for h in hashes.values():
                            h.update(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
            if total is not None and received != total:
                raise DownloadError('downloading {} failed: got {} of {} bytes'.format(
                    url, received, total))
        for name, value in expected.items():
            got = hashes[name].hexdigest()
            if got != value:
                raise ChecksumError('{} of {} is {}, expected {}: the file was deleted '
                                    '(corrupted or changed upstream)'.format(name, url, got,
                                                                              value))
        os.replace(tmp, path)
    except BaseException:  # errors and Ctrl-C alike: never leave the partial file behind
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _inside(root, path):
    """Whether ``path`` (already normalised) is ``root`` or lies under it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _member_path(target, name, member_kind):
    """The normalised destination of archive member ``name``; raises when it escapes."""
    if not name or name.startswith(('/', '\\')) or re.match(r'^[A-Za-z]:', name):
        raise UnsafeArchiveError('{} {!r} has an absolute path'.format(member_kind, name))
    parts = re.split(r'[/\\]', name)
    if '..' in parts:
        raise UnsafeArchiveError('{} {!r} contains ".."'.format(member_kind, name))
    dest = os.path.normpath(os.path.join(target, *parts))
    if not _inside(target, dest):
        raise UnsafeArchiveError('{} {!r} would be written outside {!r}'.format(
            member_kind, name, target))
    return dest


def _check_link(target, name, link, hard):
    """Refuses a link whose target lies outside ``target``."""
    if link.startswith(('/', '\\')) or re.match(r'^[A-Za-z]:', link):
        raise UnsafeArchiveError('link {!r} points to the absolute path {!r}'.format(name, link))
    base = target if hard else os.path.dirname(os.path.join(target, *name.split('/')))
    dest = os.path.normpath(os.path.join(base, *link.split('/')))
    if not _inside(target, dest):
        raise UnsafeArchiveError('link {!r} points outside {!r} (to {!r})'.format(
            name, target, link))


def _check_tar(tar, target):
    for m in tar.getmembers():
        _member_path(target, m.name, 'member')
        if m.ischr() or m.isblk() or m.isfifo() or m.isdev():
            raise UnsafeArchiveError('member {!r} is a device file or FIFO'.format(m.name))
        if m.issym() or m.islnk():
            _check_link(target, m.name, m.linkname, hard=m.islnk())
        elif not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError('member {!r} has an unsupported type'.format(m.name))


def _check_zip(archive, target):
    for info in archive.infolist():
        _member_path(target, info.filename, 'member')
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):  # zipfile writes it as a small file holding the link text
            _check_link(target, info.filename, archive.read(info).decode('utf-8', 'replace'),
                        hard=False)
        elif stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsafeArchiveError('member {!r} is a device file or FIFO'.format(info.filename))


def _check_resolved(root, name):
    """Refuses a member whose destination, links resolved, is outside ``root`` (a link
    extracted earlier, or one already in the target folder, could redirect it)."""
    if not _inside(root, os.path.realpath(_member_path(root, name, 'member'))):
        raise UnsafeArchiveError('member {!r} would be written through a link to outside {!r}'
                                 .format(name, root))


def extract_archive(archive, target):
    """Extracts a tar (plain, gz, bz2, xz) or zip archive into ``target``, refusing unsafe ones.

    Every member is checked before anything is written: if one has an absolute path, climbs
    out with ``..``, is a link pointing outside ``target``, or is a device file or FIFO, the
    whole archive is refused and nothing is extracted. (Python's zipfile writes a symbolic link
    of a zip archive as a small file holding the link's text.)

    Args:
        archive (str): The archive file.
        target (str): Folder to extract into (created when missing).

    Returns:
        str: ``target``.

    Raises:
        FileNotFoundError: ``archive`` does not exist.
        ValueError: ``archive`` is neither a tar nor a zip file.
        UnsafeArchiveError: A member would land outside ``target`` (nothing was extracted).
    """
    archive, target = os.fspath(archive), os.fspath(target)
    if not os.path.isfile(archive):
        raise FileNotFoundError('archive {!r} does not exist'.format(archive))
    os.makedirs(target, exist_ok=True)
    root = os.path.realpath(target)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            _check_zip(z, root)
            for info in z.infolist():
                _check_resolved(root, info.filename)
                z.extract(info, root)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            _check_tar(tar, root)
            for member in tar.getmembers():
                _check_resolved(root, member.name)
                if hasattr(tarfile, 'data_filter'):  # Python >= 3.11.4: a second safety net
                    tar.extract(member, root, filter='data')
                else:
                    tar.extract(member, root)
    else:
        raise ValueError('archive must be a tar or zip file, got {!r}'.format(archive))
    return target
