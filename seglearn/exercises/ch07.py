"""Chapter 07 (FCN-16s and FCN-8s): the crop offset of a skip, the upsampling of each stage."""
from fractions import Fraction

from seglearn import arithmetic
from seglearn.exercises.core import Case, Exercise, register
from seglearn.models import fcn


# --------------------------------------------------------------------------- skip crop offset

def _skip_crop_offset_reference(skip_map, up_map):
    (a_s, b_s), (a_u, b_u) = skip_map, up_map
    a_s, b_s, a_u, b_u = (Fraction(v).limit_denominator(1000) for v in (a_s, b_s, a_u, b_u))
    if a_s != a_u:
        raise ValueError('the two maps have different strides {} and {}'.format(a_s, a_u))
    offset = (b_u - b_s) / a_s
    if offset.denominator != 1:
        raise ValueError('no integer crop aligns them: offset {}'.format(offset))
    return int(offset)


def _fcn_map(layers):
    a, b = arithmetic.coordinate_map(layers)
    return (float(a), float(b))


def _fcn_cases():
    L, U = fcn.FCN_VGG16_LAYERS, fcn.FCN_UPSAMPLING
    up2 = L['score_fr'] + U['fcn16s'][:1]
    up4 = L['score_fr'] + U['fcn8s'][:2]   # the pool4 sum keeps upscore2's geometry
    return [
        Case(_fcn_map(L['pool4']), _fcn_map(up2),
             _label='skip_crop_offset(pool4 scores (16, -91.5), upscore2 (16, -11.5))  [FCN-16s]'),
        Case(_fcn_map(L['pool3']), _fcn_map(up4),
             _label='skip_crop_offset(pool3 scores (8, -95.5), upscore_pool4 (8, -23.5))  '
                    '[FCN-8s]'),
    ]


def _random_offsets(rng):
    cases = []
    for _ in range(20):
        a = float(2 ** int(rng.randint(0, 6)))
        b_s = float(rng.randint(-200, 50)) + float(rng.choice([0, 0.5]))
        c = int(rng.randint(0, 40))
        cases.append(((a, b_s), (a, b_s + a * c)))
    return cases


SKIP_CROP_OFFSET_STUB = '''
def skip_crop_offset(skip_map, up_map):
    """Crop offset that aligns skip scores with upsampled scores.

    Both maps give input positions: a skip score at index x sits over input position
    skip_map[0] * x + skip_map[1], an upsampled score at index x over up_map[0] * x + up_map[1]
    (same stride a). Find the crop c so that skip[x + c] and up[x] sit over the same position.

    Returns:
        int: c
    """
    raise NotImplementedError  # your code here
'''

register(Exercise(
    name='skip_crop_offset',
    chapter='ch07',
    title='crop offset of a skip from two coordinate maps',
    reference=_skip_crop_offset_reference,
    stub=SKIP_CROP_OFFSET_STUB,
    cases=_fcn_cases() + [((4.0, -1.5), (4.0, 10.5)), ((1.0, 0.0), (1.0, 0.0))],
    random_cases=_random_offsets,
    hint='Solve a·(x + c) + b_skip = a·x + b_up for c, and return it as an int.',
    mistakes=[
        (lambda s, u: int((s[1] - u[1]) / s[0]), 'The sign is reversed: the skip map must be '
                                                 'shifted forward, c = (b_up − b_skip)/a.'),
        (lambda s, u: int(u[1] - s[1]), 'c counts skip pixels, each a input pixels wide: divide '
                                        'the shift by the stride.'),
    ],
))


# --------------------------------------------------------------------------- upsampling stages

def _stages_reference(strides):
    strides = [int(s) for s in strides]
    stages = []
    for coarse, fine in zip(strides, strides[1:] + [1]):
        factor = coarse // fine
        stages.append((2 * factor, factor))
    return stages


def _compare_stages(expected, actual):
    try:
        actual = [tuple(int(v) if float(v) == int(v) else v for v in stage) for stage in actual]
    except (TypeError, ValueError):
        return 'expected a list of (ksize, stride) pairs, got {!r}'.format(actual)
    if len(actual) != len(expected):
        return 'expected {} stages, got {}'.format(len(expected), len(actual))
    for i, (e, a) in enumerate(zip(expected, actual)):
        if tuple(a) != tuple(e):
            return 'stage {}: expected (ksize, stride) = {}, got {}'.format(i, tuple(e), tuple(a))
    return None


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
        list of (ksize, stride) pairs, one per upsampling, coarse to fine; each upsamples by the
        ratio of consecutive strides with FCN's kernel size for that factor (pad 0, crop later).
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
    compare=_compare_stages,
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
    ],
))
