"""Fetching files safely: streamed, verified, atomic, within a deadline.

The loaders (:class:`~seglearn.datasets.VOCSegmentation` and the others) never download
anything. :func:`seglearn.datasets.download` fetches one data set of the catalogue
(:mod:`seglearn.datasets.catalog`) into a folder you choose, with the tools of this module and
of :mod:`seglearn.datasets.archives`; each data set's module records where its files come from
(a :class:`DataSource`).

What happens underneath, and why:

* :func:`download_url` streams the file in chunks (a tqdm bar shows progress) into a temporary
  file next to the target (``.NAME.<random>.part``, with the user's umask), checks its SHA-256
  (or MD5) *before* anything uses it, and only then renames it into place (``os.replace`` is
  atomic). A failed, corrupted or interrupted (Ctrl-C) download leaves no half-written file
  behind; a ``.part`` file left by a killed process is removed by the next download of that file.
  Every failure of the transfer — an HTTP error, a refused or dropped connection, a timeout, a
  response shorter than its ``Content-Length`` or a chunked response cut short — is a
  :class:`DownloadError`, and so is a transfer still running at its overall ``deadline`` (a
  server that sends one byte a second never trips a per-read timeout).
* :func:`~seglearn.datasets.archives.extract_archive` unpacks ``.tar``, ``.tar.gz/.bz2/.xz`` and
  ``.zip`` archives as untrusted input (see :mod:`seglearn.datasets.archives`).

Checksums: MD5 sums are given where the data set's publisher or long-standing public loaders
(torchvision) agree on them (VOC 2012, Oxford-IIIT Pet). None is published for CamVid (GitHub
builds its branch archive on the fly, so its bytes are not guaranteed stable) nor for ISBI 2012;
a response cut short without a ``Content-Length`` cannot be told from a whole one, so
:func:`~seglearn.datasets.catalog.download` checks those files by unpacking and opening them, and
records their sizes and SHA-256 once they passed (see there).
"""
import collections
import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request

from tqdm import tqdm  # a text bar: works in terminals and notebooks, needs no ipywidgets

from seglearn._checks import check_positive
from seglearn._files import create_temp, remove_stale
from seglearn.datasets.archives import UnsafeArchiveError, extract_archive  # noqa: F401

Resource = collections.namedtuple('Resource', 'url filename sha256 md5 extract')
Resource.__doc__ = """One file of a data set: where from, its name on disk, its checksums (None when
unknown) and whether it is an archive to extract."""

DataSource = collections.namedtuple('DataSource', 'resources path size note')
DataSource.__doc__ = """A downloadable data set: its files, the folder (relative to ``root``) to
pass to the loader, its approximate download size and a note for the user."""

#: float: seconds a whole download may take by default, 4 hours: VOC 2012's 2 GB at 140 kB/s.
DEADLINE = 4 * 3600.0


class DownloadError(OSError):
    """A download failed (HTTP error, connection error, timeout, deadline, incomplete transfer)."""


class ChecksumError(DownloadError):
    """A downloaded file does not have the expected checksum (it was not kept)."""


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


# what a transfer can raise: socket errors and timeouts (OSError), URLError (an OSError), and
# http.client's own, such as IncompleteRead for a chunked response cut short
_TRANSFER_ERRORS = (OSError, http.client.HTTPException)


def _transfer(url, out, hashes, progress, desc, chunk_size, timeout, end):
    """Streams ``url`` into the open file ``out``, updating ``hashes``, until ``end`` (a
    ``time.monotonic()`` value, or None); returns the byte count."""
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as e:
        raise DownloadError('downloading {} failed: HTTP {} {}'.format(url, e.code, e.reason)) \
            from e
    except _TRANSFER_ERRORS as e:
        raise DownloadError('downloading {} failed: {}'.format(url, getattr(e, 'reason', e))) \
            from e
    received, chunk = 0, None
    with response:
        total = response.headers.get('Content-Length')
        total = int(total) if total and total.isdigit() else None
        with tqdm(total=total, unit='B', unit_scale=True, unit_divisor=1024, desc=desc,
                  disable=not progress) as bar:
            while chunk != b'':
                if end is not None and time.monotonic() > end:
                    raise DownloadError('downloading {} failed: not done by its deadline ({} '
                                        'bytes received); pass a later deadline= for a slow '
                                        'connection'.format(url, received))
                try:  # read1: whatever has arrived, so that the deadline is checked often
                    chunk = response.read1(chunk_size)
                except _TRANSFER_ERRORS as e:
                    raise DownloadError('downloading {} failed after {} bytes: {}: {}'.format(
                        url, received, type(e).__name__, e)) from e
                out.write(chunk)
                for h in hashes.values():
                    h.update(chunk)
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise DownloadError('downloading {} failed: got {} of {} bytes'.format(
            url, received, total))
    return received


def download_url(url, path, sha256=None, md5=None, progress=True, chunk_size=1 << 20,
                 timeout=60, deadline=DEADLINE):
    """Downloads ``url`` to ``path``: streamed, checksum-verified, renamed into place at the end.

    An existing ``path`` that matches the given checksums (or any existing ``path`` when none
    is given) is kept and nothing is downloaded.

    Args:
        url (str): An ``http://`` or ``https://`` URL.
        path (str): Destination file; its folder is created when missing.
        sha256 (str or None): Expected SHA-256 (64 hex digits); None skips the check.
        md5 (str or None): Expected MD5 (32 hex digits); None skips the check.
        progress (bool): Show a tqdm progress bar.
        chunk_size (int): The most bytes read at a time.
        timeout (float): Seconds to wait for the server at each step (connecting, each read).
        deadline (float or None): Seconds the whole download may take (default
            :data:`DEADLINE`); it fails at the first read after that, at most ``timeout`` later.
            None: no limit.

    Returns:
        str: ``path``.

    Raises:
        ValueError: ``url`` is not http(s), or a checksum, timeout or deadline is malformed.
        DownloadError: The server answered with an error, or the transfer failed, was cut, timed
            out or passed its deadline; nothing is left at ``path``.
        ChecksumError: The file's checksum differs; nothing is left at ``path``.
    """
    scheme = urllib.parse.urlsplit(url).scheme if isinstance(url, str) else None
    if scheme not in ('http', 'https'):
        raise ValueError('url must be an http:// or https:// URL, got {!r}'.format(url))
    expected = {'sha256': _check_digest(sha256, 'sha256', 64), 'md5': _check_digest(md5, 'md5', 32)}
    expected = {k: v for k, v in expected.items() if v}
    timeout = check_positive('timeout', timeout)
    if deadline is not None:
        deadline = check_positive('deadline', deadline)
    path = os.fspath(path)
    if os.path.isfile(path) and all(file_digest(path, k) == v for k, v in expected.items()):
        return path
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    remove_stale(path, '.part')
    end = None if deadline is None else time.monotonic() + deadline
    out, tmp = create_temp(path, '.part')
    try:
        hashes = {k: hashlib.new(k) for k in expected}
        with out:
            _transfer(url, out, hashes, progress, os.path.basename(path), chunk_size,
                      timeout if deadline is None else min(timeout, deadline), end)
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
