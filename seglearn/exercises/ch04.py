"""Chapter 04 (The bilinear kernel): the 1-D weights, FCN's kernel, and bilinear upsampling by a
transposed convolution."""
import chainer.functions as F
import numpy

from seglearn import upsampling
from seglearn.exercises.core import Case, Exercise, Property, allclose, register
from seglearn.messages import gettext


# --------------------------------------------------------------------------- 1-D weights

WEIGHTS_STUB = '''
def bilinear_weights_1d(ksize):
    """The 1-D triangle of FCN's bilinear kernel.

    Args:
        ksize: kernel size k (>= 1). The triangle has half-width f = (k + 1) // 2 and is
            centred in the middle of the k taps.

    Returns:
        float32 array (k,): w[i] = 1 - |i - c| / f, c the centre.
    """
    raise NotImplementedError  # your code here
'''


def _sums_to_scale(fn):
    for s in range(1, 9):
        for k in (2 * s, 2 * s - 1):
            total = float(numpy.sum(fn(k)))
            if abs(total - s) > 1e-5:
                return gettext('k = {} (scale {}): the weights sum to {:.4g}, not {}').format(
                    k, s, total, s)
    return None


def _symmetric(fn):
    for k in range(1, 12):
        w = numpy.asarray(fn(k), dtype=numpy.float64)
        if not numpy.allclose(w, w[::-1], atol=1e-6):
            return gettext('k = {}: the weights {} are not symmetric').format(k, numpy.round(w, 3))
    return None


def _weights_centre_k_half(k):
    f = (k + 1) // 2
    return (1 - numpy.abs(numpy.arange(k) - k / 2) / f).astype(numpy.float32)


def _weights_half_width_k_half(k):
    return (1 - numpy.abs(numpy.arange(k) - (k - 1) / 2) / (k / 2)).astype(numpy.float32)


register(Exercise(
    name='bilinear_weights_1d',
    chapter='ch04',
    title='1-D bilinear (triangle) weights',
    reference=lambda ksize: upsampling.bilinear_weights_1d(ksize),
    stub=WEIGHTS_STUB,
    forbidden=[upsampling.bilinear_weights_1d, upsampling.bilinear_kernel],
    cases=[Case(4, _hint='For k = 4 the weights are symmetric around the gap between taps 1 '
                         'and 2.'),
           (2,), (3,), (1,), (16,), (64,)],
    random_cases=lambda rng: [(int(k),) for k in rng.randint(1, 40, size=10)],
    compare=allclose(rtol=1e-5, atol=1e-6),
    properties=[Property('symmetric', _symmetric),
                Property('k = 2s and k = 2s − 1 both sum to s', _sums_to_scale)],
    hint='Taps are 0..k−1, so the middle is at (k − 1)/2 whether k is odd or even; the weight '
         'falls by 1/f per tap away from it.',
    mistakes=[
        (_weights_centre_k_half, 'The centre is not k/2: the taps run from 0 to k − 1.'),
        (_weights_half_width_k_half, 'The half-width is f = (k + 1)//2, not k/2 (they differ '
                                     'for odd k).'),
    ],
))


# --------------------------------------------------------------------------- 4-D kernel

KERNEL_STUB = '''
def bilinear_kernel(in_channels, out_channels, ksize):
    """FCN's bilinear upsampling weights for F.deconvolution_2d.

    Args:
        in_channels, out_channels: channel counts (equal).
        ksize: kernel size k.

    Returns:
        float32 array (in_channels, out_channels, k, k): channel c -> c holds the outer
        product of the 1-D triangle with itself; every c -> d with c != d is zero.
    """
    raise NotImplementedError  # your code here
'''


def _kernel_sums(fn):
    for s in (1, 2, 3, 4, 8):
        kernel = numpy.asarray(fn(2, 2, 2 * s), dtype=numpy.float64)
        for c in range(2):
            if abs(kernel[c, c].sum() - s * s) > 1e-4:
                return gettext('k = {}: kernel[{c}, {c}] sums to {:.4g}, not s² = {}').format(
                    2 * s, kernel[c, c].sum(), s * s, c=c)
    return None


def _kernel_full(c_in, c_out, k):
    w = upsampling.bilinear_weights_1d(k)
    return numpy.broadcast_to(numpy.outer(w, w), (c_in, c_out, k, k)).astype(numpy.float32)


def _kernel_wrong_centre(c_in, c_out, k):
    w = _weights_centre_k_half(k)
    out = numpy.zeros((c_in, c_out, k, k), numpy.float32)
    for c in range(c_in):
        out[c, c] = numpy.outer(w, w)
    return out


def _kernel_normalised(c_in, c_out, k):
    out = upsampling.bilinear_kernel(c_in, c_out, k)
    return out / out[0, 0].sum()


