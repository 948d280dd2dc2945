"""Chapter 07 (FCN-16s and FCN-8s): the crops of an FCN with any set of skips (pool2 included),
the upsampling of each stage, and a skip fusion built as a Chain."""
import chainer
import chainer.links as L
import numpy

from seglearn import arithmetic
from seglearn.arithmetic import Conv, Deconv
from seglearn.exercises import probes
from seglearn.exercises.core import Case, Exercise, Property, register
from seglearn.models import fcn
from seglearn.models.common import crop
from seglearn.messages import gettext


# --------------------------------------------------------------------------- crops of any FCN

def _crops(pools, conv1_pad, final_ksize=None, pad_stages=False):
    """The crops of an FCN fusing ``pools``; ``final_ksize`` and ``pad_stages`` spell two
    typical mistakes (FCN-32s's kernel 64 for the last upsampling; padding f/2 per stage)."""
    def with_pad(layers):
        return (Conv(3, 1, conv1_pad),) + tuple(layers[1:])

    def upsampling(factor):
        return Deconv(2 * factor, factor, factor // 2 if pad_stages else 0)

    fused, stride, crops = with_pad(fcn.FCN_VGG16_LAYERS['score_fr']), 32, []
    for pool in pools:
        fused += (upsampling(stride // 2 ** pool),)
        crops.append(arithmetic.crop_offset(
            with_pad(fcn.FCN_VGG16_LAYERS['pool{}'.format(pool)]), reference=fused))
        stride = 2 ** pool
    last = upsampling(stride)
    if final_ksize:
        last = Deconv(final_ksize, stride, 0)
    crops.append(arithmetic.crop_offset(fused + (last,)))
    return tuple(crops)


def _crops_reference(pools, conv1_pad=100):
    return _crops(pools, conv1_pad)


FCN_CROPS_STUB = '''
def fcn_crops(pools, conv1_pad=100):
    """The crop offsets of an FCN that fuses the scores of the given pools.

    The VGG16-FCN of chapter 05 (conv1_1 padded by conv1_pad, the other 3x3 convs by 1, ceil-mode
    2x2 pools, fc6 7x7 without padding, 1x1 fc7 and score_fr). Starting from score_fr (stride
    32), each pool in `pools` (given coarse to fine, e.g. [4, 3] for FCN-8s, [4, 3, 2] for an
    "FCN-4s") is fused: the fused scores are upsampled to the pool's stride 2**pool by a
    transposed conv with factor f = (current stride) / 2**pool, kernel 2f, stride f, no
    padding, and the pool's 1x1 scores are cropped to align with them and added. A last
    upsampling (kernel 2s, stride s, s the last stride) goes to the input, cropped to align.

    Returns:
        tuple of int: one crop per pool in `pools`, then the final crop; (19,) for FCN-32s,
        (5, 27) for FCN-16s, (5, 9, 31) for FCN-8s.
    """
    raise NotImplementedError  # your code here
'''


def _random_pools(rng):
    cases = []
    for _ in range(12):
        pools = sorted({int(p) for p in rng.randint(1, 5, size=int(rng.randint(0, 4)))},
                       reverse=True)
        cases.append((pools, int(rng.randint(90, 161))))
    return cases


def _crops_ignoring_pad(pools, conv1_pad=100):
    return _crops(pools, 100)


def _crops_known_variants(pools, conv1_pad=100):
    return {(): (19,), (4,): (5, 27), (4, 3): (5, 9, 31)}.get(tuple(pools), (0,) * (len(pools) + 1))


register(Exercise(
    name='fcn_crops',
    chapter='ch07',
    title='crop offsets of an FCN with any skips (pool2 too)',
    reference=_crops_reference,
    stub=FCN_CROPS_STUB,
    cases=[
        Case([], _label='fcn_crops([])  (FCN-32s)'),
        Case([4], _label='fcn_crops([4])  (FCN-16s)'),
        Case([4, 3], _label='fcn_crops([4, 3])  (FCN-8s)'),
        Case([4, 3, 2], _label='fcn_crops([4, 3, 2])  (an FCN-4s: a new skip from pool2)',
             _hint='Compose the maps of the pool2 branch and of the fused scores after three '
                   '×2 upsamplings; the crop makes their offsets b equal.'),
        Case([3], _hint='Skipping pool4: the first upsampling is ×4 (kernel 8, stride 4).'),
        Case([4], 120, _hint='conv1_1\'s padding moves both branches of a skip alike, but not '
                             'the input the final crop aligns with.'),
        ([4, 3, 2, 1],),
    ],
    random_cases=_random_pools,
    hint='Chapter 05\'s coordinate maps: for each skip, the crop c solves a·(x + c) + b_pool = '
         'a·x + b_fused; for the final crop the fused scores must land on the input '
         '(x_in = x). seglearn.arithmetic builds and composes the maps for you.',
    mistakes=[
        (_crops_ignoring_pad, 'conv1_1\'s padding shifts the whole network against the input: '
                              'the final crop grows with it.'),
        (lambda pools, conv1_pad=100: _crops(pools, conv1_pad, final_ksize=64),
         'The last upsampling has kernel 2s for its own stride s; 64 is FCN-32s\'s (s = 32).'),
        (lambda pools, conv1_pad=100: _crops(pools, conv1_pad, pad_stages=True),
         'The upsamplings have no padding (pad 0): the crops do the aligning, and padding f/2 '
         'would shift every map.'),
        (_crops_known_variants, 'Only FCN-32s/16s/8s are right: derive the crops from the maps '
                                'for any set of pools.'),
    ],
    timeout=10.0,
    forbidden=[fcn.fcn_crop_offsets],
))


# --------------------------------------------------------------------------- upsampling stages

def _stages_reference(strides):
    strides = [int(s) for s in strides]
    stages = []
    for coarse, fine in zip(strides, strides[1:] + [1]):
        factor = coarse // fine
        stages.append((2 * factor, factor))
    return stages


def _random_strides(rng):
    cases = []
    for _ in range(15):
        n = int(rng.randint(1, 5))
        exps = sorted(set(int(e) for e in rng.randint(1, 7, size=n)), reverse=True)
        cases.append(([2 ** e for e in exps],))
    return cases


FCN_UPSAMPLING_STAGES_STUB = '''
def fcn_upsampling_stages(strides):
    """(ksize, stride) of each upsampling transposed convolution of an FCN with skips.

    Args:
        strides: the strides of the fused score maps, coarse to fine, e.g. [32, 16, 8] for FCN-8s
            (score_fr, pool4, pool3); the last upsampling goes to stride 1 (the input).

    Returns:
        list of (ksize, stride) pairs of ints, one per upsampling, coarse to fine; each
        upsamples by the ratio of consecutive strides with FCN's kernel size for that factor
        (pad 0, crop later).
    """
    raise NotImplementedError  # your code here
'''

register(Exercise(
    name='fcn_upsampling_stages',
    chapter='ch07',
    title='kernel and stride of each FCN upsampling',
    reference=_stages_reference,
    stub=FCN_UPSAMPLING_STAGES_STUB,
    cases=[Case([32], _hint='FCN-32s: one upsampling from stride 32 to stride 1.'),
           ([32, 16],), ([32, 16, 8],), ([64, 8, 4],)],
    random_cases=_random_strides,
    hint='Each stage upsamples by f = (coarser stride)/(finer stride); a bilinear kernel for a '
         'factor f spans two input pixels: k = 2f.',
    mistakes=[
        (lambda strides: [(2 * s, s) for s in strides],
         'Each stage upsamples from one fused map to the next: use the ratio of consecutive '
         'strides, not the stride itself.'),
        (lambda strides: [(f, f) for f in
                          [a // b for a, b in zip(list(strides), list(strides)[1:] + [1])]],
         'With k = s the kernels do not overlap (nearest-neighbour blocks); bilinear needs '
         'k = 2s.'),
        (lambda strides: [(2 * a / b, a / b) for a, b in zip(list(strides), list(strides)[1:]
                                                               + [1])],
         'a / b is a float (4.0): kernel sizes and strides are ints, use a // b.'),
    ],
))


# --------------------------------------------------------------------------- a skip as a Chain

class _Fusion(chainer.Chain):
    """One FCN skip, as the reference builds it."""

    def __init__(self, pool_channels, n_class, offset, scale=1.0):
        super().__init__()
        self.offset, self.scale = offset, scale
        zero = chainer.initializers.Zero()
        with self.init_scope():
            self.score_pool = L.Convolution2D(pool_channels, n_class, 1, initialW=zero,
                                              initial_bias=zero)

    def forward(self, upscore, pool):
        return upscore + crop(self.score_pool(pool * self.scale), self.offset,
                              upscore.shape[2:])


SKIP_FUSION_STUB = '''
class SkipFusion(chainer.Chain):
    """One skip of FCN-16s/8s: the upsampled coarse scores plus the aligned scores of a pool.

    Args:
        pool_channels: channels of the pool's features (512 for pool4, 256 for pool3).
        n_class: number of classes.
        offset: the crop offset of the pool's scores (5 for pool4, 9 for pool3).
        scale: factor applied to the pool's features before scoring (1 for staged training;
            0.01 for pool4 and 0.0001 for pool3 in the at-once model).

    Children (with this name: the check gives both networks the same weights by name):
        score_pool: 1x1 convolution pool_channels -> n_class with a bias, weights and bias zero.

    forward(upscore, pool):
        upscore: float32 (B, n_class, h, w), the coarser scores upsampled x2.
        pool: float32 (B, pool_channels, H, W) with H >= offset + h and W >= offset + w.
        Returns float32 (B, n_class, h, w): upscore + score_pool(scale * pool) cropped to (h, w)
        at (offset, offset).
    """

    def __init__(self, pool_channels, n_class, offset, scale=1.0):
        super().__init__()
        raise NotImplementedError  # your code here

    def forward(self, upscore, pool):
        raise NotImplementedError  # your code here
'''


def _fusion_case(pool_channels, n_class, offset, scale, batch, size, extra, seed):
    rng = numpy.random.RandomState(seed)
    up = rng.standard_normal((batch, n_class) + size).astype(numpy.float32)
    pool = (10 * rng.standard_normal((batch, pool_channels, size[0] + offset + extra[0],
                                      size[1] + offset + extra[1]))).astype(numpy.float32)
    return Case((pool_channels, n_class, offset, scale), (up, pool),
                _label='SkipFusion({}, {}, offset={}, scale={}) on upscore {} and pool {}'.format(
                    pool_channels, n_class, offset, scale, up.shape, pool.shape))


def _adds_nothing_at_first(fn):
    case = _fusion_case(6, 3, 5, 1.0, 1, (4, 6), (3, 2), 9)
    obs = fn.probe(probes.network, *case.args, fresh=True)
    if 'error' in obs:
        return obs['error']
    upscore = case.args[1][0]
    if not numpy.array_equal(obs['output'], upscore):
        return (gettext('a freshly built fusion changes the coarse scores (by up to {:.3g}): '
                        'score_pool starts at zero, so the sum must equal upscore exactly').format(
                    float(numpy.abs(obs['output'] - upscore).max())))
    return None


def _on_gpu(fn):
    return probes.same_network_on_gpu(fn, *_fusion_case(6, 3, 5, 1.0, 1, (4, 6), (3, 2), 9).args)


class _FusionTopLeft(_Fusion):
    def forward(self, upscore, pool):
        return upscore + crop(self.score_pool(pool * self.scale), 0, upscore.shape[2:])


class _FusionUnscaled(_Fusion):
    def forward(self, upscore, pool):
        return upscore + crop(self.score_pool(pool), self.offset, upscore.shape[2:])


class _FusionScaledAfter(_Fusion):
    def forward(self, upscore, pool):
        return upscore + crop(self.score_pool(pool), self.offset, upscore.shape[2:]) * self.scale


register(Exercise(
    name='SkipFusion',
    chapter='ch07',
    title='an FCN skip fusion: score the pool, crop, add',
    reference=_Fusion,
    stub=SKIP_FUSION_STUB,
    cases=[_fusion_case(8, 3, 5, 1.0, 1, (4, 4), (2, 2), 0),
           _fusion_case(8, 3, 9, 1.0, 2, (6, 5), (3, 4), 1),
           _fusion_case(5, 2, 5, 0.01, 1, (3, 7), (5, 1), 2),
           _fusion_case(4, 4, 0, 1.0, 1, (2, 2), (0, 0), 3)],
    probe=probes.network,
    compare=probes.compare_networks,
    properties=[Property('a new fusion adds exactly nothing (score_pool starts at zero)',
                         _adds_nothing_at_first),
                Property('same output on CuPy', _on_gpu, gpu=True)],
    hint='score_pool: L.Convolution2D(pool_channels, n_class, 1) with Zero initialisers; '
         'forward: scale the pool, score it, keep [offset, offset + h) × [offset, offset + w), '
         'add upscore.',
    mistakes=[
        (_FusionTopLeft, 'The pool\'s scores must be cropped at the offset, not at the '
                         'top-left corner: they would sit a few pixels off.'),
        (_FusionUnscaled, 'Multiply the pool\'s features by scale before scoring (the at-once '
                          'model\'s 0.01 and 0.0001).'),
        (_FusionScaledAfter, 'Scale the features before score_pool, not the scores after it: '
                             'the bias must not be scaled.'),
    ],
    timeout=10.0,
    forbidden=[fcn._FCN],
))
