"""Chapter 06 (FCN-32s): the size of the upsampled scores, padding an image for a stride-32 net."""
import numpy

from seglearn import arithmetic
from seglearn.exercises.core import Case, Exercise, Property, register
from seglearn.models import fcn


# --------------------------------------------------------------------------- upscore size

def _upscore_size_reference(size):
    layers = (list(fcn.FCN_VGG16_LAYERS['score_fr'])
              + list(fcn.FCN_UPSAMPLING['fcn32s']))
    return arithmetic.stack_output_size(layers, size, cover_all=True)


def _random_sizes(rng):
    return [(int(s),) for s in rng.randint(1, 1200, size=25)]


def _crop_fits(fn):
    """The crop of 19 pixels plus the image always fits into the upsampled scores."""
    for size in list(range(1, 200, 7)) + [224, 333, 500, 511, 512, 513]:
        n = fn(size)
        if n < size + 19:
            return ('for an input of {} px you return {} px of upsampled scores, fewer than the '
                    '19 + {} the crop needs'.format(size, n, size))
    return None


FCN32S_UPSCORE_SIZE_STUB = '''
def fcn32s_upscore_size(size):
    """Size of FCN-32s' upsampled scores (before the crop) for an input of `size` pixels.

    The layers: conv1_1 3x3 pad 100, twelve more 3x3 convs pad 1, five 2x2 max-poolings stride 2
    (ceil mode, like Chainer's cover_all=True), fc6 7x7 pad 0, fc7 and score_fr 1x1,
    upscore: transposed conv k=64, s=32, p=0.

    Returns:
        int
    """
    raise NotImplementedError  # your code here
'''


def _upscore_floor(size):
    n = size + 198
    for _ in range(5):
        n //= 2
    return 32 * (n - 6 - 1) + 64


def _upscore_no_fc6(size):
    n = size + 198
    for _ in range(5):
        n = -(-n // 2)
    return 32 * (n - 1) + 64


def _upscore_no_pad(size):
    n = size
    for _ in range(5):
        n = -(-n // 2)
    return 32 * (n - 6 - 1) + 64


register(Exercise(
    name='fcn32s_upscore_size',
    chapter='ch06',
    title='size of the FCN-32s upsampled scores before the crop',
    reference=_upscore_size_reference,
    stub=FCN32S_UPSCORE_SIZE_STUB,
    cases=[
        Case(224, _hint='224 + 198 = 422 after conv1_1; halve with rounding up five times.'),
        (500,),
        Case(1, _hint='pad=100 makes even a 1-pixel image produce scores.'),
        Case(333, _hint='Ceil mode: an odd map of 2k+1 pixels pools to k+1, not k.'),
        (64,),
    ],
    random_cases=_random_sizes,
    properties=[Property('the crop (19 px) and the image always fit into the scores', _crop_fits)],
    hint='conv1_1 with pad 100 gives size + 198; each pool halves, rounding up; fc6 (7×7, no pad) '
         'removes 6; a transposed conv makes s·(n − 1) + k.',
    mistakes=[
        (_upscore_floor, 'Chainer (and Caffe) round the pooled size up (cover_all=True).'),
        (_upscore_no_fc6, "fc6 is a 7×7 convolution without padding: it removes 6 pixels."),
        (_upscore_no_pad, 'conv1_1 pads by 100 pixels: after it the map is size + 198.'),
    ],
))


# --------------------------------------------------------------------------- pad to a multiple

def _pad_to_multiple_reference(img, multiple):
    img = numpy.asarray(img)
    h, w = img.shape[-2:]
    ph, pw = -h % multiple, -w % multiple
    return numpy.pad(img, [(0, 0)] * (img.ndim - 2) + [(0, ph), (0, pw)])


def _random_images(rng):
    cases = []
    for _ in range(12):
        c = int(rng.choice([1, 3]))
        h, w = (int(v) for v in rng.randint(1, 70, size=2))
        cases.append((rng.randint(0, 256, size=(c, h, w)).astype(numpy.float32),
                      int(rng.choice([2, 8, 16, 32]))))
    return cases


def _crop_back(fn):
    rng = numpy.random.RandomState(1)
    img = rng.rand(3, 45, 70).astype(numpy.float32) * 255
    out = numpy.asarray(fn(img.copy(), 32))
    if out.shape[-2] % 32 or out.shape[-1] % 32:
        return 'the padded size {} is not a multiple of 32'.format(out.shape[-2:])
    if not numpy.array_equal(out[:, :45, :70], img):
        return 'cropping [:, :H, :W] out of the padded image does not give the image back'
    return None


PAD_TO_MULTIPLE_STUB = '''
def pad_to_multiple(img, multiple):
    """Zero-pad an image at the bottom and the right so that H and W become multiples of `multiple`.

    Args:
        img: float32 array (C, H, W).
        multiple: int, e.g. 32 for a network with five 2x2 poolings.

    Returns:
        float32 array (C, H', W'): H' and W' the smallest multiples of `multiple` that are >= H, W;
        img[:, :H, :W] unchanged in the top-left corner, zeros elsewhere.
    """
    raise NotImplementedError  # your code here
'''


def _pad_always(img, m):
    img = numpy.asarray(img)
    h, w = img.shape[-2:]
    return numpy.pad(img, [(0, 0), (0, m - h % m), (0, m - w % m)])


def _pad_centred(img, m):
    img = numpy.asarray(img)
    h, w = img.shape[-2:]
    ph, pw = -h % m, -w % m
    return numpy.pad(img, [(0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)])


def _pad_floor(img, m):
    img = numpy.asarray(img)
    h, w = img.shape[-2:]
    return img[:, :max(m, h // m * m), :max(m, w // m * m)]


register(Exercise(
    name='pad_to_multiple',
    chapter='ch06',
    title='zero-pad an image to multiples of the network stride',
    reference=_pad_to_multiple_reference,
    stub=PAD_TO_MULTIPLE_STUB,
    cases=[
        Case(numpy.ones((1, 5, 7), numpy.float32), 4, _label='pad_to_multiple(ones(1, 5, 7), 4)'),
        Case(numpy.ones((3, 64, 96), numpy.float32), 32,
             _label='pad_to_multiple(ones(3, 64, 96), 32)',
             _hint='A size that is already a multiple needs no padding.'),
        Case(numpy.arange(2 * 3 * 3, dtype=numpy.float32).reshape(2, 3, 3), 2,
             _label='pad_to_multiple(arange(18).reshape(2, 3, 3), 2)'),
    ],
    random_cases=_random_images,
    properties=[Property('padded[:, :H, :W] gives the image back', _crop_back)],
    hint='The padding is (−H) mod m rows at the bottom and (−W) mod m columns on the right; '
         'numpy.pad takes one (before, after) pair per axis.',
    mistakes=[
        (_pad_always, 'm − H % m pads a whole extra block when H is already a multiple of m.'),
        (_pad_centred, 'Pad at the bottom and right only, so that the image stays at [:H, :W].'),
        (_pad_floor, 'Cropping to a smaller multiple loses pixels; pad up instead.'),
    ],
))
