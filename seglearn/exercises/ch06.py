"""Chapter 06 (FCN-32s): the smallest first padding that keeps FCN-32s aligned without pad=100,
and FCN-32s's head (score layer, fixed bilinear ×32 upsampling, crop) built as a Chain."""
import chainer
import chainer.links as L
import numpy

from seglearn import arithmetic
from seglearn.arithmetic import Conv, Deconv
from seglearn.exercises import probes
from seglearn.exercises.core import Case, Exercise, Property, register
from seglearn.models import fcn
from seglearn.models.common import BilinearUpsampling2D, crop
from seglearn.upsampling import bilinear_kernel
from seglearn.messages import gettext


# --------------------------------------------------------------------------- first padding

def _trunk(first_pad, fc6_ksize, up_ksize):
    """FCN-32s's layers with conv1_1 padded by ``first_pad`` and the given fc6 and upscore."""
    layers = list(fcn.FCN_VGG16_LAYERS['pool5'])
    layers[0] = Conv(3, 1, first_pad)
    return layers + [Conv(fc6_ksize), Conv(1), Conv(1), Deconv(up_ksize, 32)]


def _fits_every_size(stack, crop_offset, min_size):
    # sizes repeat their pattern every 32 pixels (five ceil-mode pools): two periods suffice
    for size in range(min_size, min_size + 64):
        try:
            n = arithmetic.stack_output_size(stack, size, cover_all=True)
        except ValueError:
            return False
        if n < crop_offset + size:
            return False
    return True


def _smallest_first_pad_reference(min_size, fc6_ksize=7, up_ksize=64):
    # conv1_1's padding P moves the whole map: x_in = x + b(0) − P (a = 1 from input to output)
    _, b0 = arithmetic.coordinate_map(_trunk(0, fc6_ksize, up_ksize))
    if b0.denominator != 1:
        raise ValueError('no conv1_1 padding aligns FCN-32s with upscore k={}: the map is off '
                         'by half a pixel'.format(up_ksize))
    pad = max(0, int(b0))                      # the smallest P with a crop c = P − b(0) >= 0
    while not _fits_every_size(_trunk(pad, fc6_ksize, up_ksize), pad - int(b0), min_size):
        pad += 1
    return pad


SMALLEST_FIRST_PAD_STUB = '''
def smallest_first_pad(min_size, fc6_ksize=7, up_ksize=64):
    """The smallest padding of conv1_1 with which FCN-32s, without pad=100, can still be cropped
    to sit exactly on its input, for every input size >= min_size.

    The network of chapter 05 with conv1_1 3x3 padded by P (the other 3x3 convs pad 1), five
    2x2 max-poolings stride 2 in ceil mode, fc6 fc6_ksize x fc6_ksize without padding, fc7 and
    score 1x1, upscore a transposed conv with kernel up_ksize, stride 32, no padding; then a
    crop of c >= 0 pixels (an int). For every input size >= min_size the network must produce
    scores, and the upsampled scores must hold the c + size pixels the crop takes.

    Returns:
        int: the smallest such P.

    Raises:
        ValueError: when no padding gives an integer crop.
    """
    raise NotImplementedError  # your code here
'''


def _rejects_odd_kernels(fn):
    for up_ksize in (63, 33):
        try:
            got = fn(1, 7, up_ksize)
        except ValueError:
            continue
        return (gettext('with up_ksize={} the upsampled scores sit half a pixel off the input for '
                        'every padding, but you returned {!r} instead of raising '
                        'ValueError').format(up_ksize,
                                                                                    got))
    return None


def _align_only(min_size, fc6_ksize=7, up_ksize=64):
    return 16 * fc6_ksize + 1 - up_ksize // 2


