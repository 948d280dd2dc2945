"""FC-DenseNet, "The One Hundred Layers Tiramisu" (Jégou, Drozdzal, Vazquez, Romero & Bengio,
CVPRW 2017).

DenseNet's idea — every layer sees the concatenation of all earlier feature maps of its block and
adds ``growth_rate`` new ones — applied to a U-shaped segmentation network:

* a first 3×3 convolution to 48 channels;
* a *layer* is BN → ReLU → 3×3 convolution (``growth_rate`` maps) → dropout 0.2;
* a *dense block* of n layers concatenates its input and the n·growth_rate new maps;
* down path: dense block, then *transition down* (TD) = BN → ReLU → 1×1 convolution (same
  channels) → dropout → 2×2 max-pool; five of them (``transition='conv'`` replaces the max-pool
  by a stride-2 1×1 convolution, a popular course variant);
* a bottleneck dense block;
* up path: *transition up* (TU) = 3×3 transposed convolution, stride 2, applied only to the **new**
  maps of the previous dense block (not to its input — that keeps the channel count, and the
  memory, from exploding), concatenated with the skip of the same resolution, then a dense block;
  the up-path blocks likewise hand on only their new maps, except the last, whose full output goes
  to the final 1×1 convolution to ``n_class``.

Presets (layers per block, down → bottleneck → up; growth rate):

* :func:`FCDenseNet56`: 4 per block, growth 12;
* :func:`FCDenseNet67`: 5 per block, growth 16;
* :func:`FCDenseNet103`: 4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4; growth 16.

The paper's table gives 1.5M, 3.5M and 9.4M parameters. Counting the reference layer definitions
(convolution biases and BN scale/shift included, BN running statistics not) gives 1,376,795,
3,463,243 and 9,322,091 trainable parameters for 3 input channels and CamVid's 11 classes
(:func:`seglearn.models.count_params`), i.e. about 1.38M, 3.46M and 9.32M. The 67 and 103 agree
with the paper to its rounding; the 56's 1.5M is not reproduced by the layer definitions — the
architecture is the one the paper describes, its table rounds/differs. FC-DenseNet103 reaches
66.9 mIoU and 91.5% global accuracy on CamVid.

Sizes: five 2×2 poolings need H and W divisible by 32. Other sizes are mirror-padded (reflect,
:func:`seglearn.transforms.mirror_pad`) at the bottom/right up to the next multiple of 32 and the
logits cropped back, so ``forward`` always returns logits at the input size. The TU output
(2n + 1 with an unpadded 3×3 kernel) is cropped to the skip's 2n, as in the reference.

``forward`` takes float32 images 0–255 (the package convention) and scales them to 0–1 itself.
"""
import chainer

from seglearn import functions, links
from seglearn._checks import check_choice, check_int, check_positive, check_ratio
from seglearn.models.common import SegmentationModel, crop, scaled
from seglearn.transforms import mirror_pad

_TRANSITIONS = ('maxpool', 'conv')


def _conv(in_channels, out_channels, ksize, stride=1, pad=0):
    return links.Convolution2D(in_channels, out_channels, ksize, stride, pad,
                               initialW=chainer.initializers.HeUniform())


class DenseLayer(chainer.Chain):
    """BN → ReLU → 3×3 conv (``growth_rate`` maps) → dropout.

    Args:
        in_channels (int): channels of its input. growth_rate (int): maps it adds.
        dropout (float): dropout ratio (0 disables it).
    """

    def __init__(self, in_channels, growth_rate, dropout):
        super().__init__()
        self.dropout = dropout
        with self.init_scope():
            self.bn = links.BatchNormalization(in_channels)
            self.conv = _conv(in_channels, growth_rate, 3, pad=1)

    def forward(self, x):
        h = self.conv(self.bn(x, relu=True))
        return functions.dropout(h, self.dropout) if self.dropout else h


