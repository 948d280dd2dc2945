"""Chapter 09 (U-Net): valid input sizes for any depth and kernel, mirror extension at the
border (overlap-tile), the skip's centre crop, one up step built as a Chain, and U-Net's weighted
pixel cross-entropy."""
import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from seglearn import losses
from seglearn.exercises import probes
from seglearn.exercises.core import Case, Exercise, Property, allclose, register
from seglearn.models import unet
from seglearn.models.common import center_crop, crop
from seglearn.transforms import mirror_pad
from seglearn.messages import gettext


# --------------------------------------------------------------------------- valid input size

def _is_valid(size, depth, ksize):
    """Whether an unpadded U-Net with ``ksize`` convolutions accepts ``size`` (the chapter's
    walk down and up the U)."""
    loss = 2 * (ksize - 1)                 # two convolutions per level
    for _ in range(depth):
        size -= loss
        if size < 2 or size % 2:
            return False
        size //= 2
    size -= loss
    for _ in range(depth):
        if size < 1:
            return False
        size = 2 * size - loss
    return size >= 1


def _at_least_reference(size, depth=4, ksize=3):
    while not _is_valid(size, depth, ksize):
        size += 1
    return size


def _random_sizes(rng):
    return [(int(rng.randint(1, 700)), int(rng.randint(1, 6)), int(rng.choice([1, 3, 5, 7])))
            for _ in range(30)]


VALID_SIZE_AT_LEAST_STUB = '''
def valid_size_at_least(size, depth=4, ksize=3):
    """The smallest valid input size >= `size` of a U-Net with unpadded ("valid") convolutions.

    Each level of the contracting path: two ksize x ksize convolutions without padding, then a
    2x2 max-pool (stride 2) that needs an even size of at least 2. Bottom: two such
    convolutions. Each level of the expanding path: a 2x2 up-convolution (stride 2, the size
    doubles), then two such convolutions. A size is valid when no pool meets an odd size and no
    size drops below 1 (the output is at least 1 pixel).

    Args:
        size: int >= 1, e.g. the size of your image plus the context border.
        depth: int >= 1, the number of max-poolings (4 in the paper).
        ksize: odd int >= 1, the convolutions' kernel (3 in the paper).

    Returns:
        int: the smallest valid input size that is >= size (572 for 572 and 188 for 1 at
        depth 4 with 3x3 kernels).
    """
    raise NotImplementedError  # your code here
'''


def _paper_rule(size, depth=4, ksize=3):
    return max(188, size + (12 - size) % 16)