def _scores_exist_only(min_size, fc6_ksize=7, up_ksize=64):
    return max(0, (32 * (fc6_ksize - 1) + 2 - min_size) // 2 + 1)


def _reference_padding(min_size, fc6_ksize=7, up_ksize=64):
    return 100


def _random_first_pads(rng):
    return [(int(rng.randint(1, 400)), int(rng.choice([1, 3, 5, 7, 9])),
             int(rng.choice([32, 48, 64, 96, 128]))) for _ in range(15)]


register(Exercise(
    name='smallest_first_pad',
    chapter='ch06',
    title='the smallest conv1_1 padding that keeps FCN-32s aligned',
    reference=_smallest_first_pad_reference,
    stub=SMALLEST_FIRST_PAD_STUB,
    cases=[
        Case(224, _hint='Push the map x_in = a·x + b through the stack as chapter 05 does, with '
                        'conv1_1\'s pad left as P: which P makes b a whole number <= 0?'),
        Case(1, _hint='An input of 1 pixel must still leave fc6 a 7×7 window of pool5.'),
        (33,), (500,), (1, 5), (1, 3, 64),
        Case(1, 7, 96, _hint='A wider upsampling kernel moves the map by half of it.'),
        (300, 9, 32),
    ],
    random_cases=_random_first_pads,
    properties=[Property('an odd upsampling kernel raises ValueError (half a pixel off)',
                         _rejects_odd_kernels)],
    hint='Two conditions: the crop c = −b of the map x_in = x + b must be a whole number >= 0 '
         '(alignment), and the smallest input must give fc6 at least fc6_ksize pixels of pool5 '
         '(scores exist). The answer is the smallest P that meets both.',
    mistakes=[
        (_align_only, 'That P aligns the scores, but small inputs then leave fc6 no room: the '
                      'scores must exist for min_size too.'),
        (_scores_exist_only, 'Scores exist, but the crop c must be >= 0: the upsampled scores '
                             'still start to the right of the input.'),
        (_reference_padding, '100 works but is not the smallest (that is the point of the '
                             'exercise: pad=100 costs memory, chapter 06 §2).'),
    ],
))


# --------------------------------------------------------------------------- the head as a Chain

class _Head(chainer.Chain):
    """FCN-32s after fc7, as the reference builds it."""

    def __init__(self, in_channels, n_class):
        super().__init__()
        zero = chainer.initializers.Zero()
        with self.init_scope():
            self.score = L.Convolution2D(in_channels, n_class, 1, initialW=zero,
                                         initial_bias=zero)
            self.upscore = BilinearUpsampling2D(n_class, 64, 32)

    def forward(self, h, size):
        return crop(self.upscore(self.score(h)), fcn.fcn_crop_offsets('fcn32s')[0], size)


FCN32S_HEAD_STUB = '''
class FCN32sHead(chainer.Chain):
    """FCN-32s after fc7: class scores, the fixed bilinear x32 upsampling, the crop.

    Args:
        in_channels: channels of fc7's output (4096 in the paper).
        n_class: number of classes.

    Children (with these names: the check gives both networks the same weights by name):
        score: 1x1 convolution in_channels -> n_class with a bias, weights and bias zero.
        upscore: transposed convolution n_class -> n_class, kernel 64, stride 32, no padding,
            no bias, FCN's bilinear kernel, and NOT trained: it holds no parameter
            (seglearn.models.BilinearUpsampling2D, or a kernel kept with add_persistent).

    forward(h, size):
        h: float32 (B, in_channels, h', w'), fc7's output for an image of size (H, W).
        size: (H, W).
        Returns float32 (B, n_class, H, W): the upsampled scores cropped at offset 19.
    """

    def __init__(self, in_channels, n_class):
        super().__init__()
        raise NotImplementedError  # your code here

    def forward(self, h, size):
        raise NotImplementedError  # your code here
'''


def _coarse(size):
    return -(-(size + 198) // 32) - 6


def _head_case(in_channels, n_class, batch, size, seed):
    h = numpy.random.RandomState(seed).standard_normal(
        (batch, in_channels, _coarse(size[0]), _coarse(size[1]))).astype(numpy.float32)
    return Case((in_channels, n_class), (h, size),
                _label='FCN32sHead({}, {}) on fc7 features {} for a {}×{} image'.format(
                    in_channels, n_class, h.shape, *size))


def _starts_at_zero(fn):
    obs = fn.probe(probes.network, *_head_case(6, 3, 1, (40, 56), 5).args, fresh=True)
    if 'error' in obs:
        return obs['error']
    if numpy.abs(obs['output']).max() != 0:
        return gettext('a freshly built head gives scores up to {:.3g}: score starts at '
                       'zero').format(
            float(numpy.abs(obs['output']).max()))
    return None


def _on_gpu(fn):
    return probes.same_network_on_gpu(fn, *_head_case(6, 3, 1, (64, 48), 6).args)


class _HeadNoCrop(_Head):
    def forward(self, h, size):
        return crop(self.upscore(self.score(h)), 0, size)


class _HeadLearnedUpsampling(_Head):
    def __init__(self, in_channels, n_class):
        super().__init__(in_channels, n_class)
        del self.upscore
        with self.init_scope():
            self.upscore = L.Deconvolution2D(n_class, n_class, 64, 32, nobias=True,
                                             initialW=bilinear_kernel(n_class, n_class, 64))


class _HeadNearest(_Head):
    def __init__(self, in_channels, n_class):
        super().__init__(in_channels, n_class)
        del self.upscore

    def forward(self, h, size):
        scores = self.score(h)
        up = chainer.functions.unpooling_2d(scores, 32, 32, cover_all=False)
        return crop(up, 0, size)


register(Exercise(
    name='FCN32sHead',
    chapter='ch06',
    title="FCN-32s's head: score layer, fixed ×32 bilinear upsampling, crop 19",
    reference=_Head,
    stub=FCN32S_HEAD_STUB,
    cases=[_head_case(8, 3, 1, (64, 64), 0), _head_case(8, 3, 2, (100, 120), 1),
           _head_case(5, 2, 1, (1, 1), 2), _head_case(4, 4, 1, (224, 160), 3)],
    probe=probes.network,
    compare=probes.compare_networks,
    properties=[Property('a new head scores every pixel 0 (score starts at zero)',
                         _starts_at_zero),
                Property('same output on CuPy', _on_gpu, gpu=True)],
    hint='score: L.Convolution2D(in_channels, n_class, 1) with Zero initialisers; upscore: '
         'seglearn.models.BilinearUpsampling2D(n_class, 64, 32); forward: score, upscore, then '
         'keep [19, 19 + H) × [19, 19 + W).',
    mistakes=[
        (_HeadNoCrop, 'The upsampled scores start 19 pixels before the image: crop from 19, not '
                      'from 0.'),
        (_HeadLearnedUpsampling, 'A Deconvolution2D registers its kernel as a parameter, which '
                                 'the optimizer would change; FCN keeps the bilinear kernel '
                                 'fixed.'),
        (_HeadNearest, 'Repeating each score over a 32×32 block is nearest-neighbour '
                       'upsampling, not bilinear.'),
    ],
    timeout=20.0,
    forbidden=[fcn.FCN32s, fcn._FCN],
))
