"""FC-DenseNet: parameter counts of 56/67/103, layer counts, channel bookkeeping, sizes, padding."""
import numpy
import pytest

import seglearn  # noqa: F401  (before chainer)
import chainer

from seglearn import links
from seglearn.models import (FCDenseNet, FCDenseNet56, FCDenseNet67, FCDenseNet103,
                             count_params)

PRESETS = {  # factory: (layers per block, growth, reference count of trainable parameters)
    FCDenseNet56: ((4,) * 11, 12, 1.38e6),
    FCDenseNet67: ((5,) * 11, 16, 3.46e6),
    FCDenseNet103: ((4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4), 16, 9.32e6),
}


def _images(shape, seed=0):
    return (numpy.random.RandomState(seed).rand(*shape) * 255).astype(numpy.float32)


def _tiny(**kwargs):
    kwargs.setdefault('n_layers_per_block', 2)
    kwargs.setdefault('growth_rate', 4)
    kwargs.setdefault('first_channels', 8)
    return FCDenseNet(kwargs.pop('n_class', 3), **kwargs)


def _expected_params(blocks, growth, in_channels=3, n_class=11, first=48):
    """Count from the paper's description, by channel bookkeeping."""
    def conv(cin, cout, k):
        return k * k * cin * cout + cout

    def dense_block(cin, n):  # BN (γ, β) + 3×3 conv per layer
        return sum(2 * (cin + i * growth) + conv(cin + i * growth, growth, 3) for i in range(n))

    pools = len(blocks) // 2
    total, channels, skips = conv(in_channels, first, 3), first, []
    for n in blocks[:pools]:
        total += dense_block(channels, n)
        channels += n * growth
        skips.append(channels)
        total += 2 * channels + conv(channels, channels, 1)  # TD
    total += dense_block(channels, blocks[pools])
    new = blocks[pools] * growth
    for n, skip in zip(blocks[pools + 1:], reversed(skips)):
        total += conv(new, new, 3)  # TU on the new maps only
        total += dense_block(new + skip, n)
        last = new + skip + n * growth
        new = n * growth
    return total + conv(last, n_class, 1)


@pytest.mark.parametrize('factory', list(PRESETS))
def test_preset_parameter_counts(factory):
    blocks, growth, reference = PRESETS[factory]
    model = factory(11)
    n = count_params(model)
    assert n == _expected_params(blocks, growth)
    assert abs(n - reference) / reference < 0.03
    assert model.n_layers_per_block == blocks and model.growth_rate == growth


@pytest.mark.parametrize('factory, depth', [(FCDenseNet56, 56), (FCDenseNet67, 67),
                                            (FCDenseNet103, 103)])
def test_the_name_is_the_number_of_convolutions(factory, depth):
    model = factory(11)
    convs = [link for link in model.links()
             if isinstance(link, (links.Convolution2D, links.Deconvolution2D))]
    assert len(convs) == depth
    assert model.n_pools == 5


def test_transition_up_sees_only_the_new_maps():
    model = FCDenseNet56(11)
    # bottleneck: 4 layers × 12 new maps; the TU keeps them at 48
    assert model.transitions_up[0].W.shape[:2] == (48, 48)
    assert model.transitions_up[0].ksize == 3 and model.transitions_up[0].stride == (2, 2)
    # the up block sees the 48 upsampled maps + the 240-channel skip of the 5th down block
    assert model.up[0][0].bn.gamma.shape == (48 + 48 + 5 * 48,)
    assert model.final.W.shape[:2] == (11, 48 + 4 * 12 + 4 * 12 + 4 * 12)
    # the TD keeps the channels
    assert model.transitions_down[0].conv.W.shape[:2] == (96, 96)


def test_conv_transition_variant():
    pool, conv = _tiny(transition='maxpool'), _tiny(transition='conv')
    assert count_params(pool) == count_params(conv)
    assert conv.transitions_down[0].conv.stride == (2, 2)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        assert conv(_images((1, 3, 64, 32))).shape == (1, 3, 64, 32)


@pytest.mark.parametrize('size', [(32, 32), (64, 96), (37, 64), (1, 1), (31, 33)])
def test_output_has_the_input_size(size):
    model = _tiny(n_class=5)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        assert model(_images((2, 3) + size)).shape == (2, 5) + size


def test_non_multiple_sizes_are_reflect_padded_and_cropped():
    numpy.random.seed(0)
    model = _tiny()
    x = _images((1, 3, 37, 50))
    padded = numpy.pad(x, ((0, 0), (0, 0), (0, 64 - 37), (0, 64 - 50)), mode='reflect')
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        numpy.testing.assert_allclose(model(x).array, model(padded).array[:, :, :37, :50],
                                      rtol=1e-5, atol=1e-5)


def test_fewer_pools():
    model = FCDenseNet(2, in_channels=1, n_layers_per_block=(1, 2, 1), growth_rate=3,
                       first_channels=4)
    assert model.n_pools == 1 and len(model.transitions_down) == 1
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        assert model(_images((1, 1, 6, 5))).shape == (1, 2, 6, 5)


def test_dropout_only_in_training():
    model = _tiny(dropout=0.2)
    x = _images((2, 3, 32, 32))
    with chainer.using_config('train', False):
        numpy.testing.assert_array_equal(model(x).array, model(x).array)
    with chainer.using_config('train', True):
        assert not numpy.array_equal(model(x).array, model(x).array)


def test_constructor_errors():
    with pytest.raises(ValueError, match='odd number'):
        FCDenseNet(3, n_layers_per_block=(4, 4))
    with pytest.raises(ValueError, match=r'n_layers_per_block\[1\]'):
        FCDenseNet(3, n_layers_per_block=(4, 0, 4))
    with pytest.raises(ValueError, match='transition'):
        FCDenseNet(3, transition='avgpool')
    with pytest.raises(ValueError, match='dropout'):
        FCDenseNet(3, dropout=-0.1)
    with pytest.raises(TypeError, match='growth_rate'):
        FCDenseNet(3, growth_rate=1.5)


def test_input_errors():
    model = _tiny()
    with pytest.raises(ValueError, match='3 input channel'):
        model(_images((1, 1, 32, 32)))
    with pytest.raises(ValueError, match='4 axes'):
        model(_images((3, 32, 32)))
