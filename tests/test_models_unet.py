"""U-Net: the paper's sizes, crops and parameter count; valid-size helpers; variants; predict."""
import numpy
import pytest

import seglearn  # noqa: F401  (before chainer)
import chainer

from seglearn import links
from seglearn.models import (UNet, count_params, nearest_valid_input_size, skip_crops, unet_margin,
                             unet_output_size, valid_input_sizes)
from seglearn.models import unet as unet_module


def _images(shape, seed=0):
    return (numpy.random.RandomState(seed).rand(*shape) * 255).astype(numpy.float32)


def _expected_params(in_channels, n_class, depth, base, upsample='deconv'):
    """Count by hand: two 3×3 convs per level, 2×2 up-convs (or 1×1 after bilinear), 1×1 final."""
    def conv(cin, cout, k):
        return k * k * cin * cout + cout
    channels = [base * 2 ** i for i in range(depth + 1)]
    total = 0
    for cin, cout in zip([in_channels] + channels[:-1], channels):
        total += conv(cin, cout, 3) + conv(cout, cout, 3)
    for cin, cout in zip(channels[:0:-1], channels[-2::-1]):
        total += conv(cin, cout, 2 if upsample == 'deconv' else 1)
        total += conv(2 * cout, cout, 3) + conv(cout, cout, 3)
    return total + conv(channels[0], n_class, 1)


def test_paper_parameter_count_and_layers():
    model = UNet(2, in_channels=1)
    assert count_params(model) == 31030658 == _expected_params(1, 2, 4, 64)
    convs = [link for link in model.links()
             if isinstance(link, (links.Convolution2D, links.Deconvolution2D))]
    assert len(convs) == 23


@pytest.mark.parametrize('kwargs', [dict(in_channels=3, n_class=5, depth=2, base=8),
                                    dict(in_channels=1, n_class=2, depth=3, base=4,
                                         upsample='bilinear')])
def test_parameter_count_other_configs(kwargs):
    model = UNet(kwargs['n_class'], in_channels=kwargs['in_channels'], depth=kwargs['depth'],
                 base=kwargs['base'], upsample=kwargs.get('upsample', 'deconv'))
    assert count_params(model) == _expected_params(**kwargs)


