"""VGG16 and the FCN variants: shapes at every size, crops, fixed upsampling, staged init."""
import os
import subprocess
import sys
import textwrap

import numpy
import pytest

import seglearn  # noqa: F401  (before chainer)
import chainer
import chainer.functions as F

from seglearn import arithmetic, upsampling
from seglearn.arithmetic import Conv, Crop, Deconv, Pool, coordinate_map, deconv_output_size
from seglearn.arithmetic import stack_output_size
from seglearn.models import FCN8s, FCN8sAtOnce, FCN16s, FCN32s, VGG16, count_params, fcn, vgg
from seglearn.models.fcn import FCN_UPSAMPLING, FCN_VGG16_LAYERS, fcn_crop_offsets
from seglearn.models.vgg import VGG_MEAN_BGR, vgg_denormalize, vgg_normalize
from seglearn.upsampling import bilinear_weights_1d

FCNS = (FCN32s, FCN16s, FCN8s, FCN8sAtOnce)
VARIANT = {FCN32s: 'fcn32s', FCN16s: 'fcn16s', FCN8s: 'fcn8s', FCN8sAtOnce: 'fcn8s'}
UPSAMPLING = {FCN32s: ('upscore',), FCN16s: ('upscore2', 'upscore16'),
              FCN8s: ('upscore2', 'upscore_pool4', 'upscore8'),
              FCN8sAtOnce: ('upscore2', 'upscore_pool4', 'upscore8')}


def _images(shape, seed=0):
    return (numpy.random.RandomState(seed).rand(*shape) * 255).astype(numpy.float32)


def _randomise_scores(model, seed=0, names=('score_fr', 'score_pool4', 'score_pool3')):
    rng = numpy.random.RandomState(seed)
    for name in names:
        if hasattr(model, name):
            link = getattr(model, name)
            link.W.array[...] = rng.randn(*link.W.shape) * 0.1
            link.b.array[...] = rng.randn(*link.b.shape)


def _fake_vgg_npz(path, width, seed=0):
    """An npz laid out like Chainer's converted VGG16Layers (Linear fc6/fc7, plus fc8)."""
    rng = numpy.random.RandomState(seed)
    arrays = {}
    for name, cin, cout, _ in vgg.conv_specs(width):
        arrays[name + '/W'] = rng.randn(cout, cin, 3, 3).astype(numpy.float32)
        arrays[name + '/b'] = rng.randn(cout).astype(numpy.float32)
    c5, fc = vgg.scaled(512, width), vgg.scaled(4096, width)
    for name, cin, cout in (('fc6', c5 * 49, fc), ('fc7', fc, fc), ('fc8', fc, 10)):
        arrays[name + '/W'] = rng.randn(cout, cin).astype(numpy.float32)
        arrays[name + '/b'] = rng.randn(cout).astype(numpy.float32)
    numpy.savez(path, **arrays)
    return arrays


# --- VGG16 ------------------------------------------------------------------------------------

def test_vgg16_layers_and_width():
    model = VGG16(width=1 / 8)
    names = [name.lstrip('/') for name, _ in model.namedlinks(skipself=True)]
    assert sorted(names) == sorted(vgg.LAYER_NAMES)
    assert model.channels == (8, 16, 32, 64, 64) and model.fc_channels == 512
    assert model.conv3_3.W.shape == (32, 32, 3, 3) and model.conv4_1.W.shape == (64, 32, 3, 3)
    assert model.fc6.W.shape == (512, 64 * 7 * 7)
    assert VGG16(width=1e-4).channels == (1, 1, 1, 1, 1)


def test_vgg16_parameter_count():
    channels = [3, 8, 8, 16, 16, 32, 32, 32, 64, 64, 64, 64, 64, 64]
    convs = sum(9 * cin * cout + cout for cin, cout in zip(channels[:-1], channels[1:]))
    assert count_params(VGG16(width=1 / 8)) == convs + (64 * 49 * 512 + 512) + (512 * 512 + 512)


