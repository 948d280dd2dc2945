"""Chapter 11 (FC-DenseNet): the parameter count of a whole FC-DenseNet, the shape after a
transition down, and a dense block of the up path (new maps only) built as a ChainList."""
import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from seglearn.exercises import probes
from seglearn.exercises.core import Case, Exercise, Property, register
from seglearn.models import DenseBlock, DenseLayer, FCDenseNet, TransitionDown, count_params
from seglearn.messages import gettext

_103 = [4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4]


# --------------------------------------------------------------------------- parameter count

def _params_reference(n_layers_per_block, growth_rate, n_class, in_channels=3, first_channels=48):
    model = FCDenseNet(n_class, in_channels, n_layers_per_block=tuple(n_layers_per_block),
                       growth_rate=growth_rate, first_channels=first_channels)
    return count_params(model)


def _random_configs(rng):
    cases = []
    for _ in range(8):
        n = 2 * int(rng.randint(1, 4)) + 1
        cases.append(([int(v) for v in rng.randint(1, 5, size=n)], int(rng.randint(1, 9)),
                      int(rng.randint(2, 12)), int(rng.randint(1, 4)), int(rng.randint(4, 25))))
    return cases


FCDENSENET_PARAMS_STUB = '''
def fcdensenet_params(n_layers_per_block, growth_rate, n_class, in_channels=3, first_channels=48):
    """Trainable parameters of an FC-DenseNet (the paper's architecture, as in seglearn).

    - first: 3x3 conv in_channels -> first_channels, with bias;
    - dense layer on c channels: BN (scale + shift per channel), 3x3 conv c -> growth_rate + bias;
    - TD on c channels: BN, 1x1 conv c -> c + bias (then dropout and max-pool: no parameters);
    - TU: 3x3 transposed conv m -> m + bias, m = the NEW maps of the previous block;
    - final: 1x1 conv -> n_class + bias, on the last block's full output.
    n_layers_per_block has 2P + 1 entries (down path, bottleneck, up path).

    Returns:
        int
    """
    raise NotImplementedError  # your code here
'''


def _count(blocks, k, n_class, in_channels, first, bn=True, tu_all=False, td=True):
    def block(c, n):
        total = 0
        for _ in range(n):
            total += (2 * c if bn else 0) + 9 * c * k + k
            c += k
        return total, c

    p = len(blocks) // 2
    total = 9 * in_channels * first + first
    c, skips = first, []
    for n in blocks[:p]:
        t, c = block(c, n)
        total += t
        skips.append(c)
        if td:
            total += (2 * c if bn else 0) + c * c + c
    t, c_out = block(c, blocks[p])
    total += t
    new = blocks[p] * k
    for n, skip in zip(blocks[p + 1:], reversed(skips)):
        m = c_out if tu_all else new
        total += 9 * m * m + m
        t, c_out = block(m + skip, n)
        total += t
        new = n * k
    return total + c_out * n_class + n_class


def _params_no_bn(blocks, k, n_class, in_channels=3, first=48):
    return _count(blocks, k, n_class, in_channels, first, bn=False)


def _params_tu_all(blocks, k, n_class, in_channels=3, first=48):
    return _count(blocks, k, n_class, in_channels, first, tu_all=True)


def _params_no_td(blocks, k, n_class, in_channels=3, first=48):
    return _count(blocks, k, n_class, in_channels, first, td=False)


def _paper_scale(fn):
    got = fn(list(_103), 16, 11)
    if not 9.2e6 < got < 9.45e6:
        return (gettext('FC-DenseNet103 with 11 classes should have about 9.3M parameters (the '
                        'paper says 9.4M); got {:,}').format(got))
    return None


