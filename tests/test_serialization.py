"""Tests for seglearn.serialization: save_model / load_model, the header, atomic writes."""
import os

import numpy
import pytest

import seglearn  # noqa: F401
import chainer

from seglearn import links, serialization
from seglearn.inference import predict
from seglearn.serialization import atomic_save, load_model, read_header, save_model
from small import PixelNet, image as _img


def test_save_load_round_trip(tmp_path):
    numpy.random.seed(6)
    model = PixelNet(n_class=4, in_channels=3, hidden=7)
    path = str(tmp_path / 'm.npz')
    save_model(model, path)
    assert read_header(path) == {'module': PixelNet.__module__, 'class': 'PixelNet',
                                 'kwargs': {'n_class': 4, 'in_channels': 3, 'hidden': 7}}
    loaded = load_model(path)
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
    assert isinstance(load_model(path), Opaque)
    save_model(Sized(3), path, kwargs={'scale': 2.0})  # given kwargs complete the attributes
    assert read_header(path)['kwargs'] == {'size': 3, 'scale': 2.0}
    with pytest.raises(TypeError, match='chainer.Link'):
        save_model(object(), str(tmp_path / 'x.npz'))
    with pytest.raises(ValueError, match='JSON'):
        save_model(Opaque(2), path, kwargs={'size': object(), 'scale': 1.0})


def test_load_model_class_not_importable(tmp_path):
    class Local(PixelNet):
        pass

    path = str(tmp_path / 'local.npz')
    save_model(Local(), path)
    with pytest.raises(ValueError, match='cannot find the class'):
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