def test_vgg16_forward():
    model = VGG16(width=1 / 16)
    x = vgg.preprocess(_images((2, 3, 224, 224)))
    with chainer.using_config('train', False):
        out = model(x, layers=('conv1_2', 'pool3', 'fc7'))
    assert out['conv1_2'].shape == (2, 4, 224, 224)
    assert out['pool3'].shape == (2, 16, 28, 28)
    assert out['fc7'].shape == (2, 256)
    with pytest.raises(ValueError, match='pool5'):
        model(x[:, :, :100, :100])
    with pytest.raises(ValueError, match='conv9_9'):
        model(x, layers=('conv9_9',))


def test_vgg_preprocess_is_bgr_minus_mean():
    x = _images((1, 3, 4, 5))
    y = vgg.preprocess(x).array
    for c in range(3):
        numpy.testing.assert_allclose(y[0, c], x[0, 2 - c] - VGG_MEAN_BGR[c], rtol=1e-6)
    assert y.dtype == numpy.float32


def test_vgg_normalize_values_and_round_trip():
    img = numpy.random.RandomState(0).randint(0, 256, size=(3, 12, 17)).astype(numpy.float32)
    x = vgg_normalize(img)
    assert x.dtype == numpy.float32 and x.shape == img.shape
    for c_bgr, c_rgb in zip(range(3), (2, 1, 0)):
        numpy.testing.assert_allclose(x[c_bgr], img[c_rgb] - VGG_MEAN_BGR[c_bgr], rtol=1e-6)
    back = vgg_denormalize(x)
    assert back.dtype == numpy.float32
    numpy.testing.assert_allclose(back, img, atol=1e-4)
    batch = numpy.stack([img, img[::-1]])
    numpy.testing.assert_allclose(vgg_normalize(batch)[1], vgg_normalize(img[::-1].copy()))
    numpy.testing.assert_allclose(vgg_denormalize(vgg_normalize(batch)), batch, atol=1e-4)


def test_vgg_normalize_float64_input_stays_float32_and_bad_inputs():
    img = numpy.full((3, 2, 2), 200.0)
    assert vgg_normalize(img).dtype == numpy.float32
    with pytest.raises(ValueError, match=r'\(3, H, W\)'):
        vgg_normalize(numpy.zeros((1, 4, 4), numpy.float32))
    with pytest.raises(TypeError, match='float'):
        vgg_normalize(numpy.zeros((3, 4, 4), numpy.uint8))


def test_vgg_width_errors():
    with pytest.raises(ValueError, match='width'):
        VGG16(width=0)
    with pytest.raises(TypeError, match='width'):
        FCN32s(3, width='1')


def test_pretrained_npz_into_vgg_and_fcn(tmp_path):
    path = str(tmp_path / 'vgg.npz')
    arrays = _fake_vgg_npz(path, 1 / 16)
    model = VGG16(width=1 / 16, pretrained=path)
    numpy.testing.assert_array_equal(model.conv2_1.W.array, arrays['conv2_1/W'])
    numpy.testing.assert_array_equal(model.fc6.W.array, arrays['fc6/W'])
    fcn = FCN8s(5, width=1 / 16, pretrained=path)
    numpy.testing.assert_array_equal(fcn.conv5_3.b.array, arrays['conv5_3/b'])
    # fc6: the (fc, 512·7·7) matrix becomes a 7×7 convolution; applying it to pool5 as a
    # convolution equals the matrix product on the flattened pool5
    assert fcn.fc6.W.shape == (256, 32, 7, 7) and fcn.fc7.W.shape == (256, 256, 1, 1)
    pool5 = numpy.random.RandomState(1).rand(1, 32, 7, 7).astype(numpy.float32)
    conv = fcn.fc6(pool5).array.ravel()
    numpy.testing.assert_allclose(conv, arrays['fc6/W'] @ pool5.ravel() + arrays['fc6/b'],
                                  rtol=1e-4, atol=1e-3)
    numpy.testing.assert_array_equal(fcn.fc7.W.array[:, :, 0, 0], arrays['fc7/W'])
    assert not fcn.score_fr.W.array.any()  # score layers are not part of VGG16


