"""Chapter 09 (U-Net): the smallest valid input size for any depth, mirror extension at the
border (overlap-tile), the skip's centre crop."""
import numpy

from seglearn.exercises.core import Case, Exercise, Property, allclose, register
from seglearn.models import unet
from seglearn.models.common import center_crop
from seglearn.transforms import mirror_pad


# --------------------------------------------------------------------------- valid input size

def _at_least_reference(size, depth=4):
    return unet.nearest_valid_input_size(size, depth, 'up')


def _random_sizes(rng):
    return [(int(rng.randint(1, 700)), int(rng.randint(1, 6))) for _ in range(30)]


VALID_SIZE_AT_LEAST_STUB = '''
def valid_size_at_least(size, depth=4):
    """The smallest valid input size >= `size` of a U-Net with unpadded ("valid") 3x3 convs.

    Each level of the contracting path: two 3x3 convs without padding, then a 2x2 max-pool
    (stride 2) that needs an even size. Bottom: two 3x3 convs. Each level of the expanding path:
    a 2x2 up-convolution (stride 2, size doubles), then two 3x3 convs. A size is valid when no
    pool meets an odd size and no size drops below 1 (the output is at least 1 pixel).

    Args:
        size: int >= 1, e.g. the size of your image plus the context border.
        depth: int, number of max-poolings (4 in the paper).

    Returns:
        int: the smallest valid input size that is >= size (572 for 572, 188 for 1 at depth 4).
    """
    raise NotImplementedError  # your code here
'''


def _paper_rule(size, depth=4):
    return max(188, size + (12 - size) % 16)


