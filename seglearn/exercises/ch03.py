"""Chapter 03 (Transposed convolution): which sizes survive a convolution and its transpose,
(k, s, p) for a ×s bilinear upsampling, and a transposed convolution written by hand."""
import chainer.functions as F
import numpy

from seglearn import arithmetic, functions, upsampling
from seglearn.exercises.core import (Case, Exercise, Property, allclose, expect_int,
                                     expect_sequence, register)
from seglearn.messages import gettext

# --------------------------------------------------------------------------- round trip

ROUND_TRIP_STUB = '''
def round_trip_sizes(ksize, stride, pad, max_size):
    """The input sizes that a convolution followed by the transposed convolution with the same
    (ksize, stride, pad) gives back exactly.

    The convolution runs in floor mode (F.convolution_2d) and must produce at least one pixel;
    the transposed convolution (F.deconvolution_2d, without outsize=) then returns the size it
    returns.

    Args:
        ksize, stride, pad: k >= 1, s >= 1, p >= 0, the same for both layers.
        max_size: the largest input size to consider.

    Returns:
        list of int: every n in 1..max_size that comes back as n, in increasing order.
    """
    raise NotImplementedError  # your code here
'''


def _round_trip_reference(ksize, stride, pad, max_size):
    return [n for n in range(1, max_size + 1)
            if n + 2 * pad >= ksize and (n + 2 * pad - ksize) % stride == 0]