def test_pretrained_errors(tmp_path):
    path = str(tmp_path / 'vgg.npz')
    _fake_vgg_npz(path, 1 / 16)
    with pytest.raises(ValueError, match=r"conv1_1/W.*\(4, 3, 3, 3\).*\(8, 3, 3, 3\)"):
        FCN32s(3, width=1 / 8, pretrained=path)
    with pytest.raises(FileNotFoundError, match='missing.npz'):
        VGG16(pretrained=str(tmp_path / 'missing.npz'))
    partial = str(tmp_path / 'partial.npz')
    numpy.savez(partial, **{'conv1_1/W': numpy.zeros((4, 3, 3, 3), numpy.float32),
                            'conv1_1/b': numpy.zeros(4, numpy.float32)})
    with pytest.raises(ValueError, match="conv1_2"):
        VGG16(width=1 / 16, pretrained=partial)
    garbage = tmp_path / 'garbage.npz'
    garbage.write_bytes(b'not a zip file')
    with pytest.raises(ValueError, match='garbage.npz'):
        VGG16(pretrained=str(garbage))


def test_caffemodel_without_protobuf_gives_clear_import_error(tmp_path, monkeypatch):
    path = tmp_path / 'vgg.caffemodel'
    path.write_bytes(b'')
    monkeypatch.setitem(sys.modules, 'chainer.links.caffe', None)
    with pytest.raises(ImportError, match='protobuf'):
        vgg.load_weights(str(path))


