"""Downloads from a local HTTP server on 127.0.0.1 only; archive extraction, safe and malicious."""
import functools
import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

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
