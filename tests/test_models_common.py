"""What every model shares: predict, save/load, train/test modes, summary, count_params, overfit."""
import functools

import numpy
import pytest

import seglearn  # noqa: F401  (before chainer)
import chainer
import chainer.functions as F

from seglearn import models, upsampling
from seglearn.datasets import CellsDataset, ShapesDataset
from seglearn.metrics import evaluate
from seglearn.models import (VGG16, BilinearUpsampling2D, FCDenseNet, FCN8s, FCN32s, UNet,
                             count_params, skip_crops, summary, trace_shapes)
from seglearn.models.common import center_crop, crop
from small import width_option

# Every model of the zoo, small: a new line in seglearn.models.MODELS is tested here without a
# change to this file. By class, what makes a family small and fast (default: 1/32 of its width
# when it has one) and its test input size (default 20x28); the output size is the model's own
# output_size().
SMALL = {UNet: dict(in_channels=1, depth=2, width=1 / 16),
         FCDenseNet: dict(n_layers_per_block=2, growth_rate=4, first_channels=8)}
SIZES = {UNet: (44, 60), FCDenseNet: (32, 64)}
# tiny models: name -> (factory, class); the zoo's, plus variants its options cannot express
TINY = {name: (functools.partial(models.build, name, 3,
                                 **SMALL.get(spec.cls, width_option(spec.cls, 1 / 32))), spec.cls)
        for name, spec in models.MODELS.items()}
TINY['unet_same'] = (functools.partial(UNet, 3, in_channels=2, depth=2, base=4, padding='same',
                                       upsample='bilinear', batch_norm=True), UNet)
SIZES_BY_NAME = {'unet_same': (16, 24)}


def _images(shape, seed=0):
    return (numpy.random.RandomState(seed).rand(*shape) * 255).astype(numpy.float32)


def _tiny(name, seed=0):
    """(model, input shape (C, H, W), output size (H', W') of forward)."""
    numpy.random.seed(seed)
    factory, cls = TINY[name]
    model = factory()
    size = SIZES_BY_NAME.get(name, SIZES.get(cls, (20, 28)))
    out_size = tuple(model.output_size(s) for s in size) if hasattr(model, 'output_size') else size
    return model, (model.in_channels,) + size, out_size


def test_every_zoo_model_is_a_segmentation_model_of_its_name():
    assert {'fcn32s', 'fcn8s', 'unet', 'fcdensenet56', 'fcdensenet103'} <= set(TINY)
    for name in models.MODELS:
        model, in_shape, out_size = _tiny(name)
        assert isinstance(model, models.MODELS[name].cls)
        assert isinstance(model, models.SegmentationModel) and model.n_class == 3
    assert _tiny('unet')[1:] == ((1, 44, 60), (4, 20))  # valid U-Net: smaller output


# --- helpers of seglearn.models.common ----------------------------------------------------------

def test_crop_and_center_crop():
    x = numpy.arange(2 * 3 * 7 * 9, dtype=numpy.float32).reshape(2, 3, 7, 9)
    v = chainer.Variable(x)
    numpy.testing.assert_array_equal(crop(v, (1, 2), (4, 5)).array, x[:, :, 1:5, 2:7])
    numpy.testing.assert_array_equal(crop(v, 0, (7, 9)).array, x)
    numpy.testing.assert_array_equal(center_crop(v, (3, 4)).array, x[:, :, 2:5, 2:6])
    numpy.testing.assert_array_equal(center_crop(x, (4, 4)), x[:, :, 1:5, 2:6])
    with pytest.raises(ValueError, match='cannot crop 4x5 at offset'):
        crop(x, (4, 0), (4, 5))


def test_bilinear_upsampling_layer():
    layer = BilinearUpsampling2D(2, 4, 2)
    numpy.testing.assert_array_equal(layer.W, upsampling.bilinear_kernel(2, 2, 4))
    assert list(layer.params()) == [] and 'W' in layer._persistent
    x = _images((1, 2, 3, 5))
    want = F.deconvolution_2d(x, upsampling.bilinear_kernel(2, 2, 4), stride=2).array
    numpy.testing.assert_allclose(layer(x).array, want, rtol=1e-6)
    assert layer(x).shape == (1, 2, 8, 12)  # 2·(n − 1) + 4