@pytest.mark.slow
def test_pretrained_caffemodel(tmp_path):
    # a small Caffe net with VGG16's layer names; written and read in a fresh interpreter,
    # because Chainer's Caffe schema needs the pure-Python protobuf backend
    script = textwrap.dedent('''
        import sys
        import numpy
        import seglearn
        from chainer.links.caffe.protobuf3 import caffe_pb2
        from seglearn.models import FCN32s, vgg

        def blob(a):
            b = caffe_pb2.BlobProto()
            b.shape.dim.extend(a.shape)
            b.data.extend(a.ravel().tolist())
            return b

        rng = numpy.random.RandomState(0)
        net = caffe_pb2.NetParameter()
        arrays = {}
        layers = [(name, 'Convolution', (cout, cin, 3, 3))
                  for name, cin, cout, _ in vgg.conv_specs(1 / 16)]
        layers += [('fc6', 'InnerProduct', (256, 32 * 49)), ('fc7', 'InnerProduct', (256, 256))]
        for name, kind, shape in layers:
            layer = net.layer.add()
            layer.name, layer.type = name, kind
            if kind == 'Convolution':
                layer.convolution_param.num_output = shape[0]
                layer.convolution_param.kernel_size.append(3)
                layer.convolution_param.pad.append(1)
            else:
                layer.inner_product_param.num_output = shape[0]
            arrays[name] = (rng.randn(*shape).astype(numpy.float32),
                            rng.randn(shape[0]).astype(numpy.float32))
            layer.blobs.extend([blob(a) for a in arrays[name]])
        with open(sys.argv[1], 'wb') as f:
            f.write(net.SerializeToString())
        weights = vgg.load_weights(sys.argv[1])
        for name in arrays:
            for got, want in zip(weights[name], arrays[name]):
                assert numpy.array_equal(got, want), name
        model = FCN32s(3, width=1 / 16, pretrained=sys.argv[1])
        assert numpy.array_equal(model.fc6.W.array.reshape(256, -1), arrays['fc6'][0])
        print('ok')
    ''')
    env = dict(os.environ, PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION='python')
    result = subprocess.run([sys.executable, '-c', script, str(tmp_path / 'vgg.caffemodel')],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith('ok')


# --- FCN structure ----------------------------------------------------------------------------

@pytest.mark.parametrize('cls', FCNS)
def test_fcn_structure(cls):
    model = cls(6, width=1 / 32)
    assert model.n_class == 6 and model.in_channels == 3
    assert model.crop_offsets == fcn_crop_offsets(VARIANT[cls])
    assert model.conv1_1.pad == (100, 100) and model.conv1_2.pad == (1, 1)
    assert model.fc6.W.shape[2:] == (7, 7) and model.fc6.pad == (0, 0)
    assert model.fc7.W.shape[2:] == (1, 1)
    for name in ('score_fr', 'score_pool4', 'score_pool3'):
        if hasattr(model, name):
            link = getattr(model, name)
            assert link.W.shape[2:] == (1, 1) and link.W.shape[0] == 6
            assert not link.W.array.any() and not link.b.array.any()
    for name, (ksize, stride, _) in zip(UPSAMPLING[cls], FCN_UPSAMPLING[VARIANT[cls]]):
        link = getattr(model, name)
        assert link.stride == (stride, stride) and link.b is None
        numpy.testing.assert_array_equal(link.W, upsampling.bilinear_kernel(6, 6, ksize))
        assert name + '/W' not in dict(model.namedparams())  # fixed: not a parameter


def test_fcn_crop_offsets_are_the_papers():
    assert FCN32s(2, width=1 / 32).crop_offsets == (19,)
    assert FCN16s(2, width=1 / 32).crop_offsets == (5, 27)
    assert FCN8s(2, width=1 / 32).crop_offsets == (5, 9, 31)


def test_fcn_trunk_starts_from_he_normal():
    numpy.random.seed(0)
    model = FCN8s(3, width=1 / 8)
    trunk = [name for name, _, _, _ in vgg.conv_specs(1 / 8)] + ['fc6', 'fc7']
    for name in trunk:
        W, b = getattr(model, name).W.array, getattr(model, name).b.array
        fan_in, n = int(numpy.prod(W.shape[1:])), W.size
        # sample std and mean of n normal draws, within 4 standard errors
        assert abs(W.std() / numpy.sqrt(2 / fan_in) - 1) < 4 / numpy.sqrt(2 * n), name
        assert abs(W.mean()) < 4 * numpy.sqrt(2 / fan_in / n), name
        assert W.dtype == numpy.float32 and not b.any(), name


def test_he_init_keeps_the_signal_up_to_fc7():
    """Chainer's default LeCun init let the activations fade about 60× from pool1 to fc7 (issue
    10's measurement); with He's the scale at fc7 stays within a factor 4 of pool1's."""
    numpy.random.seed(0)
    model = FCN32s(2, width=1 / 8, dropout=0)
    x = numpy.random.RandomState(1).uniform(0, 255, (2, 3, 64, 64)).astype(numpy.float32)
    stds = {}

    class Recorder(chainer.LinkHook):
        def forward_postprocess(self, args):
            if args.link.name in ('conv1_2', 'fc7'):
                stds[args.link.name] = float(F.relu(args.out).array.std())

    with Recorder(), chainer.using_config('train', False), chainer.no_backprop_mode():
        model(x)
    assert 0.25 < stds['fc7'] / stds['conv1_2'] < 4, stds
    lecun = FCN32s(2, width=1 / 8, dropout=0)
    for link in lecun.links():
        if link.name in [name for name, _, _, _ in vgg.conv_specs(1 / 8)] + ['fc6', 'fc7']:
            fan_in = int(numpy.prod(link.W.shape[1:]))
            link.W.array[...] = numpy.random.normal(0, numpy.sqrt(1 / fan_in), link.W.shape)
    with Recorder(), chainer.using_config('train', False), chainer.no_backprop_mode():
        lecun(x)
    assert stds['fc7'] / stds['conv1_2'] < 0.1, stds  # the fading He's init prevents


@pytest.mark.parametrize('dropout', [0.5, 0.0])
def test_fcn_dropout_only_in_training_and_switchable(dropout):
    numpy.random.seed(0)
    model = FCN32s(2, width=1 / 16, dropout=dropout)
    model.score_fr.W.array[...] = numpy.random.normal(0, 1, model.score_fr.W.shape)
    x = numpy.random.RandomState(1).uniform(0, 255, (1, 3, 40, 40)).astype(numpy.float32)
    with chainer.using_config('train', False):
        numpy.testing.assert_array_equal(model(x).array, model(x).array)
    with chainer.using_config('train', True):
        assert numpy.array_equal(model(x).array, model(x).array) == (dropout == 0)
    assert FCN16s.init_from(model).dropout == dropout


@pytest.mark.parametrize('dropout', [-0.1, 1.0, float('nan')])
def test_fcn_dropout_out_of_range(dropout):
    with pytest.raises(ValueError, match=r'dropout must be in \[0, 1\)'):
        FCN32s(2, width=1 / 16, dropout=dropout)


@pytest.mark.parametrize('cls', FCNS)
def test_fcn_parameter_count(cls):
    # at width 1/8: the VGG16 trunk as in test_vgg16_parameter_count (fc6 as a 7×7 convolution
    # has the same weights as the Linear), then 1×1 score layers on fc7, pool4, pool3
    n_scores = {FCN32s: (512,), FCN16s: (512, 64)}.get(cls, (512, 64, 32))
    trunk = count_params(VGG16(width=1 / 8))
    assert count_params(cls(5, width=1 / 8)) == trunk + sum(c * 5 + 5 for c in n_scores)


@pytest.mark.slow
def test_fcn32s_full_width_parameter_count():
    # VGG16's 13 convolutions and fc6/fc7 (as convolutions) + score_fr 4096→21; the fixed
    # upsampling kernel is not a parameter
    model = FCN32s(21)
    assert count_params(model) == 138357544 - 4097000 + 4096 * 21 + 21
    assert count_params(model, trainable_only=False) == count_params(model) + 21 * 21 * 64 * 64


@pytest.mark.parametrize('cls', FCNS)
def test_fcn_output_size_equals_input_size_1_to_40(cls):
    model = cls(3, width=1 / 32)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for h in range(1, 41):
            w = 41 - h
            assert model(_images((1, 3, h, w))).shape == (1, 3, h, w)


@pytest.mark.parametrize('size', [(117, 333), (500, 500), (600, 17)])
def test_fcn8s_large_inputs(size):
    model = FCN8s(2, width=1 / 32)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        assert model(_images((1, 3) + size)).shape == (1, 2) + size


def test_fcn_stage_sizes_match_arithmetic():
    # what the model computes is what seglearn.arithmetic predicts for its layer stack
    model = FCN8s(2, width=1 / 32)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for size in (1, 31, 32, 33, 100, 227):
            pool3, pool4, score = model.features(_images((1, 3, size, size)))
            for name, got in (('pool3', pool3), ('pool4', pool4), ('score_fr', score)):
                want = arithmetic.stack_output_size(FCN_VGG16_LAYERS[name], size)
                assert got.shape[2:] == (want, want), (name, size)


@pytest.mark.parametrize('variant', ['fcn32s', 'fcn16s', 'fcn8s'])
def test_fcn_crops_fit_every_size_up_to_600(variant):
    """Arithmetic only: every crop window lies inside the map it is cut from, for 1..600."""
    layers = FCN_VGG16_LAYERS
    ups = FCN_UPSAMPLING[variant]
    offsets = fcn_crop_offsets(variant)
    for size in range(1, 601):
        h = arithmetic.stack_output_size(layers['score_fr'], size)
        for deconv, skip, offset in zip(ups[:-1], ('pool4', 'pool3'), offsets[:-1]):
            h = arithmetic.deconv_output_size(h, *deconv)
            assert offset + h <= arithmetic.stack_output_size(layers[skip], size), (size, skip)
        assert offsets[-1] + size <= arithmetic.deconv_output_size(h, *ups[-1]), size


def test_fcn_floor_pooling_would_break_500():
    """Why ceil mode: with floor pooling the FCN-32s crop does not fit a 500×500 input."""
    def floor_size(layers, size):
        return arithmetic.stack_output_size(layers, size, cover_all=False)
    score = floor_size(FCN_VGG16_LAYERS['score_fr'], 500)
    upscored = arithmetic.deconv_output_size(score, 64, 32)
    assert upscored < 19 + 500


def test_fcn_input_errors():
    model = FCN32s(3, width=1 / 32)
    with pytest.raises(ValueError, match='3 input channel'):
        model(_images((1, 1, 8, 8)))
    with pytest.raises(ValueError, match='4 axes'):
        model(_images((3, 8, 8)))
    with pytest.raises(TypeError, match='floating'):
        model(numpy.zeros((1, 3, 8, 8), numpy.int32))
    with pytest.raises(ValueError, match='n_class'):
        FCN8s(0)
    with pytest.raises(TypeError, match='n_class'):
        FCN8s(2.5)


# --- the at-once scaling and staged initialisation ---------------------------------------------

def test_at_once_scales_pool4_and_pool3():
    numpy.random.seed(0)
    staged, at_once = FCN8s(3, width=1 / 32), FCN8sAtOnce(3, width=1 / 32)
    _randomise_scores(staged)
    at_once.copyparams(staged)
    # scaling the input of a 1×1 conv by s is scaling its weights by s
    at_once.score_pool4.W.array[...] = staged.score_pool4.W.array / 0.01
    at_once.score_pool3.W.array[...] = staged.score_pool3.W.array / 0.0001
    x = _images((1, 3, 37, 29))
    with chainer.using_config('train', False):
        numpy.testing.assert_allclose(at_once(x).array, staged(x).array, rtol=1e-3, atol=1e-3)
        assert at_once.pool4_scale == 0.01 and at_once.pool3_scale == 0.0001
        at_once.score_pool4.W.array[...] = staged.score_pool4.W.array
        assert not numpy.allclose(at_once(x).array, staged(x).array, atol=1e-3)


def _manual_staged_output(source, target, x):
    """FCN-16s/8s output computed from the source's coarse scores and the target's fixed kernels."""
    pool3, pool4, score = source.features(x)
    h = target.upscore2(score)
    if isinstance(source, FCN16s):  # its pool4 skip is part of the source's scores
        h = h + source.score_pool4(pool4)[:, :, 5:5 + h.shape[2], 5:5 + h.shape[3]]
    if isinstance(target, FCN16s):
        up, offset = target.upscore16, 27
    else:
        h = target.upscore_pool4(h)
        up, offset = target.upscore8, 31
    h = up(h)
    return h[:, :, offset:offset + x.shape[2], offset:offset + x.shape[3]].array


def test_init_from_copies_shared_layers_and_new_branch_adds_zero():
    numpy.random.seed(0)
    m32 = FCN32s(4, width=1 / 32)
    _randomise_scores(m32)
    m16 = FCN16s.init_from(m32)
    assert type(m16) is FCN16s and m16.n_class == 4 and m16.width == m32.width
    numpy.testing.assert_array_equal(m16.conv3_2.W.array, m32.conv3_2.W.array)
    numpy.testing.assert_array_equal(m16.score_fr.b.array, m32.score_fr.b.array)
    assert not m16.score_pool4.W.array.any()
    x = _images((2, 3, 45, 61))
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        numpy.testing.assert_allclose(m16(x).array, _manual_staged_output(m32, m16, x),
                                      rtol=1e-5, atol=1e-5)
        _randomise_scores(m16, seed=1, names=('score_pool4',))  # as if trained
        m8 = FCN8s.init_from(m16)
        numpy.testing.assert_array_equal(m8.score_pool4.W.array, m16.score_pool4.W.array)
        assert not m8.score_pool3.W.array.any()
        numpy.testing.assert_allclose(m8(x).array, _manual_staged_output(m16, m8, x),
                                      rtol=1e-5, atol=1e-5)


def test_init_from_keeps_the_prediction():
    """The new model predicts what the source predicted: exactly where the coarse scores are
    constant (every model's logits are then the scores times the same positive interpolation
    weight — less than 1 near the border, where fewer kernels overlap), and up to the difference
    between one-step and two-step bilinear interpolation otherwise."""
    numpy.random.seed(0)
    m32 = FCN32s(3, width=1 / 32)
    bias = numpy.asarray([0.5, -1.0, 2.0], numpy.float32)
    m32.score_fr.b.array[...] = bias
    m16 = FCN16s.init_from(m32)
    m8 = FCN8s.init_from(m16)
    x = _images((1, 3, 50, 70))
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for model in (m32, m16, m8):
            weight = model(x).array[0] / bias[:, None, None]
            numpy.testing.assert_allclose(weight, numpy.broadcast_to(weight[:1], weight.shape),
                                          rtol=1e-4)
            assert weight.min() > 0 and weight.max() <= 1 + 1e-5
            assert (model.predict(x)[0] == 2).all()
        _randomise_scores(m32)
        m16 = FCN16s.init_from(m32)
        m8 = FCN8s.init_from(m16)
        p32, p16, p8 = (model.predict(x)[0] for model in (m32, m16, m8))
    assert (p16 == p32).mean() > 0.9 and (p8 == p32).mean() > 0.9


def test_init_from_type_errors():
    m32 = FCN32s(2, width=1 / 32)
    with pytest.raises(TypeError, match='FCN16s'):
        FCN8s.init_from(m32)
    with pytest.raises(TypeError, match='init_from'):
        FCN32s.init_from(m32)
    with pytest.raises(TypeError, match='FCN32s'):
        FCN16s.init_from('model')


# --- fixed upsampling under training ------------------------------------------------------------

def test_upsampling_untouched_by_optimizer_and_weight_decay():
    numpy.random.seed(0)
    model = FCN8s(3, width=1 / 32)
    before = {name: getattr(model, name).W.copy() for name in UPSAMPLING[FCN8s]}
    score_before = model.score_pool3.W.array.copy()
    optimizer = chainer.optimizers.MomentumSGD(lr=0.1, momentum=0.9)
    optimizer.setup(model)
    optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(0.5))
    optimizer.add_hook(chainer.optimizer_hooks.Lasso(0.5))
    x = _images((1, 3, 20, 24))
    t = numpy.random.RandomState(0).randint(0, 3, (1, 20, 24)).astype(numpy.int32)
    for _ in range(2):
        optimizer.update(lambda: F.softmax_cross_entropy(model(x), t))
    for name, kernel in before.items():
        numpy.testing.assert_array_equal(getattr(model, name).W, kernel)
    assert not numpy.array_equal(model.score_pool3.W.array, score_before)


