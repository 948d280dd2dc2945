"""Chapter 10 (Reading FC-DenseNet): channels of a dense block and of the whole network,
parameters of a dense block."""
from seglearn.exercises.core import Case, Exercise, Property, register
from seglearn.models import DenseBlock, FCDenseNet, count_params

# the paper's three configurations: (layers per block, growth rate)
CONFIGS = {
    'FC-DenseNet56': ((4,) * 11, 12),
    'FC-DenseNet67': ((5,) * 11, 16),
    'FC-DenseNet103': ((4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4), 16),
}


# --------------------------------------------------------------------------- one dense block

def _block_out_reference(in_channels, n_layers, growth_rate):
    return DenseBlock(in_channels, n_layers, growth_rate, 0.0).out_channels


def _random_blocks(rng):
    return [(int(rng.randint(1, 300)), int(rng.randint(1, 16)), int(rng.randint(1, 33)))
            for _ in range(20)]


DENSE_BLOCK_OUT_STUB = '''
def dense_block_out(in_channels, n_layers, growth_rate):
    """Channels of a dense block's output (its input concatenated with all new feature maps).

    Each of the n_layers layers reads the concatenation of everything before it and produces
    growth_rate new maps.

    Returns:
        int
    """
    raise NotImplementedError  # your code here
'''

register(Exercise(
    name='dense_block_out',
    chapter='ch10',
    title="channels at a dense block's output",
    reference=_block_out_reference,
    stub=DENSE_BLOCK_OUT_STUB,
    cases=[
        Case(48, 4, 12, _hint='FC-DenseNet56, first block: 48 channels in, 4 layers of 12.'),
        (48, 4, 16),
        (656, 15, 16),
        Case(10, 1, 5, _hint='One layer adds growth_rate maps to the input.'),
    ],
    random_cases=_random_blocks,
    hint='Layer i sees c + i·k channels and adds k: what is there after the last one?',
    mistakes=[
        (lambda c, n, k: n * k, 'The block output keeps its input: DenseNet concatenates, it '
                                'does not replace.'),
        (lambda c, n, k: c + (n - 1) * k, 'All n layers add k maps, the last one included.'),
        (lambda c, n, k: c * 2 ** n, 'Each layer adds a fixed k maps, it does not double the '
                                     'channels.'),
    ],
))


# --------------------------------------------------------------------------- whole network

def _network_channels_reference(n_layers_per_block, growth_rate, first_channels=48):
    model = FCDenseNet(2, 3, n_layers_per_block=tuple(n_layers_per_block),
                       growth_rate=growth_rate, first_channels=first_channels)
    return ([b.out_channels for b in model.down] + [model.bottleneck.out_channels]
            + [b.out_channels for b in model.up])


def _random_networks(rng):
    cases = []
    for _ in range(10):
        n = 2 * int(rng.randint(1, 4)) + 1
        cases.append(([int(v) for v in rng.randint(1, 6, size=n)], int(rng.randint(1, 9)),
                      int(rng.randint(4, 33))))
    return cases


FCDENSENET_CHANNELS_STUB = '''
def fcdensenet_channels(n_layers_per_block, growth_rate, first_channels=48):
    """Channels at the output of every dense block of an FC-DenseNet.

    Args:
        n_layers_per_block: list of 2P + 1 ints: P down-path blocks, the bottleneck, P up-path
            blocks (11 entries for the paper's 5 poolings).
        growth_rate: int, k.
        first_channels: channels of the first 3x3 convolution.

    Down path: block -> (its output is the skip) -> TD (keeps the channels). Up path: TU
    upsamples only the NEW maps of the previous block (keeping their number), the result is
    concatenated with the skip of the same resolution, then the dense block.

    Returns:
        list of 2P + 1 ints: each block's output channels (input + new maps), in order.
    """
    raise NotImplementedError  # your code here
'''


def _channels_upsample_all(blocks, k, first=48):
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


def _channels_no_skip(blocks, k, first=48):
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


def _channels_new_only_down(blocks, k, first=48):
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
        return 'FC-DenseNet103 has 11 dense blocks; got {} numbers'.format(len(got))
    if got[5] != 896:
        return 'the bottleneck of FC-DenseNet103 has 656 + 15·16 = 896 channels; got {}'.format(
            got[5])
    return None


register(Exercise(
    name='fcdensenet_channels',
    chapter='ch10',
    title='channels through the down and up paths of an FC-DenseNet',
    reference=_network_channels_reference,
    stub=FCDENSENET_CHANNELS_STUB,
    cases=[
        Case(list(CONFIGS['FC-DenseNet56'][0]), 12, _label='fcdensenet_channels(FC-DenseNet56)'),
        Case(list(CONFIGS['FC-DenseNet67'][0]), 16, _label='fcdensenet_channels(FC-DenseNet67)'),
        Case(list(CONFIGS['FC-DenseNet103'][0]), 16, _label='fcdensenet_channels(FC-DenseNet103)'),
        Case([2, 3, 2], 4, 8, _label='fcdensenet_channels([2, 3, 2], 4, first_channels=8)'),
    ],
    random_cases=_random_networks,
    properties=[Property('the bottleneck of FC-DenseNet103 has 896 channels', _final_channels_103)],
    hint='Keep two numbers on the way up: the new maps of the last block (what TU upsamples) '
         'and the skip of the current resolution.',
    mistakes=[
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
        return ('adding a layer should add more parameters each time (its input is k channels '
                'wider): second differences {} for n = 1..5, expected {}'.format(
                    sorted(second), 9 * k * k + 2 * k))
    return None


register(Exercise(
    name='dense_block_params',
    chapter='ch10',
    title='trainable parameters of a dense block',
    reference=_block_params_reference,
    stub=DENSE_BLOCK_PARAMS_STUB,
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