# --- every model --------------------------------------------------------------------------------

@pytest.mark.parametrize('name', list(TINY))
@pytest.mark.parametrize('train', [True, False])
def test_forward_backward_in_both_modes(name, train):
    model, in_shape, out_size = _tiny(name)
    x = _images((2,) + in_shape)
    t = numpy.random.RandomState(1).randint(0, 3, (2,) + out_size).astype(numpy.int32)
    with chainer.using_config('train', train):
        y = model(x)
        assert y.shape == (2, 3) + out_size and y.dtype == numpy.float32
        loss = F.softmax_cross_entropy(y, t)
        model.cleargrads()
        loss.backward()
    grads = [p.grad for p in model.params()]
    assert all(g is not None and numpy.isfinite(g).all() for g in grads)
    assert sum(float(numpy.abs(g).sum()) for g in grads) > 0
    assert model.n_class == 3 and model.in_channels == in_shape[0]


@pytest.mark.parametrize('name', list(TINY))
def test_predict(name):
    model, in_shape, _ = _tiny(name)
    c = in_shape[0]
    imgs = [_images((c, 11, 13)), _images((c,) + in_shape[1:], seed=1)]
    labels = model.predict(imgs)
    assert [label.shape for label in labels] == [(11, 13), in_shape[1:]]
    assert all(isinstance(label, numpy.ndarray) and label.dtype == numpy.int32
               for label in labels)
    assert all(((label >= 0) & (label < 3)).all() for label in labels)
    batch = numpy.stack([imgs[1], _images((c,) + in_shape[1:], seed=2)])
    from_batch = model.predict(batch)
    assert len(from_batch) == 2
    numpy.testing.assert_array_equal(from_batch[0], labels[1])
    assert chainer.config.train  # predict restored the configuration


@pytest.mark.parametrize('name', ['fcn8s', 'unet_same', 'fcdensenet56'])
def test_predict_is_argmax_of_test_mode_forward(name):
    model, in_shape, _ = _tiny(name)
    x = _images((1,) + in_shape)
    with chainer.using_config('train', False):
        want = model(x).array[0].argmax(axis=0)
    numpy.testing.assert_array_equal(model.predict(x)[0], want)


@pytest.mark.parametrize('name', list(TINY))
def test_forward_input_errors(name):
    model, in_shape, _ = _tiny(name)
    c = in_shape[0]
    with pytest.raises(TypeError, match='array or Variable'):
        model([[0.0]])
    with pytest.raises(ValueError, match='{} input channel'.format(c)):
        model(_images((1, c + 1) + in_shape[1:]))
    with pytest.raises(ValueError, match='4 axes'):
        model(_images(in_shape))
    with pytest.raises(TypeError, match='floating'):
        model(numpy.zeros((1,) + in_shape, numpy.int32))
    with pytest.raises(ValueError, match='empty'):
        model(numpy.zeros((0,) + in_shape, numpy.float32))


def test_bilinear_upsampling_layer_errors():
    with pytest.raises(ValueError, match='channels'):
        BilinearUpsampling2D(0, 4, 2)


def test_predict_errors():
    model, _, _ = _tiny('fcn32s')
    with pytest.raises(ValueError, match='wrap a single image in a list'):
        model.predict(_images((3, 8, 8)))
    with pytest.raises(ValueError, match=r'imgs\[1\] must be a CHW array'):
        model.predict([_images((3, 8, 8)), _images((8, 8))])
    with pytest.raises(ValueError, match='3 input channel'):
        model.predict([_images((1, 8, 8))])
    with pytest.raises(TypeError, match='floating'):
        model.predict([numpy.zeros((3, 8, 8), numpy.uint8)])


@pytest.mark.parametrize('name', list(TINY))
def test_save_load_gives_the_same_output(name, tmp_path):
    model, in_shape, _ = _tiny(name, seed=0)
    x = _images((2,) + in_shape)
    rng = numpy.random.RandomState(2)
    for param in model.params():  # as if trained (FCN's score layers start at zero)
        param.array += (0.1 * rng.randn(*param.shape)).astype(numpy.float32)
    with chainer.using_config('train', True):  # moves batch-norm statistics away from init
        model(x)
    path = str(tmp_path / 'model.npz')
    chainer.serializers.save_npz(path, model)
    loaded, _, _ = _tiny(name, seed=1)
    chainer.serializers.load_npz(path, loaded)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        want = model(x).array
        assert not numpy.allclose(_tiny(name, seed=1)[0](x).array, want)
        numpy.testing.assert_array_equal(loaded(x).array, want)