def _multiple_of_pool(size, depth=4, ksize=3):
    return -(-size // 2 ** depth) * 2 ** depth


def _three_by_three_only(size, depth=4, ksize=3):
    return unet.nearest_valid_input_size(size, depth, 'up')


def _no_minimum(size, depth=4, ksize=3):
    smallest = _at_least_reference(1, depth, ksize)
    return size + (smallest - size) % 2 ** depth


def _is_valid_and_smallest(fn):
    """The answer is valid and nothing between size and it is (checked by the chapter's walk)."""
    for depth in (1, 2, 3, 4):
        for ksize in (1, 3, 5):
            for size in range(1, 230, 7):
                got = fn(size, depth, ksize)
                if not isinstance(got, (int, numpy.integer)) or isinstance(got, bool):
                    return gettext('expected an int, got {!r}').format(got)
                if got < size or not _is_valid(got, depth, ksize):
                    return gettext('{} is not a valid input size >= {} (depth={}, '
                                   'ksize={})').format(
                        got, size, depth, ksize)
                smaller = [s for s in range(size, got) if _is_valid(s, depth, ksize)]
                if smaller:
                    return (gettext('{} is valid for size={}, depth={}, ksize={}, but so is the '
                                    'smaller {}').format(got, size, depth, ksize, smaller[0]))
    return None


register(Exercise(
    name='valid_size_at_least',
    chapter='ch09',
    title='smallest valid U-Net input size >= a given size, for any depth and kernel',
    reference=_at_least_reference,
    stub=VALID_SIZE_AT_LEAST_STUB,
    cases=[
        Case(572, _hint='572 is valid (the paper\'s tile).'),
        Case(500, _hint='At depth 4 valid sizes are 188, 204, …, 16 apart.'),
        Case(1, _hint='The smallest valid size at depth 4 is 188.'),
        Case(97, 3, _hint='At depth 3 the smallest valid size is 92; then every 8.'),
        Case(1, 1, _hint='Depth 1: two convolutions, one pool, two at the bottom, one '
                         'up-convolution, two more.'),
        (30, 1),
        (61, 2),
        Case(1, 4, 5, _hint='A 5×5 convolution removes 4 pixels, two of them 8 per level.'),
        Case(100, 2, 1, _hint='1×1 convolutions remove nothing: only the pools constrain the '
                              'size.'),
        (700, 5),
    ],
    random_cases=_random_sizes,
    properties=[Property('the answer is valid and no smaller size >= size is',
                         _is_valid_and_smallest)],
    hint='Write a test "is this size valid?" by following the size down and up the U (−2(k − 1) '
         'per pair of convolutions, /2 per pool only if even, ×2 per up-convolution), then try '
         'size, size + 1, …',
    mistakes=[
        (_paper_rule, 's ≡ 12 (mod 16), s ≥ 188 is the rule for depth 4 with 3×3 kernels only: '
                      'redo the walk for other depths and kernels.'),
        (_multiple_of_pool, 'Multiples of 2^depth are the rule for *padded* ("same") '
                            'convolutions; valid convolutions eat 2(k − 1) pixels per level.'),
        (_three_by_three_only, 'The kernel size changes how much each level eats: a k×k '
                               'convolution removes k − 1 pixels.'),
        (_no_minimum, 'Below the smallest valid size the output would be empty: sizes under it '
                      'are not valid even in the right residue class.'),
    ],
    forbidden=[unet.nearest_valid_input_size, unet.valid_input_sizes, unet.valid_padding],
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
        return gettext('a (1, 5, 6) image with margin 3 gave shape {}').format(out.shape)
    if not numpy.array_equal(out[:, 3:8, 3:9], img):
        return gettext('the image itself must sit unchanged in the centre')
    for i in range(1, 4):
        if not numpy.array_equal(out[:, 3 - i, 3:9], img[:, i]):
            return gettext('row {} above the image must equal image row {}').format(i, i)
    return None


register(Exercise(
    name='mirror_extend',
    chapter='ch09',
    title='mirror extension of an image at its border (overlap-tile)',
    reference=lambda img, margin: mirror_pad(numpy.asarray(img), margin),
    stub=MIRROR_EXTEND_STUB,
    forbidden=[mirror_pad],
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
    compare=allclose(rtol=0, atol=0),
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
        return gettext('a (4, 136, 136) skip cropped to (104, 104) gave shape '
                       '{}').format(out.shape)
    if not numpy.array_equal(out, skip[:, 16:120, 16:120]):
        return gettext("the 136 → 104 crop must remove 16 pixels on every side (the paper's crop)")
    return None


register(Exercise(
    name='crop_skip',
    chapter='ch09',
    title="centre crop of a skip connection (U-Net's crop-and-concat)",
    reference=lambda skip, size: center_crop(numpy.asarray(skip)[None], size)[0],
    stub=CROP_SKIP_STUB,
    forbidden=[center_crop],
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
    compare=allclose(rtol=0, atol=0),
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


# --------------------------------------------------------------------------- one up step

class _UpStep(chainer.Chain):
    """One level of the expanding path, as the reference builds it."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        with self.init_scope():
            self.up = L.Deconvolution2D(in_channels, out_channels, 2, 2)
            self.conv1 = L.Convolution2D(2 * out_channels, out_channels, 3)
            self.conv2 = L.Convolution2D(out_channels, out_channels, 3)

    def forward(self, h, skip):
        h = self.up(h)
        h = F.concat((center_crop(skip, h.shape[2:]), h), axis=1)
        return F.relu(self.conv2(F.relu(self.conv1(h))))


UP_STEP_STUB = '''
class UpStep(chainer.Chain):
    """One level of U-Net's expanding path, with unpadded convolutions as in the paper.

    Args:
        in_channels: channels of the features from below.
        out_channels: channels of this level (in_channels // 2 in the paper).

    Children (with these names: the check gives both networks the same weights by name):
        up: 2x2 transposed convolution in_channels -> out_channels, stride 2, with a bias.
        conv1: 3x3 convolution 2 * out_channels -> out_channels, no padding, with a bias.
        conv2: 3x3 convolution out_channels -> out_channels, no padding, with a bias.

    forward(h, skip):
        h: float32 (B, in_channels, h, w), the features from the level below.
        skip: float32 (B, out_channels, H, W), the contracting path's features of this level,
            H >= 2h and W >= 2w.
        Returns float32 (B, out_channels, 2h - 4, 2w - 4): up(h); the centre of skip cropped to
        its size (an odd margin leaves the extra row/column at the bottom/right); the two
        concatenated along the channels, skip first; then conv1 + ReLU and conv2 + ReLU.
    """

    def __init__(self, in_channels, out_channels):
        super().__init__()
        raise NotImplementedError  # your code here

    def forward(self, h, skip):
        raise NotImplementedError  # your code here
'''


def _up_case(in_channels, out_channels, batch, size, skip_size, seed):
    rng = numpy.random.RandomState(seed)
    h = rng.standard_normal((batch, in_channels) + size).astype(numpy.float32)
    skip = rng.standard_normal((batch, out_channels) + skip_size).astype(numpy.float32)
    return Case((in_channels, out_channels), (h, skip),
                _label='UpStep({}, {}) on h {} and skip {}'.format(in_channels, out_channels,
                                                                   h.shape, skip.shape))


def _up_on_gpu(fn):
    return probes.same_network_on_gpu(fn, *_up_case(4, 2, 1, (3, 3), (9, 9), 7).args)


class _UpSkipLast(_UpStep):
    def forward(self, h, skip):
        h = self.up(h)
        h = F.concat((h, center_crop(skip, h.shape[2:])), axis=1)
        return F.relu(self.conv2(F.relu(self.conv1(h))))


class _UpCornerCrop(_UpStep):
    def forward(self, h, skip):
        h = self.up(h)
        h = F.concat((crop(skip, 0, h.shape[2:]), h), axis=1)
        return F.relu(self.conv2(F.relu(self.conv1(h))))


class _UpNoLastRelu(_UpStep):
    def forward(self, h, skip):
        h = self.up(h)
        h = F.concat((center_crop(skip, h.shape[2:]), h), axis=1)
        return self.conv2(F.relu(self.conv1(h)))


register(Exercise(
    name='UpStep',
    chapter='ch09',
    title="one level of U-Net's expanding path: up-convolution, crop, concatenate, two convs",
    reference=_UpStep,
    stub=UP_STEP_STUB,
    cases=[_up_case(8, 4, 1, (3, 3), (10, 10), 0),
           _up_case(6, 3, 1, (4, 5), (13, 12), 1),
           _up_case(4, 2, 2, (3, 4), (6, 8), 2),
           _up_case(2, 2, 1, (5, 4), (16, 16), 3)],
    probe=probes.network,
    compare=probes.compare_networks,
    properties=[Property('same output on CuPy', _up_on_gpu, gpu=True)],
    hint='up: L.Deconvolution2D(in_channels, out_channels, 2, stride=2); conv1/conv2: '
         'L.Convolution2D(..., 3) without pad; in forward crop the skip\'s centre to up(h)\'s '
         'size (chapter 09\'s crop_skip), F.concat((skip, up), axis=1), then the convolutions.',
    mistakes=[
        (_UpSkipLast, 'The paper concatenates the cropped skip first, then the upsampled '
                      'features: the order decides which weights of conv1 meet which maps.'),
        (_UpCornerCrop, 'Crop the centre of the skip, not its top-left corner.'),
        (_UpNoLastRelu, 'Each of the two convolutions is followed by a ReLU.'),
    ],
    timeout=10.0,
    forbidden=[unet.UNet, unet._ConvBlock],
))


# --------------------------------------------------------------------------- the weighted loss

WEIGHTED_CROSS_ENTROPY_STUB = '''
def weighted_cross_entropy(logits, labels, weight_map):
    """U-Net's weighted pixel cross-entropy, averaged over the labelled pixels.

    Args:
        logits: chainer.Variable, float32 (B, n_class, H, W).
        labels: int32 array (B, H, W), classes 0 .. n_class - 1, or -1 (ignore).
        weight_map: float32 array (B, H, W), the weight w_i of each pixel (chapter 08).

    Returns:
        chainer.Variable holding a float32 scalar: - sum_i w_i * log softmax(logits)_i[t_i] / N,
        the sum over the pixels i whose label t_i is not -1 and N their number (the loss is 0
        when every pixel is ignored). It must stay differentiable: backward() fills
        logits.grad.
    """
    raise NotImplementedError  # your code here
'''


def _loss_case(shape, seed, ignore=0.2, scale=3.0, label=None):
    rng = numpy.random.RandomState(seed)
    b, n_class, h, w = shape
    logits = (scale * rng.standard_normal(shape)).astype(numpy.float32)
    labels = rng.randint(0, n_class, size=(b, h, w)).astype(numpy.int32)
    labels[rng.rand(b, h, w) < ignore] = -1
    weights = rng.uniform(0.5, 5.0, size=(b, h, w)).astype(numpy.float32)
    return Case(logits, labels, weights, _label=label or 'weighted_cross_entropy(logits {}, '
                '{:.0%} of the pixels ignored)'.format(shape, ignore))


def _random_losses(rng):
    return [_loss_case(tuple(int(v) for v in (rng.randint(1, 3), rng.randint(2, 5),
                                               rng.randint(1, 6), rng.randint(1, 6))),
                       int(rng.randint(1000)), float(rng.choice([0.0, 0.3])))
            for _ in range(6)]


def _loss_on_gpu(fn):
    return probes.same_loss_on_gpu(fn, *_loss_case((1, 3, 4, 5), 7).args)


def _loss_by_weight_sum(logits, labels, weight_map):
    valid = labels != -1
    log_p = F.reshape(F.transpose(F.log_softmax(logits), (0, 2, 3, 1)), (-1, logits.shape[1]))
    weights = (weight_map * valid).ravel()
    loss = -F.sum(F.select_item(log_p, numpy.where(valid, labels, 0).ravel()) * weights)
    return loss / max(float(weights.sum()), 1e-12)


def _loss_over_all_pixels(logits, labels, weight_map):
    loss = losses.pixel_cross_entropy(logits, labels, weight_map=weight_map, normalize=False)
    return loss / float(labels.size)


def _loss_unweighted(logits, labels, weight_map):
    return F.softmax_cross_entropy(logits, labels, ignore_label=-1)


register(Exercise(
    name='weighted_cross_entropy',
    chapter='ch09',
    title="U-Net's weighted pixel cross-entropy with the ignore label",
    reference=lambda logits, labels, weight_map: losses.pixel_cross_entropy(
        logits, labels, weight_map=weight_map),
    stub=WEIGHTED_CROSS_ENTROPY_STUB,
    cases=[
        _loss_case((1, 2, 3, 4), 0, ignore=0.0, label='weighted_cross_entropy(logits (1, 2, 3, '
                                                      '4), no pixel ignored)'),
        _loss_case((1, 3, 4, 5), 1),
        _loss_case((2, 4, 3, 3), 2, ignore=0.5),
        Case(*_loss_case((1, 3, 2, 2), 3, ignore=1.1).args,
             _label='weighted_cross_entropy(every pixel ignored)',
             _hint='With no labelled pixel the loss is 0 (and so is its gradient), not 0/0.'),
        Case(*_loss_case((1, 3, 4, 4), 4, scale=400.0).args,
             _label='weighted_cross_entropy(logits of a few hundred)',
             _hint='log(softmax(x)) underflows to log(0) for large logits; F.log_softmax '
                   'does not.'),
    ],
    random_cases=_random_losses,
    probe=probes.loss,
    compare=probes.compare_losses,
    properties=[Property('same loss and gradient on CuPy', _loss_on_gpu, gpu=True)],
    hint='F.log_softmax over the class axis, pick each pixel\'s class (F.select_item after '
         'moving the classes last, or F.softmax_cross_entropy(..., reduce=\'no\', '
         'ignore_label=-1)), multiply by the weights, zero the ignored pixels, sum, divide by '
         'their number.',
    mistakes=[
        (_loss_by_weight_sum, 'Divide by the number of labelled pixels, not by the sum of the '
                              'weights (that would undo the weighting on average).'),
        (_loss_over_all_pixels, 'Ignored pixels do not count in N either.'),
        (_loss_unweighted, 'Multiply each pixel\'s loss by its weight from the weight map.'),
    ],
    timeout=10.0,
    forbidden=[losses.pixel_cross_entropy],
))