register(Exercise(
    name='bilinear_kernel',
    chapter='ch04',
    title="FCN's bilinear kernel on the channel diagonal",
    reference=lambda in_channels, out_channels, ksize: upsampling.bilinear_kernel(
        in_channels, out_channels, ksize),
    stub=KERNEL_STUB,
    forbidden=[upsampling.bilinear_kernel],
    cases=[(1, 1, 4), Case(3, 3, 4, _hint='Channels must not mix: only W[c, c] is non-zero.'),
           (2, 2, 3), (1, 1, 64), (21, 21, 4)],
    random_cases=lambda rng: [(int(c), int(c), int(k)) for c, k in
                              zip(rng.randint(1, 5, size=6), rng.randint(1, 17, size=6))],
    compare=allclose(rtol=1e-5, atol=1e-6),
    properties=[Property('W[c, c] sums to s² for k = 2s', _kernel_sums)],
    hint='Build the 1-D triangle, take its outer product with itself, and write it into '
         'W[c, c] for every channel c of a zero array.',
    mistakes=[
        (_kernel_full, 'Every (c, d) pair got the kernel, so all channels are mixed together.'),
        (_kernel_wrong_centre, 'The centre of the triangle is (k − 1)/2, not k/2.'),
        (_kernel_normalised, 'Do not normalise the kernel to sum 1: it sums to s², and the '
                             'weights that reach any one output pixel then sum to 1.'),
    ],
))


# --------------------------------------------------------------------------- upsampling

UPSAMPLE_STUB = '''
def bilinear_upsample(x, scale):
    """Upsample a single-channel image x scale, as FCN does: F.deconvolution_2d with the
    bilinear kernel (no bias), so that the output is exactly scale times larger.

    Args:
        x: float32 array (H, W).
        scale: int >= 1.

    Returns:
        float32 array (scale * H, scale * W).
    """
    raise NotImplementedError  # your code here
'''


def _upsample_reference(x, scale):
    return upsampling.upsample_bilinear(x[None, None], scale).array[0, 0]


def _ramp_interior(fn):
    """A ramp stays a ramp: in the interior the output equals the input's line at the output
    pixel centres, x_in = (x_out − (s − 1)/2)/s."""
    for s in (2, 3, 4):
        ramp = numpy.tile(numpy.arange(8, dtype=numpy.float32), (6, 1))
        out = numpy.asarray(fn(ramp, s), dtype=numpy.float64)
        xs = (numpy.arange(8 * s) - (s - 1) / 2) / s
        inside = (xs >= 0) & (xs <= 7)
        rows = slice(s, 5 * s)
        want = numpy.broadcast_to(xs[inside], (4 * s, int(inside.sum())))
        if not numpy.allclose(out[rows][:, inside], want, atol=1e-4):
            return gettext('scale {}: the interior of an upsampled ramp is not the ramp').format(s)
    return None


def _random_images(rng):
    return [(rng.rand(int(h), int(w)).astype(numpy.float32) * 255, int(s))
            for h, w, s in zip(rng.randint(1, 7, 6), rng.randint(1, 7, 6), rng.randint(1, 5, 6))]


def _upsample_nearest(x, scale):
    return numpy.kron(x, numpy.ones((scale, scale), numpy.float32))


def _upsample_no_pad(x, scale):
    k = 2 * scale
    w = upsampling.bilinear_kernel(1, 1, k)
    return F.deconvolution_2d(x[None, None], w, stride=scale, pad=0).array[0, 0]


def _upsample_wrong_centre(x, scale):
    k, s, p = 2 * scale - scale % 2, scale, scale // 2
    w = _kernel_wrong_centre(1, 1, k)
    return F.deconvolution_2d(x[None, None], w, stride=s, pad=p).array[0, 0]


register(Exercise(
    name='bilinear_upsample',
    chapter='ch04',
    title='bilinear upsampling by a transposed convolution',
    reference=_upsample_reference,
    stub=UPSAMPLE_STUB,
    forbidden=[upsampling.upsample_bilinear, F.resize_images],
    cases=[
        Case(numpy.arange(16, dtype=numpy.float32).reshape(4, 4), 2,
             _label='bilinear_upsample(4×4 ramp 0..15, 2)'),
        Case(numpy.ones((3, 5), numpy.float32), 2,
             _label='bilinear_upsample(ones 3×5, 2)', _hint='Height and width may differ.'),
        Case(numpy.eye(4, dtype=numpy.float32), 3, _label='bilinear_upsample(eye(4), 3)',
             _hint='Odd scales need an odd kernel: k = 2s − 1, p = (s − 1)/2.'),
        Case(numpy.arange(4, dtype=numpy.float32).reshape(2, 2), 1,
             _label='bilinear_upsample(2×2, 1)'),
    ],
    random_cases=_random_images,
    compare=allclose(rtol=1e-4, atol=1e-3),
    properties=[Property('a ramp stays a ramp away from the border', _ramp_interior)],
    hint='Take (k, s, p) that scale exactly ×s (chapter 3) and the kernel from the previous '
         'exercise with one channel; the image needs a batch and a channel axis.',
    mistakes=[
        (_upsample_nearest, 'Repeating pixels is nearest-neighbour upsampling, not bilinear.'),
        (_upsample_no_pad, 'With pad = 0 the output is s·n + s: crop s/2 per side (pad).'),
        (_upsample_wrong_centre, 'The kernel\'s centre is off: the result shifts by half a '
                                 'pixel.'),
    ],
))