REBUILD = [
    (FCN8s, dict(n_class=3, width=1 / 32, dropout=0.25)),
    (UNet, dict(n_class=3, in_channels=2, depth=2, base=4, padding='same', upsample='bilinear',
                dropout=0.25, batch_norm=True)),
    (FCDenseNet, dict(n_class=3, in_channels=1, n_layers_per_block=[2, 1, 2, 1, 2],
                      growth_rate=4, first_channels=8, dropout=0.1, transition='conv')),
]


@pytest.mark.parametrize('cls, kwargs', REBUILD, ids=[c.__name__ for c, _ in REBUILD])
def test_every_constructor_argument_is_recorded_for_rebuilding(cls, kwargs, tmp_path):
    """save_model reads constructor arguments from attributes: a model must keep them all."""
    import warnings
    from seglearn.serialization import load_model, read_header, save_model
    model = cls(**kwargs)
    path = str(tmp_path / 'model.npz')
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no argument may fall back to its default
        save_model(model, path)
    recorded = read_header(path)['kwargs']
    assert recorded == {k: list(v) if isinstance(v, (list, tuple)) else v
                        for k, v in kwargs.items()}
    x = _images((1, model.in_channels, 32, 32))
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        numpy.testing.assert_array_equal(load_model(path)(x).array, model(x).array)


# --- count_params and summary -------------------------------------------------------------------

def test_count_params():
    model = UNet(2, depth=1, base=2, batch_norm=True)
    assert count_params(model) == sum(p.array.size for p in model.params())
    bn = sum(link.avg_mean.size + link.avg_var.size for link in model.links()
             if isinstance(link, chainer.links.BatchNormalization))
    assert count_params(model, trainable_only=False) == count_params(model) + bn
    optimizer = chainer.optimizers.SGD()
    optimizer.setup(model)
    model.final.disable_update()
    assert count_params(model) == sum(p.array.size for p in model.params()) - model.final.W.size \
        - model.final.b.size
    fcn = FCN32s(2, width=1 / 32)
    assert count_params(fcn, trainable_only=False) == count_params(fcn) + fcn.upscore.W.size
    with pytest.raises(TypeError, match='chainer.Link'):
        count_params('model')
    lazy = chainer.links.Linear(None, 3)
    with pytest.raises(ValueError, match='forward pass first'):
        count_params(lazy)


@pytest.mark.parametrize('name', list(TINY))
def test_summary(name):
    model, in_shape, out_size = _tiny(name)
    text = summary(model, in_shape)
    rows = {line.split()[0]: line.split() for line in text.splitlines()[2:] if line.strip()}
    leaves = [path.lstrip('/') for path, link in model.namedlinks(skipself=True)
              if not isinstance(link, (chainer.Chain, chainer.ChainList))]
    for path in leaves:
        assert path in rows, path
    # the output shape column of the final layer and the totals
    assert 'x'.join(map(str, (1, 3) + out_size)) in text
    assert '{:,} trainable'.format(count_params(model)) in text
    assert sum(int(row[-1].replace(',', '')) for key, row in rows.items()
               if key in leaves) == count_params(model)


def test_summary_of_a_model_with_several_outputs():
    text = summary(VGG16(width=1 / 16), (3, 224, 224))
    assert 'fc7: 1x256' in text and 'conv5_3' in text


def test_summary_errors():
    model, _, _ = _tiny('fcn32s')
    for inspect in (summary, trace_shapes):
        with pytest.raises(ValueError, match='input_shape'):
            inspect(model, (20, 28))
        with pytest.raises(TypeError, match='chainer.Link'):
            inspect(object(), (3, 8, 8))
        with pytest.raises(ValueError, match='3 input channel'):
            inspect(model, (1, 8, 8))