# --- geometry: the layer stacks and the crop offsets derived from them -------------------------

def test_fcn_layer_stacks():
    score = FCN_VGG16_LAYERS['score_fr']
    assert sum(isinstance(layer, Conv) for layer in score) == 13 + 3
    assert sum(isinstance(layer, Pool) for layer in score) == 5
    assert score[0] == Conv(3, 1, 100)
    for i in range(1, 5):
        shorter, longer = FCN_VGG16_LAYERS['pool%d' % i], FCN_VGG16_LAYERS['pool%d' % (i + 1)]
        assert longer[:len(shorter)] == shorter
    assert score[-3:] == (Conv(7), Conv(1), Conv(1))


def test_fcn_crop_offsets():
    assert fcn_crop_offsets('fcn32s') == (19,)
    assert fcn_crop_offsets('fcn16s') == (5, 27)
    assert fcn_crop_offsets('fcn8s') == (5, 9, 31)


def test_fcn_crop_offsets_follow_the_padding(monkeypatch):
    # derived, not typed in: one pixel less of conv1_1 padding moves every final crop by one
    stacks = {name: (Conv(3, 1, 99),) + layers[1:] for name, layers in FCN_VGG16_LAYERS.items()}
    monkeypatch.setattr(fcn, 'FCN_VGG16_LAYERS', stacks)
    assert fcn_crop_offsets('fcn32s') == (18,)
    assert fcn_crop_offsets('fcn8s') == (5, 9, 30)