def _multiple_of_pool(size, depth=4):
    return -(-size // 2 ** depth) * 2 ** depth


def _nearest_either_way(size, depth=4):
    return unet.nearest_valid_input_size(size, depth, 'nearest')


def _no_minimum(size, depth=4):
    smallest = unet.nearest_valid_input_size(1, depth, 'up')
    return size + (smallest - size) % 2 ** depth


def _is_valid_and_smallest(fn):
    """The answer is valid (the model accepts it) and nothing between size and it is."""
    for depth in (1, 2, 3, 4):
        for size in range(1, 260, 7):
            got = fn(size, depth)
            try:
                unet.unet_output_size(got, depth)
            except (ValueError, TypeError):
                return '{} (for size={}, depth={}) is not a valid input size'.format(
                    got, size, depth)
            if got < size:
                return '{} is smaller than size={}'.format(got, size)
    return None


register(Exercise(
    name='valid_size_at_least',
    chapter='ch09',
    title='smallest valid U-Net input size >= a given size, for any depth',
    reference=_at_least_reference,
    stub=VALID_SIZE_AT_LEAST_STUB,
    cases=[
        Case(572, _hint='572 is valid (the paper\'s tile).'),
        Case(500, _hint='At depth 4 valid sizes are 188, 204, …, 16 apart.'),
        Case(1, _hint='The smallest valid size at depth 4 is 188.'),
        Case(97, 3, _hint='At depth 3 the smallest valid size is 92; then every 8.'),
        (61, 2),
        (30, 1),
        (700, 5),
    ],
    random_cases=_random_sizes,
    properties=[Property('the answer is accepted by a U-Net of that depth and is >= size',
                         _is_valid_and_smallest)],
    hint='Write a test "is this size valid?" by following the size down and up the U (−4 per '
         'pair of convs, /2 per pool only if even, ×2 per up-conv), then try size, size + 1, …',
    mistakes=[
        (_paper_rule, 's ≡ 12 (mod 16), s ≥ 188 is the rule for depth 4 only: redo the walk '
                      'for other depths.'),
        (_multiple_of_pool, 'Multiples of 2^depth are the rule for *padded* ("same") convs; '
                            'valid convs eat 4 pixels per level.'),
        (_nearest_either_way, 'The size must not go down: padding can add context, cropping '
                              'would lose pixels.'),
        (_no_minimum, 'Below the smallest valid size the output would be empty: sizes under it '
                      'are not valid even in the right residue class.'),
    ],
))


# --------------------------------------------------------------------------- mirror padding

def _random_mirror(rng):
    cases = []
    for _ in range(12):
        c = int(rng.randint(1, 4))
        h, w = (int(v) for v in rng.randint(2, 20, size=2))
        margin = int(rng.randint(0, min(h, w)))
        cases.append((rng.randint(0, 256, size=(c, h, w)).astype(numpy.float32), margin))
    return cases


MIRROR_EXTEND_STUB = '''
def mirror_extend(img, margin):
    """Extend an image by `margin` pixels on every side by mirroring it at its border.

    This is how U-Net's overlap-tile strategy supplies the missing context at the image border.
    The mirror axis is the border pixel itself, which is not repeated: a row 0 1 2 3 extended by
    2 becomes 2 1 | 0 1 2 3 | 2 1.

    Args:
        img: float32 array (C, H, W).
        margin: int, 0 <= margin < min(H, W).

    Returns:
        float32 array (C, H + 2 * margin, W + 2 * margin).
    """
    raise NotImplementedError  # your code here
'''


def _pad_mode(mode):
    def pad(img, margin):
        img = numpy.asarray(img)
        return numpy.pad(img, ((0, 0), (margin, margin), (margin, margin)), mode=mode)
    return pad


def _pad_rows_only(img, margin):
    img = numpy.asarray(img)
    return numpy.pad(img, ((0, 0), (margin, margin), (0, 0)), mode='reflect')


def _mirror_is_a_mirror(fn):
    img = numpy.arange(5 * 6, dtype=numpy.float32).reshape(1, 5, 6)
    out = numpy.asarray(fn(img.copy(), 3))
    if out.shape != (1, 11, 12):
        return 'a (1, 5, 6) image with margin 3 gave shape {}'.format(out.shape)
    if not numpy.array_equal(out[:, 3:8, 3:9], img):
        return 'the image itself must sit unchanged in the centre'
    for i in range(1, 4):
        if not numpy.array_equal(out[:, 3 - i, 3:9], img[:, i]):
            return 'row {} above the image must equal image row {}'.format(i, i)
    return None


register(Exercise(
    name='mirror_extend',
    chapter='ch09',
    title='mirror extension of an image at its border (overlap-tile)',
    reference=lambda img, margin: mirror_pad(numpy.asarray(img), margin),
    stub=MIRROR_EXTEND_STUB,
    cases=[
        Case(numpy.arange(4, dtype=numpy.float32).reshape(1, 1, 4).repeat(3, axis=1), 2,
             _label='mirror_extend(rows 0 1 2 3 (1, 3, 4), 2)',
             _hint='0 1 2 3 → 2 1 | 0 1 2 3 | 2 1: the edge pixel is the mirror, not repeated.'),
        Case(numpy.arange(12, dtype=numpy.float32).reshape(1, 3, 4), 0,
             _label='mirror_extend(arange(12).reshape(1, 3, 4), 0)'),
        Case(numpy.arange(50, dtype=numpy.float32).reshape(2, 5, 5), 4,
             _label='mirror_extend(arange(50).reshape(2, 5, 5), 4)'),
    ],
    random_cases=_random_mirror,
    compare=allclose(rtol=0, atol=0, dtype='f'),
    properties=[Property('the centre is the image and the margin mirrors it', _mirror_is_a_mirror)],
    hint='Pixel −i (outside) takes the value of pixel +i; pixel H − 1 + i takes H − 1 − i. '
         'numpy.pad has a mode for exactly this.',
    mistakes=[
        (_pad_mode('symmetric'), "numpy's 'symmetric' repeats the edge pixel (1 0 | 0 1 2 3); the "
                                 "mirror here does not ('reflect')."),
        (_pad_mode('constant'), 'Zeros are not a mirror: the network would see a black frame '
                                'that is not in the data.'),
        (_pad_mode('edge'), "'edge' repeats the border pixel; mirror the image instead."),
        (_pad_rows_only, 'Extend the columns too: the margin goes on every side.'),
    ],
))


# --------------------------------------------------------------------------- centre crop

def _random_crops(rng):
    cases = []
    for _ in range(15):
        c = int(rng.randint(1, 4))
        h, w = (int(v) for v in rng.randint(1, 30, size=2))
        th, tw = int(rng.randint(1, h + 1)), int(rng.randint(1, w + 1))
        cases.append((rng.randn(c, h, w).astype(numpy.float32), (th, tw)))
    return cases


CROP_SKIP_STUB = '''
def crop_skip(skip, size):
    """Centre crop of a skip connection's features before U-Net's concatenation.

    Args:
        skip: float32 array (C, H, W).
        size: (h, w) with h <= H and w <= W.

    Returns:
        float32 array (C, h, w): the centre of `skip`; when H - h (or W - w) is odd, the extra
        row (column) is dropped at the bottom (right): the crop starts at (H - h) // 2.
    """
    raise NotImplementedError  # your code here
'''


def _crop_top_left(skip, size):
    return numpy.asarray(skip)[:, :size[0], :size[1]]


def _crop_minus_index(skip, size):
    skip = numpy.asarray(skip)
    oy, ox = (skip.shape[1] - size[0]) // 2, (skip.shape[2] - size[1]) // 2
    return skip[:, oy:-oy, ox:-ox]


def _crop_ceil(skip, size):
    skip = numpy.asarray(skip)
    oy, ox = -(-(skip.shape[1] - size[0]) // 2), -(-(skip.shape[2] - size[1]) // 2)
    return skip[:, oy:oy + size[0], ox:ox + size[1]]


def _concat_fits(fn):
    rng = numpy.random.RandomState(2)
    skip = rng.randn(4, 136, 136).astype(numpy.float32)  # level 1 of a 572 U-Net at depth 4 → 392
    out = numpy.asarray(fn(skip.copy(), (104, 104)))
    if out.shape != (4, 104, 104):
        return 'a (4, 136, 136) skip cropped to (104, 104) gave shape {}'.format(out.shape)
    if not numpy.array_equal(out, skip[:, 16:120, 16:120]):
        return 'the 136 → 104 crop must remove 16 pixels on every side (the paper\'s crop)'
    return None


register(Exercise(
    name='crop_skip',
    chapter='ch09',
    title="centre crop of a skip connection (U-Net's crop-and-concat)",
    reference=lambda skip, size: center_crop(numpy.asarray(skip)[None], size)[0],
    stub=CROP_SKIP_STUB,
    cases=[
        Case(numpy.arange(36, dtype=numpy.float32).reshape(1, 6, 6), (2, 2),
             _label='crop_skip(arange(36).reshape(1, 6, 6), (2, 2))'),
        Case(numpy.arange(24, dtype=numpy.float32).reshape(2, 3, 4), (3, 4),
             _label='crop_skip(arange(24).reshape(2, 3, 4), (3, 4))  (nothing to crop)',
             _hint='When the sizes already match the crop is the whole array; beware of '
                   'x[o:-o] with o = 0.'),
        Case(numpy.arange(35, dtype=numpy.float32).reshape(1, 5, 7), (2, 4),
             _label='crop_skip(arange(35).reshape(1, 5, 7), (2, 4))  (odd margins)',
             _hint='Margins 3 and 3: start at 3 // 2 = 1, the extra row/column goes at the end.'),
        Case(numpy.arange(64 * 64, dtype=numpy.float32).reshape(1, 64, 64), (56, 56),
             _label='crop_skip(arange(4096).reshape(1, 64, 64), (56, 56))'),
    ],
    random_cases=_random_crops,
    compare=allclose(rtol=0, atol=0, dtype='f'),
    properties=[Property("136 → 104: the paper's 16 pixels per side", _concat_fits)],
    hint='The top-left corner of the crop is ((H − h) // 2, (W − w) // 2); slice h rows and w '
         'columns from there.',
    mistakes=[
        (_crop_top_left, 'That is the top-left corner, not the centre.'),
        (_crop_minus_index, 'x[o:-o] breaks when o = 0 (empty) and when the margin is odd; slice '
                            'x[o:o + h] instead.'),
        (_crop_ceil, 'Round the offset down: (H − h) // 2.'),
    ],
))
