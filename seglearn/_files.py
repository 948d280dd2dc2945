"""Writing files safely: never seen half-written, created with the user's umask, no leftovers.

A file is written under a temporary name beside its target (``.NAME.<random>.tmp``, or
``.NAME.<random>.part`` for a download), flushed to disk and renamed over the target with
``os.replace``, which is atomic: after a crash the target is the old file or the new one, never a
mix. The temporary file is created like any other file, with mode ``0o666`` less the user's umask
(``tempfile.mkstemp`` would make it ``0o600``, and the renamed target with it). A process killed
with ``kill -9`` cannot remove its temporary file; :func:`remove_stale` removes such leftovers of
a given target the next time it is written (a training run at its start and on resume, a
download before it starts).
"""
import os
import re
import secrets


def _temp_name(path, suffix):
    return os.path.join(os.path.dirname(os.path.abspath(path)), '.{}.{}{}'.format(
        os.path.basename(path), secrets.token_hex(4), suffix))


def create_temp(path, suffix='.tmp'):
    """Create, exclusively, a new empty file beside ``path`` to be renamed over it later.

    Args:
        path (str): the eventual target.
        suffix (str): the temporary name's ending (``.tmp``, or ``.part`` for downloads).

    Returns:
        tuple: ``(file object opened 'wb', temporary path)``.
    """
    while True:
        tmp = _temp_name(path, suffix)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, 'O_BINARY', 0),
                         0o666)  # the kernel applies the umask, as for open(path, 'wb')
        except FileExistsError:
            continue
        return os.fdopen(fd, 'wb'), tmp


def stale_pattern(path, suffix='.tmp'):
    """The regular expression that matches the temporary names :func:`create_temp` (or, before
    it, ``tempfile.mkstemp``) gives ``path`` (its file name only)."""
    return re.compile(r'\.{}\.[a-z0-9_]{{8}}{}\Z'.format(re.escape(os.path.basename(path)),
                                                        re.escape(suffix)))


def remove_stale(path, suffix='.tmp'):
    """Remove the temporary files a killed process left beside ``path`` (see :func:`create_temp`).

    Only names of exactly that form are removed. Two processes must not write the same target at
    the same time: the second would remove the first one's temporary file.

    Args:
        path (str): the target whose leftovers go.
        suffix (str): ``.tmp`` or ``.part``.

    Returns:
        list of str: the removed files.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return []
    pattern = stale_pattern(path, suffix)
    removed = []
    for name in sorted(os.listdir(folder)):
        full = os.path.join(folder, name)
        if pattern.match(name) and os.path.isfile(full) and not os.path.islink(full):
            os.remove(full)
            removed.append(full)
    return removed


def atomic_save(path, write):
    """Write a file so that it is never seen half-written.

    ``write(f)`` writes into a temporary file opened in binary mode in the target's folder; the
    file is then flushed to disk and renamed over ``path`` with ``os.replace`` (atomic). If
    ``write`` raises (or the process dies) the previous file at ``path`` is left untouched and the
    temporary file is removed (when the process survives; else by :func:`remove_stale`). The
    file gets the user's umask, like one written with ``open(path, 'wb')``.

    Args:
        path (str): target file.
        write (callable): ``write(file_object)``.
    """
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    f, tmp = create_temp(path)
    try:
        with f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