@pytest.mark.parametrize('variant, error', [('fcn4s', ValueError), ('FCN32s', ValueError),
                                            (32, TypeError)])
def test_fcn_crop_offsets_unknown_variant(variant, error):
    with pytest.raises(error, match='fcn32s'):
        fcn_crop_offsets(variant)


def _fcn_crops_fit(variant, n, cover_all):
    """Whether every crop of the FCN variant fits for an n×n input."""
    offsets = fcn_crop_offsets(variant)
    size = stack_output_size(FCN_VGG16_LAYERS['score_fr'], n, cover_all=cover_all)
    for i, deconv in enumerate(FCN_UPSAMPLING[variant]):
        size = deconv_output_size(size, *deconv)
        if i < len(offsets) - 1:  # crop the pool(4 - i) scores onto the upsampled ones
            skip = stack_output_size(FCN_VGG16_LAYERS['pool%d' % (4 - i)], n, cover_all=cover_all)
            if skip < offsets[i] + size:
                return False
    return size >= offsets[-1] + n


@pytest.mark.parametrize('variant', ['fcn32s', 'fcn16s', 'fcn8s'])
def test_fcn_crops_fit_every_size_with_ceil_pooling(variant):
    assert all(_fcn_crops_fit(variant, n, cover_all=True) for n in range(1, 700))