register(Exercise(
    name='fcdensenet_params',
    chapter='ch11',
    title='trainable parameters of an FC-DenseNet from its configuration',
    reference=_params_reference,
    stub=FCDENSENET_PARAMS_STUB,
    forbidden=[FCDenseNet, DenseBlock, DenseLayer, TransitionDown],
    cases=[
        Case([4] * 11, 12, 11, _label='fcdensenet_params(FC-DenseNet56, 11 classes)'),
        Case([5] * 11, 16, 11, _label='fcdensenet_params(FC-DenseNet67, 11 classes)'),
        Case(list(_103), 16, 11, _label='fcdensenet_params(FC-DenseNet103, 11 classes)'),
        Case([1, 1, 1], 2, 2, 1, 4, _label='fcdensenet_params([1, 1, 1], k=2, 2 classes, 1 '
                                           'channel, first=4)'),
    ],
    random_cases=_random_configs,
    properties=[Property('FC-DenseNet103 has about 9.3M parameters', _paper_scale)],
    hint='Walk the network like the model does: keep the channels c, the skips, and the new maps '
         'of the last block; add BN (2c), conv (k_h·k_w·c_in·c_out + c_out) per layer.',
    mistakes=[
        (_params_no_bn, 'Count the batch normalisations: 2 parameters (γ, β) per channel, in '
                        'every dense layer and every TD.'),
        (_params_tu_all, 'TU transforms only the new maps of the previous block (m → m), not '
                         'the whole block output.'),
        (_params_no_td, 'Each transition down has a BN and a 1×1 convolution c → c.'),
    ],
))


# --------------------------------------------------------------------------- transition down

def _td_reference(shape, transition='maxpool'):
    b, c, h, w = shape
    layer = TransitionDown(c, 0.0, transition)
    x = numpy.zeros(shape, numpy.float32)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        return tuple(int(v) for v in layer(x).shape)


TD_SHAPE_STUB = '''
def transition_down_shape(shape, transition='maxpool'):
    """Shape after an FC-DenseNet transition down.

    'maxpool' (the paper): BN -> ReLU -> 1x1 conv (c -> c) -> dropout -> 2x2 max-pool, stride 2,
    in Chainer's default ceil mode (cover_all=True: an odd size rounds up).
    'conv' (a popular variant): BN -> ReLU -> 1x1 conv (c -> c) with stride 2, no padding.

    Args:
        shape: (B, C, H, W).

    Returns:
        tuple of 4 ints.
    """
    raise NotImplementedError  # your code here
'''


def _td_floor(shape, transition='maxpool'):
    b, c, h, w = shape
    return b, c, h // 2, w // 2


def _td_compress(shape, transition='maxpool'):
    b, c, h, w = shape
    return b, c // 2, -(-h // 2), -(-w // 2)


