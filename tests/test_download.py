"""Downloads from a local HTTP server on 127.0.0.1 only; archive extraction, safe and malicious."""
import functools
import hashlib
import http.server
import io
import os
import stat
import tarfile
import threading
import zipfile

import numpy
import pytest

import seglearn  # noqa: F401
import seglearn.datasets
from seglearn.datasets import catalog
from seglearn.datasets import fetch as dl


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/'www' at http://127.0.0.1:<free port>/; yields (base URL, folder)."""
    www = tmp_path / 'www'
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(Quiet, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield 'http://127.0.0.1:{}/'.format(httpd.server_address[1]), www
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _tar_bytes(members, mode='w:gz'):
    """A tar archive from ``(TarInfo fields, data)`` pairs, as bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tar:
        for fields, data in members:
            info = tarfile.TarInfo(fields.pop('name'))
            for k, v in fields.items():
                setattr(info, k, v)
            info.size = len(data) if data is not None else 0
            tar.addfile(info, io.BytesIO(data) if data else None)
    return buf.getvalue()


def _zip_bytes(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()


GOOD_TAR = _tar_bytes([({'name': 'data', 'type': tarfile.DIRTYPE, 'mode': 0o755}, None),
                       ({'name': 'data/a.txt'}, b'alpha'),
                       ({'name': 'data/sub/b.txt'}, b'beta' * 1000),
                       ({'name': 'data/link', 'type': tarfile.SYMTYPE, 'linkname': 'a.txt'},
                        None)])
GOOD_ZIP = _zip_bytes([('data/a.txt', b'alpha'), ('data/sub/b.txt', b'beta' * 1000)])


def _listing(folder):
    return sorted(os.path.relpath(os.path.join(d, f), folder)
                  for d, dirs, files in os.walk(folder) for f in files + dirs)


# ---------------------------------------------------------------- download_url

@pytest.mark.parametrize('name,data', [('good.tar.gz', GOOD_TAR), ('good.zip', GOOD_ZIP)])
def test_download_verify_extract(server, tmp_path, name, data):
    url, www = server
    (www / name).write_bytes(data)
    dest = tmp_path / 'dl' / name
    got = dl.download_url(url + name, dest, sha256=_sha256(data), progress=False)
    assert got == str(dest) and dest.read_bytes() == data
    assert [p for p in os.listdir(dest.parent) if p.endswith('.part')] == []
    out = tmp_path / 'out'
    assert dl.extract_archive(dest, out) == str(out)
    assert (out / 'data' / 'a.txt').read_bytes() == b'alpha'
    assert (out / 'data' / 'sub' / 'b.txt').read_bytes() == b'beta' * 1000
    if name.endswith('.tar.gz'):
        assert os.readlink(out / 'data' / 'link') == 'a.txt'


def test_download_md5_and_existing_file_is_reused(server, tmp_path):
    url, www = server
    (www / 'f.bin').write_bytes(b'x' * 5000)
    dest = tmp_path / 'f.bin'
    dl.download_url(url + 'f.bin', dest, md5=hashlib.md5(b'x' * 5000).hexdigest(),
                    progress=True, chunk_size=1000)
    assert dest.read_bytes() == b'x' * 5000
    os.remove(www / 'f.bin')  # the server no longer has it: a verified local copy is enough
    dl.download_url(url + 'f.bin', dest, sha256=_sha256(b'x' * 5000), progress=False)
    # a local copy with the wrong checksum is fetched again (here: fails with 404)
    dest.write_bytes(b'corrupt')
    with pytest.raises(dl.DownloadError, match='404'):
        dl.download_url(url + 'f.bin', dest, sha256=_sha256(b'x' * 5000), progress=False)


def test_wrong_checksum_leaves_no_file(server, tmp_path):
    url, www = server
    (www / 'good.zip').write_bytes(GOOD_ZIP)
    dest = tmp_path / 'dl' / 'good.zip'
    with pytest.raises(dl.ChecksumError, match='sha256') as e:
        dl.download_url(url + 'good.zip', dest, sha256='0' * 64, progress=False)
    assert _sha256(GOOD_ZIP) in str(e.value)
    assert os.listdir(dest.parent) == []
    with pytest.raises(dl.ChecksumError, match='md5'):
        dl.download_url(url + 'good.zip', dest, md5='f' * 32, progress=False)
    assert os.listdir(dest.parent) == []


def test_http_404_is_a_clear_error(server, tmp_path):
    url, _ = server
    with pytest.raises(dl.DownloadError, match='HTTP 404') as e:
        dl.download_url(url + 'missing.tar', tmp_path / 'missing.tar', progress=False)
    assert 'missing.tar' in str(e.value)
    assert os.listdir(tmp_path) == ['www']


def test_refused_connection_is_a_clear_error(tmp_path):
    import socket
    with socket.socket() as s:  # a port on 127.0.0.1 that nobody listens on
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    with pytest.raises(dl.DownloadError, match='failed'):
        dl.download_url('http://127.0.0.1:{}/x'.format(port), tmp_path / 'x', progress=False,
                        timeout=5)
    assert not (tmp_path / 'x').exists()


def test_interrupted_download_leaves_no_file(server, tmp_path, monkeypatch):
    url, www = server
    (www / 'big.bin').write_bytes(b'y' * 10000)

    class Interrupting:
        def __init__(self, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

        def update(self, n):
            raise KeyboardInterrupt

    monkeypatch.setattr(dl, 'tqdm', Interrupting)
    with pytest.raises(KeyboardInterrupt):
        dl.download_url(url + 'big.bin', tmp_path / 'big.bin', chunk_size=100)
    assert os.listdir(tmp_path) == ['www']


def test_truncated_transfer_is_an_error(tmp_path):
    class Truncating(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header('Content-Length', '1000')
            self.end_headers()
            self.wfile.write(b'z' * 400)

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(('127.0.0.1', 0), Truncating)
    thread = threading.Thread(target=httpd.handle_request, daemon=True)
    thread.start()
    try:
        with pytest.raises(dl.DownloadError):
            dl.download_url('http://127.0.0.1:{}/t'.format(httpd.server_address[1]),
                            tmp_path / 't', progress=False)
    finally:
        thread.join(10)
        httpd.server_close()
    assert not (tmp_path / 't').exists() and os.listdir(tmp_path) == []


def test_download_url_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='url'):
        dl.download_url('ftp://127.0.0.1/x', tmp_path / 'x')
    with pytest.raises(ValueError, match='url'):
        dl.download_url('/etc/passwd', tmp_path / 'x')
    with pytest.raises(ValueError, match='sha256'):
        dl.download_url('http://127.0.0.1/x', tmp_path / 'x', sha256='abc')
    with pytest.raises(ValueError, match='md5'):
        dl.download_url('http://127.0.0.1/x', tmp_path / 'x', md5='z' * 32)


def test_file_digest(tmp_path):
    (tmp_path / 'f').write_bytes(b'hello')
    assert dl.file_digest(tmp_path / 'f') == _sha256(b'hello')
    assert dl.file_digest(tmp_path / 'f', 'md5', chunk_size=2) == hashlib.md5(b'hello').hexdigest()


# ---------------------------------------------------------------- malicious archives

MALICIOUS_TARS = {
    'absolute path': [({'name': '/tmp/seglearn-evil.txt'}, b'evil')],
    'dot-dot escape': [({'name': 'ok.txt'}, b'ok'), ({'name': 'a/../../evil.txt'}, b'evil')],
    'symlink escaping': [({'name': 'ok.txt'}, b'ok'),
                         ({'name': 'link', 'type': tarfile.SYMTYPE, 'linkname': '../outside'},
                          None),
                         ({'name': 'link/evil.txt'}, b'evil')],
    'absolute symlink': [({'name': 'link', 'type': tarfile.SYMTYPE, 'linkname': '/etc/passwd'},
                          None)],
    'hardlink escaping': [({'name': 'hard', 'type': tarfile.LNKTYPE,
                           'linkname': '../outside/secret'}, None)],
    'device file': [({'name': 'null', 'type': tarfile.CHRTYPE, 'devmajor': 1, 'devminor': 3},
                     None)],
    'fifo': [({'name': 'pipe', 'type': tarfile.FIFOTYPE}, None)],
}


@pytest.mark.parametrize('kind', sorted(MALICIOUS_TARS))
def test_malicious_tar_is_refused_and_nothing_is_written(tmp_path, kind):
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'secret').write_bytes(b'secret')
    target = tmp_path / 'target'
    archive = tmp_path / 'evil.tar.gz'
    members = [(dict(fields), data) for fields, data in MALICIOUS_TARS[kind]]
    archive.write_bytes(_tar_bytes(members))
    before = _listing(tmp_path)
    with pytest.raises(dl.UnsafeArchiveError):
        dl.extract_archive(archive, target)
    after = _listing(tmp_path)
    assert [p for p in after if p not in before] in ([], ['target'])
    assert _listing(target) == []
    assert (outside / 'secret').read_bytes() == b'secret'
    assert not os.path.exists('/tmp/seglearn-evil.txt')


@pytest.mark.parametrize('name', ['/abs/evil.txt', '../evil.txt', 'a/../../evil.txt',
                                  'C:/evil.txt', '..\\evil.txt'])
def test_malicious_zip_is_refused(tmp_path, name):
    archive = tmp_path / 'evil.zip'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('ok.txt', b'ok')
        z.writestr(zipfile.ZipInfo(name), b'evil')  # ZipInfo keeps the name as given
    archive.write_bytes(buf.getvalue())
    with pytest.raises(dl.UnsafeArchiveError):
        dl.extract_archive(archive, tmp_path / 'target')
    assert _listing(tmp_path / 'target') == []
    assert not (tmp_path / 'evil.txt').exists()


@pytest.mark.parametrize('link,safe', [('../outside', False), ('/etc/passwd', False),
                                       ('sub/file.txt', True)])
def test_zip_symlinks_pointing_outside_are_refused(tmp_path, link, safe):
    info = zipfile.ZipInfo('link')
    info.external_attr = (0o120777 << 16)  # S_IFLNK
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr('sub/file.txt', b'inside')
        z.writestr(info, link)
    (tmp_path / 'l.zip').write_bytes(buf.getvalue())
    if safe:
        dl.extract_archive(tmp_path / 'l.zip', tmp_path / 'target')
        assert (tmp_path / 'target' / 'sub' / 'file.txt').read_bytes() == b'inside'
    else:
        with pytest.raises(dl.UnsafeArchiveError, match='link'):
            dl.extract_archive(tmp_path / 'l.zip', tmp_path / 'target')
        assert _listing(tmp_path / 'target') == []


def test_existing_link_in_target_cannot_redirect_members(tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    target = tmp_path / 'target'
    target.mkdir()
    os.symlink(outside, target / 'data')  # planted before extraction
    (tmp_path / 'good.tar.gz').write_bytes(GOOD_TAR)
    with pytest.raises(dl.UnsafeArchiveError, match='through a link'):
        dl.extract_archive(tmp_path / 'good.tar.gz', target)
    assert os.listdir(outside) == []


def test_extract_archive_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.tar'):
        dl.extract_archive(tmp_path / 'nope.tar', tmp_path / 't')
    (tmp_path / 'plain.txt').write_bytes(b'not an archive')
    with pytest.raises(ValueError, match='tar or zip'):
        dl.extract_archive(tmp_path / 'plain.txt', tmp_path / 't')


@pytest.mark.parametrize('mode', ['w', 'w:bz2', 'w:xz'])
def test_other_tar_compressions(tmp_path, mode):
    (tmp_path / 'a.tar').write_bytes(_tar_bytes([({'name': 'x.txt'}, b'x')], mode=mode))
    dl.extract_archive(tmp_path / 'a.tar', tmp_path / 'out')
    assert (tmp_path / 'out' / 'x.txt').read_bytes() == b'x'


# ---------------------------------------------------------------- download(name, root)

def test_download_by_name_from_a_local_registry(server, tmp_path, monkeypatch):
    url, www = server
    (www / 'good.tar.gz').write_bytes(GOOD_TAR)
    (www / 'raw.bin').write_bytes(b'raw')
    source = dl.DataSource(
        resources=[dl.Resource(url + 'good.tar.gz', 'good.tar.gz', _sha256(GOOD_TAR), None, True),
                   dl.Resource(url + 'raw.bin', 'raw.bin', None, None, False)],
        path='data', size='1 kB', note='test set')
    monkeypatch.setitem(catalog.DOWNLOADS, 'local', source)
    root = tmp_path / 'root'
    path = catalog.download('local', root, progress=False)
    assert path == os.path.join(str(root), 'data')
    assert (root / 'data' / 'a.txt').read_bytes() == b'alpha'
    assert (root / 'raw.bin').read_bytes() == b'raw'
    assert not (root / 'good.tar.gz').exists()  # archives removed by default
    os.remove(www / 'good.tar.gz')  # a second call needs no server
    assert catalog.download('local', root, progress=False) == path


def test_download_bad_checksum_in_registry(server, tmp_path, monkeypatch):
    url, www = server
    (www / 'good.zip').write_bytes(GOOD_ZIP)
    monkeypatch.setitem(catalog.DOWNLOADS, 'local', dl.DataSource(
        [dl.Resource(url + 'good.zip', 'good.zip', '1' * 64, None, True)], '.', '', ''))
    with pytest.raises(dl.ChecksumError):
        catalog.download('local', tmp_path / 'root', progress=False)
    assert os.listdir(tmp_path / 'root') == []


def test_download_unknown_name_and_registry_contents():
    with pytest.raises(ValueError, match='voc2012'):
        catalog.download('imagenet', '/nonexistent')
    assert set(catalog.DOWNLOADS) == {'voc2012', 'camvid', 'pets', 'isbi2012'}
    for source in catalog.DOWNLOADS.values():
        for r in source.resources:
            assert r.url.startswith(('http://', 'https://'))
            assert r.sha256 is None or len(r.sha256) == 64
            assert r.md5 is None or len(r.md5) == 32


def test_package_exports():
    assert seglearn.datasets.download is catalog.download
    assert seglearn.datasets.download_url is dl.download_url
    assert seglearn.datasets.extract_archive is dl.extract_archive
    assert issubclass(seglearn.datasets.ChecksumError, seglearn.datasets.DownloadError)


def test_zip_device_entry_is_refused(tmp_path):
    info = zipfile.ZipInfo('dev')
    info.external_attr = (0o020666 << 16)  # S_IFCHR
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        z.writestr(info, b'')
    (tmp_path / 'd.zip').write_bytes(buf.getvalue())
    with pytest.raises(dl.UnsafeArchiveError, match='device'):
        dl.extract_archive(tmp_path / 'd.zip', tmp_path / 'target')


# ---------------------------------------------------------------- issue 16: archives

def _link_chain_members():
    """The issue's tar: every name passes a lexical check, yet h leads to ../outside."""
    return [({'name': 'a', 'type': tarfile.DIRTYPE, 'mode': 0o755}, None),
            ({'name': 'a/l1', 'type': tarfile.SYMTYPE, 'linkname': '..'}, None),
            ({'name': 'a/l1/l2', 'type': tarfile.SYMTYPE, 'linkname': '..'}, None),
            ({'name': 'h', 'type': tarfile.LNKTYPE,
              'linkname': 'a/l1/l2/outside/secret.txt'}, None),
            ({'name': 'h'}, b'overwritten')]


def _outside_and_target(tmp_path):
    outside = tmp_path / 'outside'
    outside.mkdir()
    (outside / 'secret.txt').write_bytes(b'secret')
    target = tmp_path / 'target'
    target.mkdir()
    (target / 'kept.txt').write_bytes(b'was here before')
    return outside, target


def _unchanged(tmp_path, outside, target):
    assert (outside / 'secret.txt').read_bytes() == b'secret'
    assert os.listdir(outside) == ['secret.txt']
    assert _listing(target) == ['kept.txt'] and (target / 'kept.txt').read_bytes() == \
        b'was here before'
    assert not [p for p in _listing(tmp_path) if os.path.islink(tmp_path / p)]


def test_the_link_chain_of_the_issue_is_refused_and_nothing_is_written(tmp_path):
    outside, target = _outside_and_target(tmp_path)
    (tmp_path / 'chain.tar').write_bytes(_tar_bytes(_link_chain_members(), mode='w'))
    with pytest.raises(dl.UnsafeArchiveError, match="'a/l1/l2' goes through the link 'a/l1'"):
        dl.extract_archive(tmp_path / 'chain.tar', target)
    _unchanged(tmp_path, outside, target)


def test_the_data_filter_is_the_second_net_and_its_errors_are_unsafe_archive_errors(
        tmp_path, monkeypatch):
    """With seglearn's own checks switched off, tarfile's data filter stops the chain; nothing
    written before it stopped reaches the target (it stayed in the temporary folder)."""
    from seglearn.datasets import archives

    def list_only(tar, archive, target, caps):
        return tar.getmembers()

    monkeypatch.setattr(archives, '_check_tar', list_only)
    outside, target = _outside_and_target(tmp_path)
    members = [({'name': 'first.txt'}, b'written before the bad member')] + \
        _link_chain_members()
    (tmp_path / 'chain.tar').write_bytes(_tar_bytes(members, mode='w'))
    with pytest.raises(dl.UnsafeArchiveError) as info:
        dl.extract_archive(tmp_path / 'chain.tar', target)
    assert type(info.value) is dl.UnsafeArchiveError  # not LinkOutsideDestinationError
    _unchanged(tmp_path, outside, target)


@pytest.mark.parametrize('members,words', [
    ([({'name': 'x.txt'}, b'one'), ({'name': 'x.txt'}, b'two')], "'x.txt' appears twice"),
    ([({'name': 'a', 'type': tarfile.DIRTYPE}, None),
      ({'name': 'a/l1', 'type': tarfile.SYMTYPE, 'linkname': '.'}, None),
      ({'name': 'b', 'type': tarfile.SYMTYPE, 'linkname': 'a/l1/x'}, None)],
     "link 'b' points through the link 'a/l1'"),
    ([({'name': 'f'}, b'data'), ({'name': 'l', 'type': tarfile.SYMTYPE, 'linkname': 'f'}, None),
      ({'name': 'h', 'type': tarfile.LNKTYPE, 'linkname': 'l'}, None)],
     "link 'h' points through the link 'l'"),
])
def test_links_through_links_and_repeated_names_are_refused(tmp_path, members, words):
    (tmp_path / 'a.tar').write_bytes(_tar_bytes(members, mode='w'))
    with pytest.raises(dl.UnsafeArchiveError, match=words):
        dl.extract_archive(tmp_path / 'a.tar', tmp_path / 'target')
    assert _listing(tmp_path / 'target') == []


def test_setuid_bits_are_not_kept(tmp_path):
    (tmp_path / 's.tar').write_bytes(_tar_bytes([({'name': 'tool', 'mode': 0o4777}, b'#!')]))
    dl.extract_archive(tmp_path / 's.tar', tmp_path / 'out')
    mode = os.stat(tmp_path / 'out' / 'tool').st_mode
    assert not mode & (stat.S_ISUID | stat.S_ISGID | stat.S_IWOTH)


def _zip_bomb(path, size):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr('zeros.bin', bytes(size))
    return os.path.getsize(path)


def test_a_zip_bomb_is_refused_before_anything_is_written(tmp_path):
    archive = tmp_path / 'bomb.zip'
    ratio = 20_000_000 / _zip_bomb(archive, 20_000_000)
    assert ratio > 1000  # the probe's 1028:1
    with pytest.raises(dl.UnsafeArchiveError, match='more than 100 times its size'):
        dl.extract_archive(archive, tmp_path / 'target')
    assert _listing(tmp_path / 'target') == []
    dl.extract_archive(archive, tmp_path / 'target', max_ratio=None)  # when trusted
    assert os.path.getsize(tmp_path / 'target' / 'zeros.bin') == 20_000_000


def test_a_tar_gz_bomb_and_the_size_cap(tmp_path):
    archive = tmp_path / 'bomb.tar.gz'
    archive.write_bytes(_tar_bytes([({'name': 'zeros.bin'}, bytes(5_000_000))]))
    with pytest.raises(dl.UnsafeArchiveError, match='times its size'):
        dl.extract_archive(archive, tmp_path / 'target')
    with pytest.raises(dl.UnsafeArchiveError, match='more than 1,000,000 bytes'):
        dl.extract_archive(archive, tmp_path / 'target', max_bytes=10 ** 6, max_ratio=None)
    assert _listing(tmp_path / 'target') == []


@pytest.mark.parametrize('kind', ['tar', 'zip'])
def test_the_member_cap(tmp_path, kind):
    """The probe's 50,000 members, small: 500 members against a cap of 499."""
    files = [('m/{:04d}.txt'.format(i), b'x') for i in range(500)]
    archive = tmp_path / ('many.' + kind)
    archive.write_bytes(_zip_bytes(files) if kind == 'zip' else
                        _tar_bytes([({'name': n}, d) for n, d in files], mode='w'))
    with pytest.raises(dl.UnsafeArchiveError, match='more than 499 members'):
        dl.extract_archive(archive, tmp_path / 'target', max_members=499)
    assert _listing(tmp_path / 'target') == []
    dl.extract_archive(archive, tmp_path / 'target', max_members=500)
    assert len(os.listdir(tmp_path / 'target' / 'm')) == 500


def test_the_caps_fit_the_real_data_sets():
    from seglearn.datasets import archives
    assert archives.MAX_BYTES >= 4 * 2 * 10 ** 9  # VOC 2012 unpacks to about 2 GB
    assert archives.MAX_MEMBERS >= 2 * 40_000  # VOC 2012: about 40,000 members
    assert 10 <= archives.MAX_RATIO < 1000  # JPEG/PNG archives: 1-3; a zip bomb: about 1,000


def test_a_damaged_archive_leaves_the_target_as_it_was(tmp_path):
    target = tmp_path / 'target'
    (target / 'data').mkdir(parents=True)
    (target / 'data' / 'a.txt').write_bytes(b'old')
    data = _tar_bytes([({'name': 'data/a.txt'}, os.urandom(50_000)),
                       ({'name': 'data/b.txt'}, os.urandom(50_000))])
    (tmp_path / 'cut.tar.gz').write_bytes(data[:len(data) * 3 // 4])
    with pytest.raises(ValueError, match='damaged'):
        dl.extract_archive(tmp_path / 'cut.tar.gz', target)
    assert _listing(target) == ['data', 'data/a.txt']
    assert (target / 'data' / 'a.txt').read_bytes() == b'old'


def test_extraction_merges_into_existing_folders_and_clears_stale_staging(tmp_path):
    target = tmp_path / 'target'
    (target / 'data' / 'mine').mkdir(parents=True)
    (target / 'data' / 'mine' / 'notes.txt').write_bytes(b'mine')
    (target / 'data' / 'a.txt').write_bytes(b'an older copy')
    stale = target / '.seglearn-extract-ab12cd_9'  # left by an extraction killed midway
    stale.mkdir()
    (stale / 'half.bin').write_bytes(b'x')
    (tmp_path / 'good.tar.gz').write_bytes(GOOD_TAR)
    dl.extract_archive(tmp_path / 'good.tar.gz', target)
    assert _listing(target) == ['data', 'data/a.txt', 'data/link', 'data/mine',
                                'data/mine/notes.txt', 'data/sub', 'data/sub/b.txt']
    assert (target / 'data' / 'a.txt').read_bytes() == b'alpha'
    assert (target / 'data' / 'mine' / 'notes.txt').read_bytes() == b'mine'


def test_tar_extraction_needs_the_data_filter(tmp_path, monkeypatch):
    (tmp_path / 'a.tar').write_bytes(_tar_bytes([({'name': 'x.txt'}, b'x')], mode='w'))
    monkeypatch.delattr(tarfile, 'data_filter')  # what Python 3.11.0-3.11.3 lacks
    with pytest.raises(RuntimeError, match='Python 3.11.4 or newer'):
        dl.extract_archive(tmp_path / 'a.tar', tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


# ---------------------------------------------------------------- issue 16: downloads

@pytest.fixture
def raw_server():
    """Serves one handler function ``respond(handler)`` at http://127.0.0.1:<port>/."""
    servers = []

    def start(respond):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def do_GET(self):
                respond(self)

            def log_message(self, *args):
                pass

        httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return 'http://127.0.0.1:{}/'.format(httpd.server_address[1])

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_a_truncated_chunked_response_is_a_download_error(raw_server, tmp_path):
    def respond(h):
        h.send_response(200)
        h.send_header('Transfer-Encoding', 'chunked')
        h.end_headers()
        h.wfile.write(b'400\r\n' + b'z' * 100)  # a 1024-byte chunk cut after 100 bytes
        h.wfile.flush()
        h.close_connection = True

    with pytest.raises(dl.DownloadError, match='IncompleteRead'):
        dl.download_url(raw_server(respond) + 'f', tmp_path / 'f', progress=False)
    assert os.listdir(tmp_path) == []


def test_a_slow_drip_fails_by_the_deadline(raw_server, tmp_path):
    import time

    def respond(h):  # the probe: one byte every 0.9 s, under a per-read timeout of 2 s
        h.send_response(200)
        h.send_header('Content-Length', '100')
        h.end_headers()
        for _ in range(100):
            try:
                h.wfile.write(b'x')
                h.wfile.flush()
            except OSError:
                return
            time.sleep(0.9)

    start = time.monotonic()
    with pytest.raises(dl.DownloadError, match='deadline'):
        dl.download_url(raw_server(respond) + 'f', tmp_path / 'f', progress=False, timeout=2,
                        deadline=2.5)
    assert time.monotonic() - start < 2.5 + 2  # at most one read timeout late
    assert os.listdir(tmp_path) == []


def test_a_server_that_never_answers_times_out(raw_server, tmp_path):
    import time

    def respond(h):
        time.sleep(3)

    with pytest.raises(dl.DownloadError, match='timed out'):
        dl.download_url(raw_server(respond) + 'f', tmp_path / 'f', progress=False, timeout=0.5)


def test_stale_part_files_are_removed_and_files_get_the_umask(server, tmp_path):
    url, www = server
    (www / 'f.bin').write_bytes(b'data')
    (tmp_path / '.f.bin.ab12cd34.part').write_bytes(b'left by kill -9')
    (tmp_path / '.other.bin.ab12cd34.part').write_bytes(b'not ours')
    old = os.umask(0o022)
    try:
        dl.download_url(url + 'f.bin', tmp_path / 'f.bin', progress=False)
    finally:
        os.umask(old)
    assert sorted(os.listdir(tmp_path)) == ['.other.bin.ab12cd34.part', 'f.bin', 'www']
    assert os.stat(tmp_path / 'f.bin').st_mode & 0o777 == 0o644  # mkstemp made it 0600


def _close_delimited(files):
    """A handler serving ``files`` (name → bytes) without Content-Length, closing at the end."""
    def respond(h):
        data = files.get(h.path.lstrip('/'))
        if data is None:
            h.send_error(404)
            return
        h.send_response(200)
        h.send_header('Connection', 'close')
        h.end_headers()
        h.wfile.write(data)
        h.close_connection = True
    return respond


def test_an_archive_cut_short_without_a_checksum_is_deleted_and_fetched_again(
        raw_server, tmp_path, monkeypatch):
    files = {'camvid.zip': GOOD_ZIP[:len(GOOD_ZIP) // 2]}  # the probe: cut, no length given
    url = raw_server(_close_delimited(files))
    monkeypatch.setitem(catalog.DOWNLOADS, 'local', dl.DataSource(
        [dl.Resource(url + 'camvid.zip', 'camvid.zip', None, None, True)], 'data', '', ''))
    root = tmp_path / 'root'
    with pytest.raises(dl.DownloadError, match='it was deleted: call download again'):
        catalog.download('local', root, progress=False)
    assert os.listdir(root) == []  # it used to stay, and every later call failed
    files['camvid.zip'] = GOOD_ZIP
    assert catalog.download('local', root, progress=False) == str(root / 'data')
    assert (root / 'data' / 'sub' / 'b.txt').read_bytes() == b'beta' * 1000


def _tiff_stack(pages):
    from PIL import Image
    buf = io.BytesIO()
    frames = [Image.fromarray(p) for p in pages]
    frames[0].save(buf, format='TIFF', save_all=True, append_images=frames[1:])
    return buf.getvalue()


@pytest.mark.filterwarnings('ignore:Corrupt EXIF data:UserWarning')  # Pillow, on the cut file
def test_isbi_files_cut_short_are_deleted_then_recorded_once_good(raw_server, tmp_path,
                                                                   monkeypatch):
    import json
    from seglearn.datasets import isbi
    rng = numpy.random.RandomState(0)
    good = {'train-volume.tif': _tiff_stack(rng.randint(0, 256, (8, 16, 16)).astype('uint8')),
            'train-labels.tif': _tiff_stack((255 * (rng.rand(8, 16, 16) > .5)).astype('uint8'))}
    files = dict(good)
    files['train-volume.tif'] = good['train-volume.tif'][:len(good['train-volume.tif']) // 2]
    url = raw_server(_close_delimited(files))
    monkeypatch.setitem(catalog.DOWNLOADS, 'isbi2012', isbi.SOURCE._replace(resources=[
        dl.Resource(url + name, name, None, None, False) for name in sorted(good)]))
    root = tmp_path / 'isbi'
    with pytest.raises(dl.DownloadError, match='isbi2012 does not open .*unverified files were '
                                               'deleted'):
        catalog.download('isbi2012', root, progress=False)
    assert sorted(os.listdir(root)) == []
    files.update(good)
    assert catalog.download('isbi2012', root, progress=False) == str(root)
    manifest = json.loads((root / '.seglearn-isbi2012-files.json').read_text())
    assert manifest['train-volume.tif'] == {'size': len(good['train-volume.tif']),
                                            'sha256': _sha256(good['train-volume.tif'])}
    # a copy damaged later is found by the record and fetched again (the marker gone)
    (root / 'train-volume.tif').write_bytes(b'damaged')
    os.remove(root / '.seglearn-isbi2012-complete')
    catalog.download('isbi2012', root, progress=False)
    assert (root / 'train-volume.tif').read_bytes() == good['train-volume.tif']


def test_voc_and_pets_come_over_https():
    from seglearn.datasets import pets, voc
    for source in (voc.SOURCE, pets.SOURCE):
        assert all(r.url.startswith('https://') for r in source.resources)