class DenseBlock(chainer.ChainList):
    """n dense layers; each sees the block input concatenated with all earlier new maps.

    Args:
        in_channels (int): channels of the block's input.
        n_layers (int): number of :class:`DenseLayer`.
        growth_rate (int): maps each layer adds.
        dropout (float): dropout ratio of the layers.

    Attributes:
        out_channels (int): ``in_channels + n_layers·growth_rate``.
        new_channels (int): ``n_layers·growth_rate``, what the up path hands on.
    """

    def __init__(self, in_channels, n_layers, growth_rate, dropout):
        super().__init__(*[DenseLayer(in_channels + i * growth_rate, growth_rate, dropout)
                           for i in range(n_layers)])
        self.out_channels = in_channels + n_layers * growth_rate
        self.new_channels = n_layers * growth_rate

    def forward(self, x):
        """Returns ``(input + new maps, new maps)`` concatenated along channels."""
        new = []
        h = x
        for layer in self:
            new.append(layer(h))
            h = functions.concat((h, new[-1]), axis=1)
        return h, functions.concat(new, axis=1)


class TransitionDown(chainer.Chain):
    """BN → ReLU → 1×1 conv (same channels) → dropout → 2×2 max-pool (or a stride-2 1×1 conv).

    Args:
        channels (int): input = output channels.
        dropout (float): dropout ratio (0 disables it).
        transition (str): ``'maxpool'`` (paper) or ``'conv'`` (a stride-2 1×1 convolution).
    """

    def __init__(self, channels, dropout, transition):
        super().__init__()
        self.dropout, self.transition = dropout, transition
        with self.init_scope():
            self.bn = links.BatchNormalization(channels)
            self.conv = _conv(channels, channels, 1, stride=2 if transition == 'conv' else 1)

    def forward(self, x):
        h = self.conv(self.bn(x, relu=True))
        if self.dropout:
            h = functions.dropout(h, self.dropout)
        return functions.max_pooling_2d(h, 2, 2) if self.transition == 'maxpool' else h


#: dict: the paper's presets, FC-DenseNet56/67/103 → their layers per block and growth rate.
PRESETS = {
    56: dict(n_layers_per_block=4, growth_rate=12),
    67: dict(n_layers_per_block=5, growth_rate=16),
    103: dict(n_layers_per_block=(4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4), growth_rate=16),
}