def _random_round_trips(rng):
    cases = []
    for _ in range(20):
        k, s = int(rng.randint(1, 9)), int(rng.randint(1, 6))
        cases.append((k, s, int(rng.randint(0, (k + 1) // 2)), int(rng.randint(1, 60))))
    return cases


def _chainer_agrees(fn):
    """Every size the answer returns survives F.convolution_2d then F.deconvolution_2d."""
    for k, s, p in [(3, 2, 1), (4, 2, 1), (7, 3, 0)]:
        w = numpy.ones((1, 1, 1, k), numpy.float32)
        for n in fn(k, s, p, 24):
            x = numpy.zeros((1, 1, 1, n), numpy.float32)
            y = F.convolution_2d(x, w, stride=(1, s), pad=(0, p))
            back = F.deconvolution_2d(y, w, stride=(1, s), pad=(0, p)).shape[3]
            if back != n:
                return (gettext('k={}, s={}, p={}: Chainer maps {} to {} and back to {}, not '
                                '{}').format(
                    k, s, p, n, y.shape[3], back, n))
    return None


register(Exercise(
    name='round_trip_sizes',
    chapter='ch03',
    title='input sizes a convolution and its transpose give back',
    reference=_round_trip_reference,
    stub=ROUND_TRIP_STUB,
    cases=[
        Case(3, 1, 1, 8, _hint='Stride 1 loses nothing: every size comes back.'),
        Case(4, 2, 1, 12, _hint='The floor in the convolution\'s size drops a remainder of '
                                '(n + 2p − k) mod s pixels, and the transpose cannot know it.'),
        (3, 2, 1, 12),
        Case(64, 32, 16, 200, _label='round_trip_sizes(64, 32, 16, 200)  (FCN-32s\'s '
                                     'upsampling, read as a convolution)'),
        Case(7, 1, 0, 10, _hint='The convolution needs at least k − 2p pixels to produce one.'),
        Case(3, 2, 0, 2, _hint='No size up to 2 gives the 3×3 kernel room: the answer is [].'),
    ],
    random_cases=_random_round_trips,
    properties=[Property('Chainer agrees: F.convolution_2d then F.deconvolution_2d give each '
                         'size back', _chainer_agrees)],
    hint='Section 4: a convolution maps s different sizes to the same o, and the transposed '
         'convolution returns the smallest of them, s(o − 1) + k − 2p. Which n is that?',
    mistakes=[
        (lambda k, s, p, m: [n for n in range(1, m + 1) if n + 2 * p >= k],
         'The floor drops a remainder: only sizes with (n + 2p − k) divisible by s come back.'),
        (lambda k, s, p, m: [n for n in range(1, m + 1) if n % s == 0],
         'The condition is on n + 2p − k, not on n: the padding and the kernel shift it.'),
        (lambda k, s, p, m: [n for n in range(1, m + 1) if (n + 2 * p - k) % s == 0],
         'The convolution needs at least k − 2p input pixels to produce one output pixel.'),
    ],
    forbidden=[arithmetic.conv_output_size, arithmetic.deconv_output_size,
               arithmetic.solve_deconv, arithmetic.stack_output_size],
))


# --------------------------------------------------------------------------- upsampling params

PARAMS_STUB = '''
def deconv_params_for_scale(scale):
    """(ksize, stride, pad) of a transposed convolution with FCN's bilinear kernel (chapter 04)
    that upsamples the way section 6 asks:

    1. every input size n becomes exactly scale * n;
    2. constant in, constant out: the kernel's phases (its taps s apart) have equal sums;
    3. interpolation: for scale > 1 the stamps of neighbouring inputs overlap (k > s), and the
       kernel is no wider than the triangle of linear interpolation, 2 * scale taps.

    Args:
        scale: the upsampling factor (int >= 1).

    Returns:
        tuple of three ints (ksize, stride, pad).
    """
    raise NotImplementedError  # your code here
'''


def _check_params(expected, actual, scale):
    msg = expect_sequence(actual, 3)
    if msg:
        return msg + ' (ksize, stride, pad)'
    for name, value in zip(('ksize', 'stride', 'pad'), actual):
        msg = expect_int(value)
        if msg:
            return '{}: {}'.format(name, msg)
    k, s, p = (int(v) for v in actual)
    if k < 1 or s < 1 or p < 0:
        return gettext('ksize and stride must be >= 1 and pad >= 0; got {}').format((k, s, p))
    for n in range(1, 40):
        out = s * (n - 1) + k - 2 * p
        if out != scale * n:
            return gettext('1. n = {} gives s(n−1)+k−2p = {}, not {}·{} = {}').format(
                n, out, scale, n, scale * n)
    weights = upsampling.bilinear_weights_1d(k).astype(numpy.float64)
    phases = [float(weights[r::s].sum()) for r in range(s)]
    if max(phases) - min(phases) > 1e-6:
        return (gettext('2. the bilinear kernel of {} taps has phase sums {} at stride {}: a '
                        'constant input comes out '
                        'striped').format(k, [round(v, 3) for v in phases], s))
    if scale > 1 and k <= s:
        return (gettext('3. ksize {} <= stride {}: the stamps do not overlap (nearest-neighbour '
                        'blocks, no interpolation)').format(k, s))
    if k > 2 * scale:
        return (gettext('3. ksize {} > 2·scale = {}: wider than the triangle of linear '
                        'interpolation (the output is blurred)').format(k, 2 * scale))
    return None


register(Exercise(
    name='deconv_params_for_scale',
    chapter='ch03',
    title='(k, s, p) of a bilinear ×scale upsampling',
    reference=lambda scale: arithmetic.deconv_params_for_scale(scale),
    stub=PARAMS_STUB,
    cases=[
        Case(2, _hint='Solve s(n−1) + k − 2p = scale·n for every n: what must s be, and then '
                      'k − 2p?'),
        (32,), (8,),
        Case(3, _hint='An odd scale: the triangle\'s two end taps are zero, so the kernel '
                      'holds 2s − 1 of them.'),
        (1,),
    ],
    random_cases=lambda rng: [(int(v),) for v in rng.randint(1, 65, size=10)],
    compare=_check_params,
    compare_inputs=True,
    hint='The output must grow by exactly `scale` per extra input pixel (the stride), what is '
         'left, k − 2p, must equal the scale too, and the kernel is the interpolation triangle '
         'over two input spacings. Check the phase sums of your kernel.',
    mistakes=[
        (lambda scale: (scale, scale, 0), 'k = s, p = 0 has the right size, but the stamps do '
                                          'not overlap: no interpolation between inputs.'),
        (lambda scale: (2 * scale, scale, 0), 'With p = 0 the output is s·n + s: too big.'),
        (lambda scale: (2 * scale, scale, scale // 2 + 1), 'Check k − 2p = s: the pad is off '
                                                           'by one.'),
    ],
    forbidden=[arithmetic.deconv_params_for_scale, arithmetic.solve_deconv],
))


# --------------------------------------------------------------------------- naive deconvolution

NAIVE_STUB = '''
def transposed_conv(x, W, stride, pad):
    """A transposed convolution written by hand (loops or zero insertion are fine).

    Args:
        x: float32 array (C_in, H, W), one image.
        W: float32 array (C_in, C_out, k, k), Chainer's deconvolution_2d weight layout.
        stride: s (same for both axes).
        pad: p (same for both axes).

    Returns:
        float32 array (C_out, s(H-1)+k-2p, s(W-1)+k-2p), equal to
        F.deconvolution_2d(x[None], W, stride=stride, pad=pad).array[0].
    """
    raise NotImplementedError  # your code here
'''


def _deconv_reference(x, W, stride, pad):
    return F.deconvolution_2d(x[None], W, stride=stride, pad=pad).array[0]


def _random_deconv_inputs(rng, count=8):
    cases = []
    while len(cases) < count:
        c_in, c_out = int(rng.randint(1, 4)), int(rng.randint(1, 4))
        h, w = int(rng.randint(1, 6)), int(rng.randint(1, 6))
        k, s = int(rng.randint(1, 5)), int(rng.randint(1, 4))
        p = int(rng.randint(0, 3))
        if min(s * (h - 1), s * (w - 1)) + k - 2 * p < 1:
            continue
        x = rng.randn(c_in, h, w).astype(numpy.float32)
        W = rng.randn(c_in, c_out, k, k).astype(numpy.float32)
        cases.append(Case(x, W, s, p, _label='transposed_conv(x {}, W {}, stride={}, pad={})'
                          .format(x.shape, W.shape, s, p)))
    return cases


def _fixed_deconv_cases():
    rng = numpy.random.RandomState(3)
    x1 = numpy.array([[[1., 2.], [3., 4.]]], numpy.float32)
    w1 = numpy.arange(9, dtype=numpy.float32).reshape(1, 1, 3, 3)
    x2 = rng.randn(2, 3, 4).astype(numpy.float32)
    w2 = rng.randn(2, 3, 4, 4).astype(numpy.float32)
    return [
        Case(x1, numpy.ones((1, 1, 2, 2), numpy.float32), 2, 0,
             _label='transposed_conv(2×2 image, 2×2 ones, stride=2, pad=0): each pixel → a 2×2 '
                    'block'),
        Case(x1, w1, 1, 0, _label='transposed_conv(2×2 image, 3×3 kernel 0..8, stride=1, pad=0)',
             _hint='Each input pixel adds x·W (not flipped) at its stamp position.'),
        Case(x1, w1, 2, 1, _label='transposed_conv(2×2 image, 3×3 kernel 0..8, stride=2, pad=1)',
             _hint='Compute the full s(n−1)+k output, then cut p from each side.'),
        Case(x2, w2, 2, 1, _label='transposed_conv(x (2, 3, 4), W (2, 3, 4, 4), stride=2, pad=1)',
             _hint='Output channel o sums the stamps of every input channel c with W[c, o].'),
    ]


def _naive_reference_loops(x, W, stride, pad):
    c_in, h, w = x.shape
    k = W.shape[2]
    full = numpy.zeros((W.shape[1], stride * (h - 1) + k, stride * (w - 1) + k), numpy.float32)
    for i in range(h):
        for j in range(w):
            full[:, i * stride:i * stride + k, j * stride:j * stride + k] += numpy.einsum(
                'c,cokl->okl', x[:, i, j], W)
    return full, pad


def _crop(full, pad):
    return full[:, pad:full.shape[1] - pad, pad:full.shape[2] - pad]


def _wrong_flipped(x, W, stride, pad):
    return _crop(_naive_reference_loops(x, W[:, :, ::-1, ::-1], stride, pad)[0], pad)


def _wrong_one_sided(x, W, stride, pad):
    full, _ = _naive_reference_loops(x, W, stride, pad)
    return full[:, 2 * pad:, 2 * pad:]


def _wrong_no_crop(x, W, stride, pad):
    return _naive_reference_loops(x, W, stride, pad)[0]


register(Exercise(
    name='transposed_conv',
    chapter='ch03',
    title='transposed convolution by hand, equal to F.deconvolution_2d',
    reference=_deconv_reference,
    stub=NAIVE_STUB,
    cases=_fixed_deconv_cases(),
    random_cases=_random_deconv_inputs,
    compare=allclose(rtol=1e-4, atol=1e-4),
    timeout=10.0,
    forbidden=[F.deconvolution_2d, functions.deconvolution_2d],
    hint='Start from zeros of size s(n−1)+k per axis; input pixel (i, j) adds x[:, i, j]·W '
         '(summed over input channels) into the window at (i·s, j·s); finally crop p per side.',
    mistakes=[
        (_wrong_flipped, 'The kernel is stamped as it is; flipping belongs to the zero-insertion '
                         'view (a convolution with the flipped kernel).'),
        (_wrong_one_sided, 'Crop p pixels from each side, not 2p from one side.'),
        (_wrong_no_crop, 'The output is s(n−1)+k−2p: crop p from each side.'),
    ],
))