def test_trace_shapes_of_a_valid_unet_match_its_arithmetic():
    model = UNet(2, in_channels=1, depth=4, base=4)
    rows = trace_shapes(model, (1, 188, 188))
    shapes = {name: shape for name, _, shape in rows}
    names = [name for name, _, _ in rows]
    # the contracting path: two valid 3x3 convolutions per level, 2x2 pooling between levels
    size = 188
    for level in range(4):
        assert shapes['down/{}/conv1'.format(level)] == (1, 4 * 2 ** level, size - 2, size - 2)
        assert shapes['down/{}'.format(level)] == (1, 4 * 2 ** level, size - 4, size - 4)
        size = (size - 4) // 2
    # the skip crops of the up path: contracting size minus up-convolution size, per side
    crops = [(shapes['down/{}'.format(3 - i)][2] - shapes['up/{}'.format(i)][2]) // 2
             for i in range(4)]
    assert tuple(crops) == skip_crops(188)
    assert rows[-1] == ('UNet', 'UNet', (1, 2, 4, 4))
    # a chain's row comes after its children's; every link but the lists holding them is called
    assert names.index('down/0/conv2') < names.index('down/0') < names.index('down/1/conv1')
    assert set(path.lstrip('/') for path, link in model.namedlinks(skipself=True)
               if not isinstance(link, chainer.ChainList)) <= set(names)
    # the leaf rows are summary's rows
    table = summary(model, (1, 188, 188)).splitlines()[2:-3]
    assert [line.split()[0] for line in table] == [
        name for name, kind, _ in rows if kind in ('Convolution2D', 'Deconvolution2D')]


def test_trace_shapes_of_links_with_several_outputs():
    model = FCDenseNet(3, n_layers_per_block=2, growth_rate=4, first_channels=8)
    shapes = {name: shape for name, _, shape in trace_shapes(model, (3, 32, 32))}
    # a dense block returns its full output and its new maps: 8 + 2 * 4 channels, 2 * 4 new
    assert shapes['down/0'] == ((1, 16, 32, 32), (1, 8, 32, 32))
    vgg = {name: shape for name, _, shape in trace_shapes(VGG16(width=1 / 16), (3, 224, 224))}
    assert vgg['VGG16'][-1] == (1, 256)


# --- each model learns a tiny batch ------------------------------------------------------------

def _overfit(model, dataset, n, iterations, lr):
    imgs = numpy.stack([dataset[i][0] for i in range(n)])
    labels = numpy.stack([dataset[i][1] for i in range(n)])
    optimizer = chainer.optimizers.Adam(alpha=lr)
    optimizer.setup(model)
    losses = []
    for _ in range(iterations):
        with chainer.using_config('train', True):
            loss = F.softmax_cross_entropy(model(imgs), labels)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.array))
    miou = evaluate(model.predict(imgs), list(labels), dataset.n_class)['miou']
    # chance level: the best constant prediction (the most frequent class)
    majority = numpy.bincount(labels.ravel(), minlength=dataset.n_class).argmax()
    chance = evaluate([numpy.full_like(label, majority) for label in labels], list(labels),
                      dataset.n_class)['miou']
    return losses, miou, chance


def test_unet_overfits_cells():
    numpy.random.seed(0)
    losses, miou, chance = _overfit(UNet(2, base=8, depth=3, padding='same'),
                                    CellsDataset(n=4, size=32), 4, 40, 1e-3)
    assert losses[-1] < 0.5 * losses[0]
    assert miou > 0.8 and miou > chance + 0.3


def test_fcdensenet_overfits_shapes():
    numpy.random.seed(0)
    model = FCDenseNet(4, n_layers_per_block=2, growth_rate=6, first_channels=12, dropout=0)
    losses, miou, chance = _overfit(model, ShapesDataset(n=2, size=32), 2, 30, 1e-2)
    assert losses[-1] < 0.3 * losses[0]
    assert miou > 0.6 and miou > chance + 0.4


@pytest.mark.slow
def test_fcn8s_overfits_shapes():
    numpy.random.seed(0)
    losses, miou, chance = _overfit(FCN8s(4, width=1 / 16), ShapesDataset(n=2, size=32), 2, 40,
                                    1e-3)
    assert losses[-1] < 0.5 * losses[0]
    assert miou > 0.5 and miou > chance + 0.25