class FCDenseNet(SegmentationModel):
    """Fully convolutional DenseNet.

    Args:
        n_class (int): number of classes.
        in_channels (int): input channels.
        n_layers_per_block (int or sequence of int): layers of each dense block, down path, then
            bottleneck, then up path: an odd number ``2·P + 1`` of entries for ``P`` poolings
            (11 for the paper's 5), or one int for all 11.
        growth_rate (int): new maps per layer.
        first_channels (int): channels of the first 3×3 convolution (48).
        dropout (float): dropout ratio in the layers and transitions down (0.2).
        transition (str): ``'maxpool'`` (paper) or ``'conv'`` (stride-2 1×1 conv TD).

    Attributes:
        n_pools (int): number of downsamplings; inputs are padded to multiples of ``2^n_pools``.
    """

    @classmethod
    def build_kwargs(cls, in_channels=None, width=1.0, depth=None, preset=()):
        """The zoo's options (:func:`seglearn.models.build`): ``width`` scales the first
        convolution (48 channels) and the preset's growth rate (12 for the 56, 16 for the 67 and
        the 103) alike; the depth is the preset's (no depth option)."""
        if depth is not None:
            raise ValueError('{} has no depth option (the preset sets its blocks); got '
                             'depth={!r}'.format(cls.__name__, depth))
        width = check_positive('width', width)
        growth = dict(preset).get('growth_rate', 12)
        kwargs = {'first_channels': scaled(48, width), 'growth_rate': scaled(growth, width)}
        if in_channels is not None:
            kwargs['in_channels'] = in_channels
        return kwargs

    def __init__(self, n_class, in_channels=3, n_layers_per_block=4, growth_rate=12,
                 first_channels=48, dropout=0.2, transition='maxpool'):
        super().__init__()
        self.n_class = check_int('n_class', n_class, 1)
        self.in_channels = check_int('in_channels', in_channels, 1)
        growth_rate = check_int('growth_rate', growth_rate, 1)
        first_channels = check_int('first_channels', first_channels, 1)
        if isinstance(n_layers_per_block, int):
            n_layers_per_block = (n_layers_per_block,) * 11
        blocks = tuple(check_int('n_layers_per_block[{}]'.format(i), n, 1)
                       for i, n in enumerate(n_layers_per_block))
        if len(blocks) < 3 or len(blocks) % 2 == 0:
            raise ValueError('n_layers_per_block needs an odd number (2·n_pools + 1) of entries, '
                             'at least 3; got {}'.format(len(blocks)))
        check_choice('transition', transition, _TRANSITIONS)
        self.n_layers_per_block, self.growth_rate = blocks, growth_rate
        self.first_channels, self.transition = first_channels, transition
        self.dropout = check_ratio('dropout', dropout)
        self.n_pools = len(blocks) // 2
        with self.init_scope():
            self.first = _conv(self.in_channels, first_channels, 3, pad=1)
            down, transitions, skip_channels = [], [], []
            channels = first_channels
            for n in blocks[:self.n_pools]:
                down.append(DenseBlock(channels, n, growth_rate, dropout))
                channels = down[-1].out_channels
                skip_channels.append(channels)
                transitions.append(TransitionDown(channels, dropout, transition))
            self.down = chainer.ChainList(*down)
            self.transitions_down = chainer.ChainList(*transitions)
            self.bottleneck = DenseBlock(channels, blocks[self.n_pools], growth_rate, dropout)
            new = self.bottleneck.new_channels
            ups, up_blocks = [], []
            for n, skip in zip(blocks[self.n_pools + 1:], reversed(skip_channels)):
                ups.append(links.Deconvolution2D(new, new, 3, 2,
                                                 initialW=chainer.initializers.HeUniform()))
                up_blocks.append(DenseBlock(new + skip, n, growth_rate, dropout))
                new = up_blocks[-1].new_channels
            self.transitions_up = chainer.ChainList(*ups)
            self.up = chainer.ChainList(*up_blocks)
            self.final = _conv(up_blocks[-1].out_channels, self.n_class, 1)

    def forward(self, x):
        """Logits at the input size.

        Args:
            x: float32 (B, in_channels, H, W), 0–255, any H, W >= 1 (mirror-padded to
                multiples of ``2^n_pools`` internally).

        Returns:
            chainer.Variable: float32 (B, n_class, H, W).
        """
        self.check_input(x)
        height, width = x.shape[2:]
        k = 2 ** self.n_pools
        pad_h, pad_w = -height % k, -width % k
        if pad_h or pad_w:
            x = mirror_pad(getattr(x, 'array', x), (0, pad_h, 0, pad_w))
        h = self.first(x * (1.0 / 255))
        skips = []
        for block, transition in zip(self.down, self.transitions_down):
            h, _ = block(h)
            skips.append(h)
            h = transition(h)
        _, new = self.bottleneck(h)
        for up, block, skip in zip(self.transitions_up, self.up, reversed(skips)):
            new = crop(up(new), 0, skip.shape[2:])
            h, new = block(functions.concat((new, skip), axis=1))
        return crop(self.final(h), 0, (height, width))


def FCDenseNet56(n_class, in_channels=3, **kwargs):
    """FC-DenseNet56: 4 layers per block, growth rate 12 (~1.38M parameters)."""
    return FCDenseNet(n_class, in_channels, **PRESETS[56], **kwargs)


def FCDenseNet67(n_class, in_channels=3, **kwargs):
    """FC-DenseNet67: 5 layers per block, growth rate 16 (~3.46M parameters)."""
    return FCDenseNet(n_class, in_channels, **PRESETS[67], **kwargs)


def FCDenseNet103(n_class, in_channels=3, **kwargs):
    """FC-DenseNet103: 4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4 layers, growth 16 (~9.32M)."""
    return FCDenseNet(n_class, in_channels, **PRESETS[103], **kwargs)
