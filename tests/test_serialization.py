"""Tests for seglearn.serialization: save_model / load_model, the header, atomic writes."""
import json
import os

import numpy
import pytest

import seglearn  # noqa: F401
import chainer

from seglearn import links, serialization
from seglearn.inference import predict
from seglearn.serialization import atomic_save, load_model, read_header, save_model
from small import PixelNet, image as _img, width_option


def test_save_load_round_trip(tmp_path):
    numpy.random.seed(6)
    model = PixelNet(n_class=4, in_channels=3, hidden=7)
    path = str(tmp_path / 'm.npz')
    save_model(model, path)
    assert read_header(path) == {'module': PixelNet.__module__, 'class': 'PixelNet',
                                 'kwargs': {'n_class': 4, 'in_channels': 3, 'hidden': 7}}
    with pytest.raises(ValueError, match="names the module 'small'; only seglearn's own models"):
        load_model(path)  # not a model of the zoo: never built from a file (issue 16)
    loaded = load_model(path, model=PixelNet(n_class=4, in_channels=3, hidden=7))
    assert type(loaded) is PixelNet and loaded is not model
    for (name, a), (_, b) in zip(sorted(model.namedparams()), sorted(loaded.namedparams())):
        numpy.testing.assert_array_equal(a.array, b.array, err_msg=name)
    # plain chainer.serializers still read the file
    other = PixelNet(n_class=4, in_channels=3, hidden=7)
    chainer.serializers.load_npz(path, other)
    numpy.testing.assert_array_equal(other.c1.W.array, model.c1.W.array)
    # load into a given model, in either argument order
    target = PixelNet(n_class=4, in_channels=3, hidden=7)
    assert load_model(path, model=target) is target
    numpy.testing.assert_array_equal(target.c2.W.array, model.c2.W.array)
    target2 = PixelNet(n_class=4, in_channels=3, hidden=7)
    assert load_model(target2, path) is target2


@pytest.mark.filterwarnings('ignore::seglearn.serialization.UnrecordedArgumentWarning')
def test_save_load_seglearn_model(tmp_path):
    from seglearn.models import UNet
    numpy.random.seed(7)
    unet = UNet(n_class=2, in_channels=1, depth=2, base=4, padding='same', upsample='bilinear')
    path = str(tmp_path / 'unet.npz')
    save_model(unet, path)
    loaded = load_model(path, device='@numpy')
    assert (loaded.depth, loaded.base, loaded.padding, loaded.upsample) == (2, 4, 'same',
                                                                           'bilinear')
    img = _img(c=1, h=16, w=16)
    numpy.testing.assert_array_equal(predict(loaded, img), predict(unet, img))


class Bigger(PixelNet):
    def __init__(self):
        super().__init__(n_class=4, hidden=7)
        with self.init_scope():
            self.extra = links.Convolution2D(4, 4, 1)


def test_load_mismatch_names_parameter_and_shapes(tmp_path):
    path = str(tmp_path / 'm.npz')
    save_model(PixelNet(n_class=4, hidden=7), path)
    with pytest.raises(ValueError, match=r'c1/W has shape \(7, 3, 1, 1\) in the checkpoint but '
                                         r'\(5, 3, 1, 1\) in the model'):
        load_model(path, model=PixelNet(n_class=4, hidden=5))

    with pytest.raises(ValueError, match='extra/W is missing'):
        load_model(path, model=Bigger())