def test_572_gives_388_with_the_papers_crops(monkeypatch):
    crops = []
    real = unet_module.center_crop

    def recording_crop(x, size):
        crops.append(((x.shape[2] - size[0]) // 2, (x.shape[3] - size[1]) // 2))
        return real(x, size)

    monkeypatch.setattr(unet_module, 'center_crop', recording_crop)
    model = UNet(2, base=4)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        y = model(_images((1, 1, 572, 572)))
    assert y.shape == (1, 2, 388, 388)
    assert crops == [(4, 4), (16, 16), (40, 40), (88, 88)]
    assert skip_crops(572) == (4, 16, 40, 88)


def test_valid_sizes_follow_the_rule_for_depth_4():
    for size in range(1, 700):
        valid = size % 16 == 12 and size >= 188
        if valid:
            assert unet_output_size(size) == size - 184
        else:
            with pytest.raises(ValueError):
                unet_output_size(size)
    assert valid_input_sizes(700) == list(range(188, 701, 16))
    assert valid_input_sizes(300, min_size=200) == [204, 220, 236, 252, 268, 284, 300]


@pytest.mark.parametrize('depth', [1, 2, 3])
def test_output_size_matches_a_real_forward(depth):
    model = UNet(2, depth=depth, base=2)
    sizes = valid_input_sizes(120, depth=depth)[:3]
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for size in sizes:
            assert model(_images((1, 1, size, size + 2 ** depth))).shape == (
                1, 2, unet_output_size(size, depth), unet_output_size(size + 2 ** depth, depth))
    # and one size in between is rejected
    with pytest.raises(ValueError, match='not valid'):
        model(_images((1, 1, sizes[0] + 1, sizes[0])))


def test_invalid_size_message_names_the_nearest_sizes():
    with pytest.raises(ValueError, match='556 and 572'):
        unet_output_size(570)
    with pytest.raises(ValueError, match='smallest valid size is 188'):
        unet_output_size(100)
    model = UNet(2, base=4)
    with pytest.raises(ValueError, match='556 and 572'):
        model(_images((1, 1, 572, 570)))


def test_nearest_valid_input_size():
    assert nearest_valid_input_size(572) == 572
    assert nearest_valid_input_size(570) == 572
    assert nearest_valid_input_size(560) == 556
    assert nearest_valid_input_size(564) == 572  # tie goes up
    assert nearest_valid_input_size(560, direction='up') == 572
    assert nearest_valid_input_size(571, direction='down') == 556
    assert nearest_valid_input_size(5) == 188
    with pytest.raises(ValueError, match='smallest is 188'):
        nearest_valid_input_size(100, direction='down')
    with pytest.raises(ValueError, match='direction'):
        nearest_valid_input_size(100, direction='left')
    for size in range(1, 400, 7):
        for direction in ('nearest', 'up'):
            unet_output_size(nearest_valid_input_size(size, direction=direction))


def test_helper_argument_errors():
    with pytest.raises(ValueError, match='size'):
        unet_output_size(0)
    with pytest.raises(TypeError, match='size'):
        unet_output_size(572.0)
    with pytest.raises(ValueError, match='depth'):
        unet_output_size(572, depth=0)
    with pytest.raises(ValueError, match='max_size'):
        valid_input_sizes(0)
    with pytest.raises(ValueError, match='not valid'):
        skip_crops(570)


def test_same_padding_keeps_size_and_checks_divisibility():
    model = UNet(3, in_channels=2, depth=3, base=4, padding='same')
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        assert model(_images((2, 2, 16, 40))).shape == (2, 3, 16, 40)
    with pytest.raises(ValueError, match=r'divisible by 8 \(e\.g\. 16 or 24\)'):
        model(_images((1, 2, 16, 20)))


@pytest.mark.parametrize('padding', ['valid', 'same'])
def test_bilinear_and_batch_norm_variants(padding):
    model = UNet(2, depth=2, base=4, padding=padding, upsample='bilinear', batch_norm=True)
    assert any(isinstance(link, chainer.links.BatchNormalization) for link in model.links())
    assert not any(isinstance(link, links.Deconvolution2D) for link in model.links())
    size = 44 if padding == 'valid' else 32
    out = unet_output_size(size, 2) if padding == 'valid' else size
    with chainer.using_config('train', True):
        y = model(_images((2, 1, size, size)))
    assert y.shape == (2, 2, out, out)
    y.grad = numpy.ones_like(y.array)
    model.cleargrads()
    y.backward()
    assert model.final.W.grad is not None and numpy.abs(model.down[0].conv1.W.grad).sum() > 0


def test_he_initialisation():
    numpy.random.seed(0)
    model = UNet(2, base=64, depth=1)
    w = model.up_blocks[0].conv1.W.array  # fan-in 128·9
    assert abs(w.std() - numpy.sqrt(2 / (128 * 9))) < 0.05 * numpy.sqrt(2 / (128 * 9))


def test_dropout_only_in_training():
    model = UNet(2, depth=1, base=4, dropout=0.5)
    x = _images((1, 1, 24, 24))
    with chainer.using_config('train', False):
        numpy.testing.assert_array_equal(model(x).array, model(x).array)
    with chainer.using_config('train', True):
        assert not numpy.array_equal(model(x).array, model(x).array)
    no_dropout = UNet(2, depth=1, base=4, dropout=0)
    with chainer.using_config('train', True):
        numpy.testing.assert_array_equal(no_dropout(x).array, no_dropout(x).array)


def test_predict_valid_mirrors_then_crops():
    model = UNet(3, depth=2, base=4)
    img = _images((1, 9, 13))
    label = model.predict([img])[0]
    assert label.shape == (9, 13) and label.dtype == numpy.int32
    # independent: mirror with numpy.pad so the output (size − 2·margin) covers the image
    margin = (44 - unet_output_size(44, 2)) // 2
    h = nearest_valid_input_size(9 + 2 * margin, 2, 'up')
    w = nearest_valid_input_size(13 + 2 * margin, 2, 'up')
    padded = numpy.pad(img, ((0, 0), (margin, h - 9 - margin), (margin, w - 13 - margin)),
                       mode='reflect')
    with chainer.using_config('train', False):
        want = model(padded[None]).array[0, :, :9, :13].argmax(axis=0)
    numpy.testing.assert_array_equal(label, want)


def test_predict_same_any_size():
    model = UNet(2, depth=2, base=4, padding='same')
    labels = model.predict([_images((1, 5, 7)), _images((1, 16, 16))])
    assert [label.shape for label in labels] == [(5, 7), (16, 16)]
    with chainer.using_config('train', False):
        want = model(_images((1, 1, 16, 16))).array[0].argmax(axis=0)
    numpy.testing.assert_array_equal(labels[1], want)


def test_constructor_errors():
    with pytest.raises(ValueError, match='padding'):
        UNet(2, padding='full')
    with pytest.raises(ValueError, match='upsample'):
        UNet(2, upsample='nearest')
    with pytest.raises(ValueError, match='dropout'):
        UNet(2, dropout=1.0)
    with pytest.raises(ValueError, match='depth'):
        UNet(2, depth=0)
    with pytest.raises(TypeError, match='base'):
        UNet(2, base=6.5)
    with pytest.raises(ValueError, match='in_channels'):
        UNet(2, in_channels=0)


def test_input_errors():
    model = UNet(2, depth=1, base=2)
    with pytest.raises(ValueError, match='1 input channel'):
        model(_images((1, 3, 24, 24)))
    with pytest.raises(ValueError, match='4 axes'):
        model(_images((1, 24, 24)))


@pytest.mark.parametrize('depth', [1, 2, 4])
def test_valid_padding_makes_the_output_cover_the_image(depth):
    from seglearn.models import unet_margin, valid_input_sizes, valid_padding
    margin = unet_margin(depth)
    valid = set(valid_input_sizes(1200, depth))
    for size in [1, 7, 100, 388, 389, 500]:
        before, after = valid_padding(size, depth)
        padded = before + size + after
        assert before == margin and padded in valid
        assert unet_output_size(padded, depth) >= size  # output starts at pixel 0, covers all
        smaller = padded - 2 ** depth  # valid inputs are 2^depth apart: the next one down
        assert smaller not in valid or unet_output_size(smaller, depth) < size  # the least padding


def test_unet_margin_matches_the_paper():
    # each level loses 4 px per conv pair, scaled by 2^level: total 12·2^d − 8, half per side
    for depth in (1, 2, 3, 4, 5):
        assert unet_margin(depth) == (12 * 2 ** depth - 8) // 2
    assert unet_margin(4) == 92  # 572 → 388
