"""Unpacking downloaded archives (tar, tar.gz/.bz2/.xz, zip) as the untrusted input they are.

:func:`extract_archive` refuses the whole archive, before writing anything, when one member

* has an absolute path or climbs out of the target with ``..``;
* is a device file, a FIFO or of another special type;
* is a link pointing outside the target, goes *through* a link of the archive (``a/l1/x`` after
  the symbolic link ``a/l1``), is a link whose target goes through one, or repeats the name of
  an earlier file or link — the link chains with which a tar archive can reach outside any
  check made on names alone;
* or when the archive, judged from its headers, unpacks to more than :data:`MAX_BYTES`, to more
  than :data:`MAX_RATIO` times its own size (a "zip bomb") or into more than :data:`MAX_MEMBERS`
  members.

It then unpacks into a temporary folder inside the target, tar archives with ``tarfile``'s
``'data'`` filter (Python >= 3.11.4) as a second safety net, and moves the result into place only
when every member was written; on any error the temporary folder is deleted and the target is
left as it was. Moving into place never follows a link already in the target.

The data sets of the catalogue need no links (VOC 2012 and Oxford-IIIT Pet are plain files and
folders; Python's zipfile writes a zip archive's symbolic link as a small text file), so the
rules above cost them nothing. The caps leave room for the largest: VOC 2012's 2 GB tar of about
40,000 files and folders, whose members are JPEG and PNG files that do not compress further.
"""
import os
import platform
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib

#: int: the most bytes an archive may unpack to, 8 GiB (four times VOC 2012's 2 GB).
MAX_BYTES = 8 * 2 ** 30
#: float: the largest ratio of unpacked bytes to archive bytes. The data sets' archives hold
#: JPEG and PNG files and unpack to 1–3 times their size; a zip bomb unpacks to about 1,000 times.
MAX_RATIO = 100.0
#: int: the most members (files, folders, links) an archive may hold: VOC 2012 has about 40,000.
MAX_MEMBERS = 100_000

_STAGING = '.seglearn-extract-'  # + 8 random characters (tempfile.mkdtemp)
_DAMAGED = (tarfile.ReadError, EOFError, zlib.error, zipfile.BadZipFile, OSError)


class UnsafeArchiveError(ValueError):
    """An archive would write outside its target, through a link, or far too much; nothing was
    extracted."""


def _is_absolute(name):
    return name.startswith(('/', '\\')) or bool(re.match(r'^[A-Za-z]:', name))


def _parts(name):
    return [p for p in re.split(r'[/\\]', name) if p not in ('', '.')]


def _member_path(target, name, member_kind):
    """The normalised destination of archive member ``name``; raises when it escapes."""
    if not name or _is_absolute(name):
        raise UnsafeArchiveError('{} {!r} has an absolute path'.format(member_kind, name))
    parts = re.split(r'[/\\]', name)
    if '..' in parts:
        raise UnsafeArchiveError('{} {!r} contains ".."'.format(member_kind, name))
    dest = os.path.normpath(os.path.join(target, *parts))
    if not _inside(target, dest):
        raise UnsafeArchiveError('{} {!r} would be written outside {!r}'.format(
            member_kind, name, target))
    return dest