def test_load_bad_inputs(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.npz'):
        load_model(str(tmp_path / 'nope.npz'))
    plain = str(tmp_path / 'plain.npz')
    chainer.serializers.save_npz(plain, PixelNet())
    with pytest.raises(ValueError, match='no seglearn header'):
        load_model(plain)
    assert isinstance(load_model(plain, model=PixelNet()), PixelNet)


class Opaque(chainer.Chain):
    """Keeps no attribute named after its constructor argument."""

    def __init__(self, size, scale=1.0):
        super().__init__()
        with self.init_scope():
            self.c = links.Convolution2D(1, size, 1)


class Sized(Opaque):
    def __init__(self, size, scale=1.0):
        super().__init__(size, scale)
        self.size = size


def test_save_model_needs_recoverable_kwargs(tmp_path):
    path = str(tmp_path / 'o.npz')
    with pytest.raises(ValueError, match="'size'"):
        save_model(Opaque(2), path)
    with pytest.warns(UserWarning, match='scale'):
        save_model(Sized(2), path)
    assert read_header(path)['kwargs'] == {'size': 2}
    save_model(Opaque(2), path, kwargs={'size': 2, 'scale': 0.5})
    assert read_header(path)['kwargs'] == {'size': 2, 'scale': 0.5}
    with pytest.raises(ValueError, match="only seglearn's own models"):
        load_model(path)  # recorded, but only the zoo's classes are rebuilt from a file
    save_model(Sized(3), path, kwargs={'scale': 2.0})  # given kwargs complete the attributes
    assert read_header(path)['kwargs'] == {'size': 3, 'scale': 2.0}
    with pytest.raises(TypeError, match='chainer.Link'):
        save_model(object(), str(tmp_path / 'x.npz'))
    with pytest.raises(ValueError, match='JSON'):
        save_model(Opaque(2), path, kwargs={'size': object(), 'scale': 1.0})


def test_load_model_refuses_a_class_outside_the_zoo(tmp_path):
    class Local(PixelNet):
        pass

    path = str(tmp_path / 'local.npz')
    save_model(Local(), path)
    with pytest.raises(ValueError, match="only seglearn's own models"):
        load_model(path)


def test_atomic_save_keeps_old_file_on_failure(tmp_path):
    path = str(tmp_path / 'file.bin')
    atomic_save(path, lambda f: f.write(b'old contents'))

    def crash(f):
        f.write(b'half of the new')
        raise KeyboardInterrupt  # e.g. Ctrl-C in the middle of writing

    with pytest.raises(KeyboardInterrupt):
        atomic_save(path, crash)
    with open(path, 'rb') as f:
        assert f.read() == b'old contents'
    assert os.listdir(str(tmp_path)) == ['file.bin']  # no temporary file left behind
    atomic_save(path, lambda f: f.write(b'new'))
    with open(path, 'rb') as f:
        assert f.read() == b'new'


@pytest.mark.filterwarnings('ignore::seglearn.serialization.UnrecordedArgumentWarning')
def test_load_rejects_checkpoint_with_extra_arrays(tmp_path):
    from seglearn.models import UNet
    path = str(tmp_path / 'bn.npz')
    save_model(UNet(n_class=2, depth=1, base=2, batch_norm=True), path)
    # a model without batch norm has conv biases the checkpoint lacks: loading must name them
    # rather than silently drop the checkpoint's batch-norm arrays
    with pytest.raises(ValueError, match='does not fit UNet: .* is missing from the checkpoint'):
        load_model(path, model=UNet(n_class=2, depth=1, base=2))
    assert load_model(path).batch_norm  # the header records batch_norm
    assert load_model(path, model=UNet(n_class=2, depth=1, base=2, batch_norm=True)).depth == 1
    # arrays the model does not have are named too
    bigger = str(tmp_path / 'bigger.npz')
    chainer.serializers.save_npz(bigger, Bigger())
    with pytest.raises(ValueError, match='extra/W is in the checkpoint but not in the model'):
        load_model(bigger, model=PixelNet(n_class=4, hidden=7))


def test_module_docstring_mentions_every_public_function():
    for name in ('save_model', 'load_model', 'atomic_save'):
        assert name in serialization.__doc__


# --- hostile model files (issue 16): nothing a file names is imported or called ----------------

def _file_with_header(path, header, arrays=None):
    """An npz whose header is ``header`` (JSON-encoded unless it is already a str or array)."""
    text = header if isinstance(header, (str, numpy.ndarray)) else json.dumps(header)
    numpy.savez(path, _seglearn_header=numpy.asarray(text), **(arrays or {}))
    return str(path)


def _one_line_error(path):
    with pytest.raises(ValueError) as info:
        load_model(path)
    message = str(info.value)
    assert '\n' not in message and str(path) in message
    return message


def test_the_os_system_header_of_the_issue_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / 'pwned'
    path = _file_with_header(tmp_path / 'evil.npz', {
        'module': 'os', 'class': 'system', 'kwargs': {'command': 'touch {}'.format(marker)}})
    assert 'names the module' in _one_line_error(path)
    assert not marker.exists()
    # the same call with a seglearn module name: the class is looked up in the zoo, not imported
    path = _file_with_header(tmp_path / 'evil2.npz', {
        'module': 'seglearn.cli', 'class': 'os.system', 'kwargs': {'command': 'touch x'}})
    assert "names the class 'os.system'" in _one_line_error(path)
    assert not marker.exists() and not (tmp_path / 'x').exists()


@pytest.mark.parametrize('header, words', [
    ({'module': 'subprocess', 'class': 'UNet', 'kwargs': {}}, "names the module 'subprocess'"),
    ({'module': 'builtins', 'class': 'eval', 'kwargs': {}}, "names the module 'builtins'"),
    ({'module': None, 'class': 'UNet', 'kwargs': {}}, 'names the module None'),
    ({'module': 'seglearn.models.vgg', 'class': 'VGG16', 'kwargs': {}}, "names the class 'VGG16'"),
    ({'module': 'seglearn.training', 'class': 'SegmentationLoss', 'kwargs': {}},
     "names the class 'SegmentationLoss'"),
    ({'class': 'chainer.links.Linear', 'kwargs': {}}, "names the class 'chainer.links.Linear'"),
    ({'class': ['UNet'], 'kwargs': {}}, "names the class ['UNet']"),
    ({'class': 'UNet', 'kwargs': {'n_class': 2, 'command': 'id'}},
     "UNet has no argument 'command'"),
    ({'class': 'FCN8s', 'kwargs': {'n_class': 2, 'pretrained': '/etc/passwd'}},
     "FCN8s has no argument 'pretrained'"),
    ({'class': 'UNet', 'kwargs': {'n_class': 2, '__class__': 1}}, "no argument '__class__'"),
    ({'class': 'UNet', 'kwargs': {'n_class': [2, [3]]}}, 'not a plain number'),
    ({'class': 'UNet', 'kwargs': {'n_class': {'a': 1}}}, 'not a plain number'),
    ({'class': 'UNet', 'kwargs': {'n_class': 2, 'padding': ['valid']}}, 'not a plain number'),
    ({'class': 'UNet', 'kwargs': {'n_class': [2]}}, 'n_class must be an integer'),
    ({'class': 'FCDenseNet', 'kwargs': {'n_class': 2, 'n_layers_per_block': [1] * 65}},
     'not a plain number'),
    ({'class': 'FCDenseNet', 'kwargs': {'n_class': 2, 'n_layers_per_block': [1, 'a', 1]}},
     'not a plain number'),
    ({'class': 'UNet', 'kwargs': {'n_class': 2, 'padding': 'x' * 1000}}, 'not a plain number'),
    ({'class': 'UNet', 'kwargs': {'n_class': 2 ** 40}}, 'not a plain number'),
    ({'class': 'UNet', 'kwargs': {}}, "missing 1 required positional argument: 'n_class'"),
    ({'class': 'UNet', 'kwargs': []}, 'constructor arguments are not a JSON object'),
    (['UNet', {}], 'header is not a JSON object'),
    ('"UNet"', 'header is not a JSON object'),
    ('null', 'header is not a JSON object'),
    ('[]', 'header is not a JSON object'),
])
def test_hostile_headers_are_refused_in_one_line(tmp_path, header, words):
    assert words in _one_line_error(_file_with_header(tmp_path / 'bad.npz', header))


@pytest.mark.parametrize('value', ['NaN', 'Infinity', '-Infinity'])
def test_nan_and_infinity_are_refused(tmp_path, value):
    text = '{"class": "FCN32s", "kwargs": {"n_class": 2, "width": %s}}' % value
    message = _one_line_error(_file_with_header(tmp_path / 'nan.npz', text))
    assert 'width' in message and 'not a plain number' in message


@pytest.mark.parametrize('kwargs', [
    {'n_class': 2, 'base': 2 ** 31},                        # one enormous convolution
    {'n_class': 2 ** 31, 'base': 4, 'depth': 1},           # an enormous final layer
    {'n_class': 2, 'base': 1024, 'depth': 8},              # 262,144 channels at the bottom
    {'n_class': 2, 'in_channels': 2 ** 31},
])
def test_huge_unets_are_refused_before_they_are_allocated(tmp_path, kwargs):
    path = _file_with_header(tmp_path / 'huge.npz', {'class': 'UNet', 'kwargs': kwargs})
    assert 'parameter budget' in _one_line_error(path)


@pytest.mark.parametrize('cls, kwargs, words', [
    ('UNet', {'n_class': 2, 'depth': 10 ** 6}, 'depth must be <= 12'),
    ('FCN32s', {'n_class': 2, 'width': 1e6}, 'parameter budget'),
    ('FCN8s', {'n_class': 20000}, 'parameter budget'),  # the bilinear kernels: n_class² · k²
    ('FCN32s', {'n_class': 2, 'width': 1e308}, 'not a finite number'),  # 64 · width
    ('FCDenseNet', {'n_class': 2, 'n_layers_per_block': [10 ** 9] * 3}, 'parameter budget'),
    ('FCDenseNet', {'n_class': 2, 'growth_rate': 2 ** 30}, 'parameter budget'),
])
def test_absurd_sizes_of_every_family_are_refused(tmp_path, cls, kwargs, words):
    path = _file_with_header(tmp_path / 'huge.npz', {'class': cls, 'kwargs': kwargs})
    assert words in _one_line_error(path)


def test_a_header_that_is_not_json(tmp_path):
    assert 'not JSON text' in _one_line_error(_file_with_header(tmp_path / 'a.npz', '{nope'))
    with pytest.raises(ValueError, match='not JSON text'):
        read_header(_file_with_header(tmp_path / 'b.npz', numpy.array([1.5, 2.0])))


def test_the_budget_bounds_what_one_load_builds():
    # the budget is large enough for the paper's largest model and refuses twice its size
    from seglearn import links
    assert serialization.MAX_ELEMENTS >= 2 * 134_000_000
    with links.parameter_budget(10_000):
        links.Convolution2D(8, 8, 3)                  # 8·8·9 + 8 = 584 elements
        with pytest.raises(ValueError, match='budget'):
            links.Convolution2D(64, 64, 3)            # 36,928 more
    links.Convolution2D(64, 64, 3)                    # no budget outside the block


@pytest.mark.parametrize('filename, cls', [('saved_by_82382ff_unet.npz', 'UNet'),
                                           ('saved_by_82382ff_fcdensenet.npz', 'FCDenseNet')])
def test_files_written_before_the_allowlist_still_load(filename, cls):
    """Files from the save_model of main at 82382ff (header with 'module', 'class', 'kwargs')."""
    path = os.path.join(os.path.dirname(__file__), 'data', filename)
    header = read_header(path)
    assert header['module'].startswith('seglearn.models.') and header['class'] == cls
    model = load_model(path)
    assert type(model).__name__ == cls
    with numpy.load(path) as npz:
        for name, param in model.namedparams():
            numpy.testing.assert_array_equal(param.array, npz[name.lstrip('/')], err_msg=name)
    img = _img(c=1, h=20, w=24)
    assert predict(model, img).shape == (20, 24)


def test_every_zoo_model_round_trips_through_its_header(tmp_path):
    from seglearn import models
    for name, spec in models.MODELS.items():
        numpy.random.seed(0)
        kwargs = dict(n_layers_per_block=1, growth_rate=2) if spec.cls is models.FCDenseNet else {}
        model = models.build(name, 2, **kwargs, **width_option(spec.cls, 1 / 32))
        path = str(tmp_path / (name + '.npz'))
        save_model(model, path)
        loaded = load_model(path)
        assert type(loaded) is spec.cls, name
        for (key, a), (_, b) in zip(sorted(model.namedparams()), sorted(loaded.namedparams())):
            numpy.testing.assert_array_equal(a.array, b.array, err_msg=key)


# --- reading the arrays (issue 16): damaged files, decompression bombs, no unpickling ------------

def _replace_member(path, key, data):
    """Rewrite the npz at ``path`` with member ``key`` holding the raw bytes ``data``."""
    import zipfile
    with zipfile.ZipFile(path) as z:
        members = [(info.filename, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, 'w') as z:
        for name, raw in members:
            z.writestr(name, data if name == key + '.npy' else raw)


def _npy_header(shape, descr='<f4'):
    import io
    buf = io.BytesIO()
    numpy.lib.format.write_array_header_1_0(
        buf, {'descr': descr, 'fortran_order': False, 'shape': shape})
    return buf.getvalue()


@pytest.mark.parametrize('damage', ['empty', 'truncated', 'text', 'npy', 'cut array'])
def test_empty_or_damaged_model_files_are_one_line_errors(tmp_path, damage):
    from seglearn.models import UNet
    path = str(tmp_path / 'm.npz')
    save_model(UNet(n_class=2, depth=1, base=2), path)
    data = open(path, 'rb').read()
    if damage == 'empty':
        data = b''
    elif damage == 'truncated':
        data = data[:len(data) // 2]
    elif damage == 'text':
        data = b'this is not a model\n'
    if damage == 'npy':
        numpy.save(open(path, 'wb'), numpy.zeros(3))
    elif damage == 'cut array':  # a sound zip whose array stops short of its declared shape
        _replace_member(path, 'final/W', _npy_header((2, 2, 1, 1)) + b'\0' * 5)
    else:
        open(path, 'wb').write(data)
    with pytest.raises(ValueError) as info:
        load_model(path)
    message = str(info.value)
    assert '\n' not in message and path in message
    assert isinstance(info.value, serialization.UnreadableFileError)


def test_a_declared_huge_array_is_refused_before_it_is_decompressed(tmp_path):
    """A member whose header claims 32 GiB: refused from the header (it was a MemoryError)."""
    from seglearn.models import UNet
    path = str(tmp_path / 'bomb.npz')
    save_model(UNet(n_class=2, depth=1, base=2), path)
    _replace_member(path, 'final/W', _npy_header((2 ** 33,)))
    with pytest.raises(ValueError, match=r'final/W has shape \(8589934592,\) in the checkpoint '
                                         r'but \(2, 2, 1, 1\)'):
        load_model(path)
    # the header itself is read only when it is one short text
    _replace_member(path, '_seglearn_header', _npy_header((2 ** 33,), '<U8'))
    with pytest.raises(ValueError, match='header is not JSON text'):
        load_model(path)


class _Evil:
    """Unpickling it runs ``touch <marker>``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, ('touch {}'.format(self.marker),)


def test_a_pickled_array_in_a_model_file_is_never_unpickled(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'm.npz')
    model = PixelNet()
    model.add_persistent('note', None)  # Chainer saves None as an object array, and unpickles it
    save_model(model, path, kwargs={})
    with numpy.load(path, allow_pickle=True) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays['note'] = numpy.array([_Evil(marker)], dtype=object)
    numpy.savez(path, **arrays)
    with pytest.raises(ValueError):
        load_model(path, model=model)
    assert not marker.exists()
    chainer.serializers.load_npz(path, model)  # what Chainer alone does: the proof of danger
    assert marker.exists()


def test_save_model_refuses_nan_weights(tmp_path):
    model = PixelNet()
    model.c2.W.array[0, 0] = numpy.nan
    with pytest.raises(ValueError, match='NaN or infinity in /c2/W'):
        save_model(model, str(tmp_path / 'm.npz'))
    assert os.listdir(str(tmp_path)) == []


def test_atomic_save_gives_the_file_the_users_umask(tmp_path):
    path = str(tmp_path / 'f.bin')
    old = os.umask(0o022)
    try:
        atomic_save(path, lambda f: f.write(b'x'))
        assert os.stat(path).st_mode & 0o777 == 0o644
        os.umask(0o077)
        save_model(PixelNet(), str(tmp_path / 'm.npz'), kwargs={})
        assert os.stat(str(tmp_path / 'm.npz')).st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