def test_fcn32s_crop_does_not_fit_500_with_floor_pooling():
    assert not _fcn_crops_fit('fcn32s', 500, cover_all=False)


def _affine_extend(v, left, right):
    step = v[1] - v[0]
    return numpy.concatenate([v[0] - step * numpy.arange(left, 0, -1), v,
                              v[-1] + step * numpy.arange(1, right + 1)])


def _push_ramp(v, layers):
    """Push an affine 1-D signal through box filters / bilinear deconvolutions (Chainer, float64).

    The signal is extended linearly instead of zero-padded, so it stays affine: its value at each
    output pixel is the input coordinate that pixel is centred on.
    """
    for layer in layers:
        if isinstance(layer, Deconv):
            k, s, p = layer
            assert k == 2 * s  # the triangle reproduces ramps for k = 2s
            e = 2  # extend, upsample, cut the extension off again
            x = _affine_extend(v, e, e).reshape(1, 1, 1, -1)
            W = bilinear_weights_1d(k).astype(numpy.float64).reshape(1, 1, 1, k)
            y = F.deconvolution_2d(x, W, stride=(1, s), pad=(0, p)).array.ravel()
            v = y[s * e:s * e + deconv_output_size(len(v), k, s, p)]
        else:
            k, s, p = layer
            x = _affine_extend(v, p, p).reshape(1, 1, 1, -1)
            W = numpy.full((1, 1, 1, k), 1.0 / k)
            v = F.convolution_2d(x, W, stride=(1, s)).array.ravel()
    return v