# --- the zoo: build() and each family's reading of the common options ---------------------------

def test_build_reads_width_and_depth_per_family():
    fcn = models.build('fcn16s', 5, width=0.25)
    assert type(fcn) is models.FCN16s and fcn.width == 0.25 and fcn.in_channels == 3
    unet = models.build('unet', 2, in_channels=3, width=0.5, depth=3)
    assert (unet.base, unet.depth, unet.in_channels, unet.padding) == (32, 3, 3, 'valid')
    assert models.UNet.build_kwargs() == {'base': 64}  # and the constructor's depth=4
    dense = models.build('fcdensenet103', 11, width=0.5, growth_rate=1)  # growth 16: too slow
    assert dense.first_channels == 24 and dense.n_layers_per_block == (4, 5, 7, 10, 12, 15, 12,
                                                                      10, 7, 5, 4)
    assert dense.in_channels == 3 and models.MODELS['fcdensenet103'].preset['growth_rate'] == 16
    # width narrows the growth rate with the first convolution: the preset's 12 or 16
    assert [(m.first_channels, m.growth_rate) for m in (
        models.build('fcdensenet56', 2, in_channels=1, width=1 / 3),
        models.build('fcdensenet67', 2, width=0.25), models.build('fcdensenet56', 2, width=0.01))
    ] == [(16, 4), (12, 4), (1, 1)]
    assert models.FCDenseNet.build_kwargs(width=0.5) == {'first_channels': 24, 'growth_rate': 6}
    # keyword arguments override the preset and the options
    small = models.build('fcdensenet67', 2, n_layers_per_block=1, growth_rate=2)
    assert (small.n_layers_per_block, small.growth_rate) == ((1,) * 11, 2)
    same = models.build('unet', 2, width=1 / 16, depth=2, padding='same', base=6)
    assert (same.padding, same.base) == ('same', 6)
    assert models.scaled(64, 1 / 1000) == 1 and models.scaled(48, 0.5) == 24


def test_build_errors():
    with pytest.raises(ValueError, match="unknown model 'segnet'; the zoo has fcn32s"):
        models.build('segnet', 2)
    with pytest.raises(ValueError, match='takes RGB images: in_channels must be 3'):
        models.build('fcn8s', 2, in_channels=1)
    for name in ('fcn32s', 'fcdensenet56'):
        with pytest.raises(ValueError, match='has no depth option'):
            models.build(name, 2, depth=3)
    for bad in (0, -1.0, float('inf'), float('nan')):
        with pytest.raises(ValueError, match='width'):
            models.build('unet', 2, width=bad)
    with pytest.raises(TypeError, match='width'):
        models.build('fcdensenet56', 2, width='1')


def test_the_base_class_accepts_only_the_default_options():
    class Plain(models.SegmentationModel):
        pass
    assert Plain.build_kwargs() == {} and Plain.build_kwargs(in_channels=2) == {'in_channels': 2}
    with pytest.raises(ValueError, match='Plain has no width or depth option'):
        Plain.build_kwargs(width=0.5)
    with pytest.raises(ValueError, match='Plain has no width or depth option'):
        Plain.build_kwargs(depth=2)


def test_every_zoo_layer_is_a_seglearn_link_so_the_loading_budget_sees_it():
    from seglearn import links
    ours = (links.Convolution2D, links.Deconvolution2D, links.BatchNormalization)
    for name in TINY:
        model, _, _ = _tiny(name)
        for path, link in model.namedlinks():
            if next(link.params(include_uninit=True), None) is not None and not list(
                    link.children()):
                assert isinstance(link, ours), (name, path, type(link).__name__)


@pytest.mark.parametrize('name', ['fcn32s', 'unet', 'fcdensenet56'])
def test_float64_input_is_a_type_error_that_names_x(name):
    spec = models.MODELS[name]
    model = models.build(name, 2, **width_option(spec.cls, 1 / 32))
    c = model.in_channels
    with pytest.raises(TypeError, match=r'x must be float32 .*got dtype float64.*astype'):
        model.forward(numpy.zeros((1, c, 32, 32)))  # was Chainer's InvalidType