def _inside(root, path):
    """Whether ``path`` (already normalised) is ``root`` or lies under it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_link(target, name, link, hard):
    """Refuses a link whose target lies outside ``target``."""
    if _is_absolute(link):
        raise UnsafeArchiveError('link {!r} points to the absolute path {!r}'.format(name, link))
    base = target if hard else os.path.dirname(os.path.join(target, *_parts(name)))
    dest = os.path.normpath(os.path.join(base, *re.split(r'[/\\]', link)))
    if not _inside(target, dest):
        raise UnsafeArchiveError('link {!r} points outside {!r} (to {!r})'.format(
            name, target, link))


def _through_link(path, links):
    """The first link of ``links`` that ``path`` (a list of parts) goes through, or None."""
    for i in range(1, len(path)):
        prefix = '/'.join(path[:i])
        if prefix in links:
            return prefix
    return None


def _check_caps(archive, total, count, size, max_bytes, max_ratio, max_members):
    """Refuse an archive of ``size`` bytes that unpacks to ``total`` bytes in ``count`` members,
    beyond the caps."""
    if max_members is not None and count > max_members:
        raise UnsafeArchiveError('{} holds more than {:,} members (max_members); pass a larger '
                                 'max_members if you trust it'.format(archive, max_members))
    if max_bytes is not None and total > max_bytes:
        raise UnsafeArchiveError('{} unpacks to more than {:,} bytes (max_bytes); pass a larger '
                                 'max_bytes if you trust it'.format(archive, max_bytes))
    if max_ratio is not None and total > max_ratio * max(size, 1):
        raise UnsafeArchiveError('{} unpacks to more than {:g} times its size of {:,} bytes (a '
                                 'zip bomb? max_ratio); pass a larger max_ratio if you trust it'
                                 .format(archive, max_ratio, size))


def _check_tar(tar, archive, target, caps):
    """Every member's checks, reading the headers in order and stopping at the first problem
    (so that a bomb is refused before it is decompressed to the end)."""
    links, files, total, members = set(), set(), 0, []
    for m in tar:
        members.append(m)
        total += m.size if m.isfile() else 0
        _check_caps(archive, total, len(members), *caps)
        _member_path(target, m.name, 'member')
        name = _parts(m.name)
        via = _through_link(name, links)
        if via is not None:
            raise UnsafeArchiveError('member {!r} goes through the link {!r}'.format(m.name, via))
        key = '/'.join(name)
        if m.ischr() or m.isblk() or m.isfifo() or m.isdev():
            raise UnsafeArchiveError('member {!r} is a device file or FIFO'.format(m.name))
        if m.issym() or m.islnk():
            _check_link(target, m.name, m.linkname, hard=m.islnk())
            # the path the link leads along, '..' kept: no step of it may be a link
            to = _parts(m.linkname) if m.islnk() else name[:-1] + _parts(m.linkname)
            via = _through_link(to + [''], links)
            if via is not None:
                raise UnsafeArchiveError('link {!r} points through the link {!r}'.format(
                    m.name, via))
        elif not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError('member {!r} has an unsupported type'.format(m.name))
        if not m.isdir():
            if key in files:
                raise UnsafeArchiveError('member {!r} appears twice'.format(m.name))
            files.add(key)
        if m.issym() or m.islnk():
            links.add(key)
    return members


def _check_zip(archive, path, target, caps):
    infos = archive.infolist()
    _check_caps(path, sum(i.file_size for i in infos), len(infos), *caps)
    for info in infos:
        _member_path(target, info.filename, 'member')
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):  # zipfile writes it as a small file holding the link text
            _check_link(target, info.filename, archive.read(info).decode('utf-8', 'replace'),
                        hard=False)
        elif stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise UnsafeArchiveError('member {!r} is a device file or FIFO'.format(info.filename))


def _plan_moves(source, dest, moves):
    """Renames that merge folder ``source`` into ``dest``; raises before any is made when one
    would write through a link or put a file where a folder is (or the reverse)."""
    for name in sorted(os.listdir(source)):
        src, dst = os.path.join(source, name), os.path.join(dest, name)
        src_dir = os.path.isdir(src) and not os.path.islink(src)
        if not os.path.lexists(dst):
            moves.append((src, dst))
        elif os.path.islink(dst) and src_dir:
            raise UnsafeArchiveError('{!r} would be written through a link to outside the target '
                                     '(the link {!r} is already there)'.format(name, dst))
        elif src_dir and os.path.isdir(dst):
            _plan_moves(src, dst, moves)
        elif src_dir or (os.path.isdir(dst) and not os.path.islink(dst)):
            raise FileExistsError('cannot unpack {!r}: {!r} is already there as a {}'.format(
                name, dst, 'file' if src_dir else 'folder'))
        else:
            moves.append((src, dst))  # a file (or link) replaces a file (or link), not its target


def remove_stale_staging(target):
    """Remove the temporary folders an extraction killed midway left in ``target``."""
    if os.path.isdir(target):
        for name in os.listdir(target):
            full = os.path.join(target, name)
            if re.fullmatch(re.escape(_STAGING) + '[a-z0-9_]{8}', name) and \
                    os.path.isdir(full) and not os.path.islink(full):
                shutil.rmtree(full)


def extract_archive(archive, target, max_bytes=MAX_BYTES, max_ratio=MAX_RATIO,
                    max_members=MAX_MEMBERS):
    """Extracts a tar (plain, gz, bz2, xz) or zip archive into ``target``, refusing unsafe ones.

    See the module docstring for what is refused. Nothing reaches ``target`` unless the whole
    archive was extracted: members are written into a temporary folder inside ``target`` and
    renamed into place at the end (merged into folders that already exist, replacing files of
    the same names). Leftovers of an extraction killed midway are removed first.

    Args:
        archive (str): The archive file.
        target (str): Folder to extract into (created when missing).
        max_bytes (int or None): refuse an archive that unpacks to more bytes (None: no cap).
        max_ratio (float or None): refuse an archive that unpacks to more than this many times
            its own size.
        max_members (int or None): refuse an archive with more members.

    Returns:
        str: ``target``.

    Raises:
        FileNotFoundError: ``archive`` does not exist.
        ValueError: ``archive`` is neither a tar nor a zip file, or it is damaged (truncated?).
        UnsafeArchiveError: a member is unsafe or a cap is exceeded (nothing was extracted).
        RuntimeError: a tar archive on a Python older than 3.11.4 (no data filter).
        FileExistsError: a member's path is already a file where a folder belongs (or the
            reverse).
    """
    archive, target = os.fspath(archive), os.fspath(target)
    if not os.path.isfile(archive):
        raise FileNotFoundError('archive {!r} does not exist'.format(archive))
    caps = (os.path.getsize(archive), max_bytes, max_ratio, max_members)
    is_zip = zipfile.is_zipfile(archive)
    if not is_zip and not tarfile.is_tarfile(archive):
        raise ValueError('archive must be a tar or zip file, got {!r}'.format(archive))
    if not is_zip and not hasattr(tarfile, 'data_filter'):
        raise RuntimeError('extracting tar archives safely needs Python 3.11.4 or newer (for '
                           "tarfile's data filter); this is Python {}".format(
                               platform.python_version()))
    os.makedirs(target, exist_ok=True)
    root = os.path.realpath(target)
    remove_stale_staging(root)
    staging = tempfile.mkdtemp(prefix=_STAGING, dir=root)
    try:
        try:
            if is_zip:
                with zipfile.ZipFile(archive) as z:
                    _check_zip(z, archive, staging, caps)
                    z.extractall(staging)
            else:
                with tarfile.open(archive) as tar:
                    members = _check_tar(tar, archive, staging, caps)
                    tar.extractall(staging, members=members, filter='data')
        except tarfile.FilterError as error:
            raise UnsafeArchiveError('{}: {}'.format(archive, error)) from None
        except UnsafeArchiveError:
            raise
        except _DAMAGED as error:
            if isinstance(error, OSError) and error.errno is not None:
                raise  # the disk, not the archive: a full disk, a permission
            raise ValueError('archive {!r} is damaged (a truncated download?): {}'.format(
                archive, error)) from None
        moves = []
        _plan_moves(staging, root, moves)
        for src, dst in moves:
            os.replace(src, dst)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