def _td_conv_floor(shape, transition='maxpool'):
    b, c, h, w = shape
    if transition == 'conv':
        return b, c, (h - 1) // 2, (w - 1) // 2
    return b, c, -(-h // 2), -(-w // 2)


def _random_shapes(rng):
    return [((int(rng.randint(1, 4)), int(rng.randint(1, 40)), int(rng.randint(1, 40)),
              int(rng.randint(1, 40))), str(rng.choice(['maxpool', 'conv']))) for _ in range(20)]


register(Exercise(
    name='transition_down_shape',
    chapter='ch11',
    title='shape after a transition down (max-pool or stride-2 conv)',
    reference=_td_reference,
    stub=TD_SHAPE_STUB,
    forbidden=[TransitionDown],
    cases=[
        ((3, 112, 224, 224),),
        ((3, 112, 224, 224), 'conv'),
        Case((1, 48, 7, 9), _hint='Ceil mode: a 7-pixel map pools to 4.'),
        Case((1, 48, 7, 9), 'conv', _hint='A 1×1 conv with stride 2 on 7 pixels reads pixels '
                                          '0, 2, 4, 6.'),
        ((2, 5, 1, 1), 'conv'),
    ],
    random_cases=_random_shapes,
    hint='The 1×1 convolution keeps the channels; only the spatial size changes: '
         'floor((n − 1)/s) + 1 for the strided conv, ceil(n/2) for the ceil-mode pool.',
    mistakes=[
        (_td_floor, "Chainer's max_pooling_2d rounds up by default (cover_all=True), and a "
                    "stride-2 1×1 conv keeps the last odd pixel."),
        (_td_compress, "FC-DenseNet's TD keeps the channels (DenseNet-BC's compression θ = 0.5 "
                       "is not used)."),
        (_td_conv_floor, 'A 1×1 kernel needs no room: the strided conv gives floor((n − 1)/2) '
                         '+ 1 pixels.'),
    ],
))


# --------------------------------------------------------------------------- a dense block

class _NewMaps(DenseBlock):
    """The package's dense block (dropout 0), handing on its new maps only."""

    def __init__(self, in_channels, n_layers, growth_rate):
        super().__init__(in_channels, n_layers, growth_rate, 0.0)

    def forward(self, x):
        return super().forward(x)[1]


UP_DENSE_BLOCK_STUB = '''
class UpDenseBlock(chainer.ChainList):
    """A dense block of FC-DenseNet's up path: its output is its NEW maps only.

    Args:
        in_channels: channels of the block's input.
        n_layers: number of layers.
        growth_rate: k, the maps each layer adds.

    Children, in order (self[0], self[1], ...; the check gives both networks the same weights
    by name): layer i is a chainer.Chain with two children,
        bn: L.BatchNormalization(c_i), c_i = in_channels + i * growth_rate,
        conv: 3x3 convolution c_i -> growth_rate, pad 1, with a bias;
    layer i computes conv(relu(bn(h))) (no dropout here) on h, the block's input concatenated
    with the new maps of layers 0 .. i-1.

    forward(x): float32 (B, in_channels, H, W) -> float32 (B, n_layers * growth_rate, H, W), the
    new maps of all layers concatenated in order (not the input).
    """

    def __init__(self, in_channels, n_layers, growth_rate):
        super().__init__()
        raise NotImplementedError  # your code here

    def forward(self, x):
        raise NotImplementedError  # your code here
'''


def _block_case(in_channels, n_layers, growth_rate, batch, size, seed):
    x = numpy.random.RandomState(seed).standard_normal(
        (batch, in_channels) + size).astype(numpy.float32)
    return Case((in_channels, n_layers, growth_rate), (x,),
                _label='UpDenseBlock({}, {}, {}) on x {}'.format(in_channels, n_layers,
                                                                 growth_rate, x.shape))


def _block_on_gpu(fn):
    return probes.same_network_on_gpu(fn, *_block_case(5, 2, 3, 2, (4, 4), 6).args)


class _Layer(chainer.Chain):
    def __init__(self, c, k):
        super().__init__()
        with self.init_scope():
            self.bn = L.BatchNormalization(c)
            self.conv = L.Convolution2D(c, k, 3, pad=1)

    def forward(self, h):
        return self.conv(F.relu(self.bn(h)))


class _WholeOutput(chainer.ChainList):
    def __init__(self, c, n, k):
        super().__init__(*[_Layer(c + i * k, k) for i in range(n)])

    def forward(self, x):
        for layer in self:
            x = F.concat((x, layer(x)), axis=1)
        return x


class _NoConcat(_WholeOutput):
    def __init__(self, c, n, k):
        chainer.ChainList.__init__(self, *[_Layer(c if i == 0 else k, k) for i in range(n)])

    def forward(self, x):
        new = []
        for layer in self:
            x = layer(x)
            new.append(x)
        return F.concat(new, axis=1)


class _LastLayerOnly(_WholeOutput):
    def forward(self, x):
        for layer in self:
            y = layer(x)
            x = F.concat((x, y), axis=1)
        return y


register(Exercise(
    name='UpDenseBlock',
    chapter='ch11',
    title='a dense block that hands on its new maps only (the up path)',
    reference=_NewMaps,
    stub=UP_DENSE_BLOCK_STUB,
    cases=[_block_case(6, 3, 4, 1, (5, 5), 0), _block_case(8, 1, 5, 2, (3, 4), 1),
           _block_case(3, 4, 2, 1, (6, 3), 2), _block_case(16, 2, 8, 2, (2, 2), 3)],
    probe=probes.network,
    compare=probes.compare_networks,
    properties=[Property('same output on CuPy', _block_on_gpu, gpu=True)],
    hint='In __init__ build the n layers (each a Chain with bn and conv) and pass them to '
         'super().__init__(*layers); in forward keep h = x and a list of new maps: each layer '
         'reads h, its output joins the list and is concatenated to h; return the list '
         'concatenated.',
    mistakes=[
        (_WholeOutput, 'That is the down path\'s block output (input + new maps); the up path '
                       'hands on the new maps only.'),
        (_NoConcat, 'Each layer reads the block input AND every earlier layer\'s maps, '
                    'concatenated: that is what makes the block dense.'),
        (_LastLayerOnly, 'Return the new maps of every layer, concatenated, not only the last '
                         'layer\'s.'),
    ],
    timeout=10.0,
    forbidden=[DenseBlock, DenseLayer, FCDenseNet],
))
