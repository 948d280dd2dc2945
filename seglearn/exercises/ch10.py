"""Chapter 10 (Reading FC-DenseNet): the channels of a whole FC-DenseNet whose transitions
down may compress (DenseNet-BC), and the parameters of a dense block."""
import math

from seglearn.exercises.core import Case, Exercise, Property, register
from seglearn.models import DenseBlock, DenseLayer, FCDenseNet, count_params
from seglearn.messages import gettext

# the paper's three configurations: (layers per block, growth rate)
CONFIGS = {
    'FC-DenseNet56': ((4,) * 11, 12),
    'FC-DenseNet67': ((5,) * 11, 16),
    'FC-DenseNet103': ((4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4), 16),
}


# --------------------------------------------------------------------------- whole network

def _network_channels_reference(n_layers_per_block, growth_rate, first_channels=48,
                                compression=1.0):
    blocks, k = list(n_layers_per_block), growth_rate
    p = len(blocks) // 2
    channels, skips, out = first_channels, [], []
    for n in blocks[:p]:
        channels += n * k
        out.append(channels)
        skips.append(channels)
        channels = math.floor(compression * channels)     # TD
    out.append(channels + blocks[p] * k)
    new = blocks[p] * k
    for n, skip in zip(blocks[p + 1:], reversed(skips)):
        out.append(new + skip + n * k)
        new = n * k
    return out


def _random_networks(rng):
    cases = []
    for _ in range(10):
        n = 2 * int(rng.randint(1, 4)) + 1
        cases.append(([int(v) for v in rng.randint(1, 6, size=n)], int(rng.randint(1, 9)),
                      int(rng.randint(4, 33)), float(rng.choice([1.0, 0.5, 0.75, 0.375]))))
    return cases


FCDENSENET_CHANNELS_STUB = '''
def fcdensenet_channels(n_layers_per_block, growth_rate, first_channels=48, compression=1.0):
    """Channels at the output of every dense block of an FC-DenseNet whose transitions down may
    compress, as DenseNet-BC's do.

    Args:
        n_layers_per_block: list of 2P + 1 ints: P down-path blocks, the bottleneck, P up-path
            blocks (11 entries for the paper's 5 poolings).
        growth_rate: int, k.
        first_channels: channels of the first 3x3 convolution.
        compression: a float in (0, 1]: each transition down (TD) turns the c channels it
            receives into floor(compression * c) (1.0: FC-DenseNet's TD keeps them all).

    Down path: dense block -> its output is the skip of that resolution -> TD -> next block.
    Up path: TU upsamples only the NEW maps of the previous block (keeping their number), the
    result is concatenated with the skip of the same resolution, then the dense block.

    Returns:
        list of 2P + 1 ints: each block's output channels (its input + its new maps), in order.
    """
    raise NotImplementedError  # your code here
'''


def _channels_compressed_skips(blocks, k, first=48, compression=1.0):
    p = len(blocks) // 2
    c, skips, out = first, [], []
    for n in blocks[:p]:
        c += n * k
        out.append(c)
        c = math.floor(compression * c)
        skips.append(c)
    out.append(c + blocks[p] * k)
    new = blocks[p] * k
    for n, skip in zip(blocks[p + 1:], reversed(skips)):
        out.append(new + skip + n * k)
        new = n * k
    return out


def _channels_rounded(blocks, k, first=48, compression=1.0):
    p = len(blocks) // 2
    c, skips, out = first, [], []
    for n in blocks[:p]:
        c += n * k
        out.append(c)
        skips.append(c)
        c = int(round(compression * c))
    out.append(c + blocks[p] * k)
    new = blocks[p] * k
    for n, skip in zip(blocks[p + 1:], reversed(skips)):
        out.append(new + skip + n * k)
        new = n * k
    return out


def _channels_upsample_all(blocks, k, first=48, compression=1.0):
    p = len(blocks) // 2
    c, skips, out = first, [], []
    for n in blocks[:p]:
        c += n * k
        skips.append(c)
        out.append(c)
    c += blocks[p] * k
    out.append(c)
    for n, skip in zip(blocks[p + 1:], reversed(skips)):
        c = c + skip + n * k
        out.append(c)
    return out


def _channels_no_skip(blocks, k, first=48, compression=1.0):
    p = len(blocks) // 2
    c, out = first, []
    for n in blocks[:p + 1]:
        c += n * k
        out.append(c)
    new = blocks[p] * k
    for n in blocks[p + 1:]:
        out.append(new + n * k)
        new = n * k
    return out


def _channels_new_only_down(blocks, k, first=48, compression=1.0):
    p = len(blocks) // 2
    c, skips, out = first, [], []
    for n in blocks[:p]:
        skips.append(n * k)
        out.append(n * k)
        c = n * k
    out.append(c + blocks[p] * k)
    new = blocks[p] * k
    for n, skip in zip(blocks[p + 1:], reversed(skips)):
        out.append(new + skip + n * k)
        new = n * k
    return out


def _final_channels_103(fn):
    got = list(fn([4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4], 16, 48))
    if len(got) != 11:
        return gettext('FC-DenseNet103 has 11 dense blocks; got {} numbers').format(len(got))
    if got[5] != 896:
        return gettext('the bottleneck of FC-DenseNet103 has 656 + 15·16 = 896 channels; '
                 'got {}').format(got[5])
    return None