@pytest.mark.parametrize('n', [58, 90, 250])
def test_fcn8s_crops_align_ramps_pushed_through_chainer(n):
    # n + 198 is a multiple of 32, so floor and ceil pooling agree
    ramp = numpy.arange(n, dtype=numpy.float64)
    up1, up2, up3 = FCN_UPSAMPLING['fcn8s']
    c4, c3, c_final = fcn_crop_offsets('fcn8s')
    score = _push_ramp(ramp, FCN_VGG16_LAYERS['score_fr'])
    a, b = coordinate_map(FCN_VGG16_LAYERS['score_fr'])
    numpy.testing.assert_allclose(score, [float(a * x + b) for x in range(len(score))])
    fused = _push_ramp(score, [up1])
    pool4 = _push_ramp(ramp, FCN_VGG16_LAYERS['pool4'])
    numpy.testing.assert_allclose(pool4[c4:c4 + len(fused)], fused, atol=1e-9)
    fused = _push_ramp(fused, [up2])
    pool3 = _push_ramp(ramp, FCN_VGG16_LAYERS['pool3'])
    numpy.testing.assert_allclose(pool3[c3:c3 + len(fused)], fused, atol=1e-9)
    out = _push_ramp(fused, [up3])
    numpy.testing.assert_allclose(out[c_final:c_final + n], ramp, atol=1e-9)


def test_fcn32s_crop_aligns_a_ramp():
    n = 90
    ramp = numpy.arange(n, dtype=numpy.float64)
    out = _push_ramp(ramp, FCN_VGG16_LAYERS['score_fr'] + FCN_UPSAMPLING['fcn32s'])
    c, = fcn_crop_offsets('fcn32s')
    numpy.testing.assert_allclose(out[c:c + n], ramp, atol=1e-9)
    # and the coordinate map of the whole stack, crop included, is the identity
    assert coordinate_map(FCN_VGG16_LAYERS['score_fr'] + FCN_UPSAMPLING['fcn32s']
                          + (Crop(c),)) == (1, 0)