register(Exercise(
    name='fcdensenet_channels',
    chapter='ch10',
    title='channels through an FC-DenseNet whose transitions down compress',
    reference=_network_channels_reference,
    stub=FCDENSENET_CHANNELS_STUB,
    cases=[
        Case(list(CONFIGS['FC-DenseNet56'][0]), 12, _label='fcdensenet_channels(FC-DenseNet56)'),
        Case(list(CONFIGS['FC-DenseNet103'][0]), 16, _label='fcdensenet_channels(FC-DenseNet103)'),
        Case([2, 3, 2], 4, 8, _label='fcdensenet_channels([2, 3, 2], 4, first_channels=8)'),
        Case(list(CONFIGS['FC-DenseNet56'][0]), 12, 48, 0.5,
             _label='fcdensenet_channels(FC-DenseNet56, compression=0.5)',
             _hint='The skip is taken before the TD: it keeps every channel of the block.'),
        Case([3, 4, 3], 5, 9, 0.5, _label='fcdensenet_channels([3, 4, 3], 5, 9, compression=0.5)',
             _hint='9 + 3·5 = 24 channels enter the TD; 12 leave it.'),
        Case([2, 2, 2, 2, 2], 3, 7, 0.75,
             _label='fcdensenet_channels([2, 2, 2, 2, 2], 3, 7, compression=0.75)',
             _hint='floor(0.75 · 13) = 9: round down.'),
    ],
    random_cases=_random_networks,
    properties=[Property('the bottleneck of FC-DenseNet103 has 896 channels', _final_channels_103)],
    hint='Keep three numbers: the channels entering the next block (after the TD), the skips '
         '(block outputs before the TD) and, on the way up, the new maps of the last block '
         '(what TU upsamples).',
    mistakes=[
        (_channels_compressed_skips, 'The skip is the dense block\'s output, taken before the '
                                     'TD: compression shrinks only what goes down.'),
        (_channels_rounded, 'floor(compression · c): round down, as DenseNet-BC does.'),
        (_channels_upsample_all, 'TU upsamples only the new maps of the previous block, not its '
                                 'whole output: that is what keeps the up path small.'),
        (_channels_no_skip, 'After TU the features are concatenated with the skip of the same '
                            'resolution.'),
        (_channels_new_only_down, 'On the down path the block output (the skip) is input + new '
                                  'maps.'),
    ],
))


# --------------------------------------------------------------------------- parameters

def _block_params_reference(in_channels, n_layers, growth_rate):
    return count_params(DenseBlock(in_channels, n_layers, growth_rate, 0.0))


DENSE_BLOCK_PARAMS_STUB = '''
def dense_block_params(in_channels, n_layers, growth_rate):
    """Trainable parameters of an FC-DenseNet dense block.

    Layer i (i = 0 .. n_layers-1) reads c_i = in_channels + i * growth_rate channels and is
    BatchNorm (a scale and a shift per channel) -> ReLU -> 3x3 convolution c_i -> growth_rate
    (with a bias) -> dropout.

    Returns:
        int
    """
    raise NotImplementedError  # your code here
'''


def _params_no_bn(c, n, k):
    return sum(9 * (c + i * k) * k + k for i in range(n))


def _params_no_bias(c, n, k):
    return sum(2 * (c + i * k) + 9 * (c + i * k) * k for i in range(n))


def _params_same_input(c, n, k):
    return n * (2 * c + 9 * c * k + k)


def _params_one_by_one(c, n, k):
    return sum(2 * (c + i * k) + (c + i * k) * k + k for i in range(n))


def _grows_quadratically(fn):
    """The second difference in n is constant: 9k² + 2k (the input of each layer grows by k)."""
    c, k = 48, 12
    values = [fn(c, n, k) for n in range(1, 6)]
    second = {values[i + 2] - 2 * values[i + 1] + values[i] for i in range(3)}
    if second != {9 * k * k + 2 * k}:
        return (gettext('adding a layer should add more parameters each time (its input is k '
                        'channels wider): second differences {} for n = 1..5, expected {}').format(
                    sorted(second), 9 * k * k + 2 * k))
    return None


register(Exercise(
    name='dense_block_params',
    chapter='ch10',
    title='trainable parameters of a dense block',
    reference=_block_params_reference,
    stub=DENSE_BLOCK_PARAMS_STUB,
    forbidden=[DenseBlock, DenseLayer, FCDenseNet],
    cases=[
        Case(48, 1, 12, _hint='One layer: BN on 48 channels, a 3×3 conv 48 → 12 with bias.'),
        (48, 4, 12),
        (656, 15, 16),
        (3, 2, 1),
    ],
    random_cases=lambda rng: [(int(rng.randint(1, 200)), int(rng.randint(1, 10)),
                               int(rng.randint(1, 20))) for _ in range(15)],
    properties=[Property('each extra layer costs 9k² + 2k more than the previous one',
                         _grows_quadratically)],
    hint='A conv with c inputs, k outputs and a 3×3 kernel has 9·c·k weights and k biases; a BN '
         'over c channels has 2c. Add them up layer by layer, c growing by k.',
    mistakes=[
        (_params_no_bn, 'BatchNormalization has trainable parameters too: a scale γ and a shift '
                        'β per input channel.'),
        (_params_no_bias, 'The convolutions have a bias: k more per layer.'),
        (_params_same_input, 'Layer i reads c + i·k channels, not c: the block input grows.'),
        (_params_one_by_one, 'The layers use 3×3 kernels: 9 weights per input-output pair.'),
    ],
))
