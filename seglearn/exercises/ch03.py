"""Chapter 03 (Transposed convolution): output sizes, (k, s, p) for a ×s upsampling, and a
transposed convolution written by hand."""
import chainer.functions as F
import numpy

from seglearn import arithmetic
from seglearn.exercises.core import Case, Exercise, Property, allclose, is_int, register


# --------------------------------------------------------------------------- conv_output_size

CONV_STUB = '''
def conv_output_size(size, ksize, stride=1, pad=0):
    """Output size of a convolution along one axis (windows that do not fit are dropped).

    Args:
        size: input size n.
        ksize: kernel size k.
        stride: stride s.
        pad: zeros added on each side, p.

    Returns:
        int
    """
    raise NotImplementedError  # your code here
'''


def _conv_reference(size, ksize, stride=1, pad=0):
    return arithmetic.conv_output_size(size, ksize, stride, pad)


def _random_conv(rng):
    cases = []
    while len(cases) < 20:
        n, k, s, p = (int(rng.randint(1, 40)), int(rng.randint(1, 8)), int(rng.randint(1, 5)),
                      int(rng.randint(0, 4)))
        if n + 2 * p >= k:
            cases.append((n, k, s, p))
    return cases


register(Exercise(
    name='conv_output_size',
    chapter='ch03',
    title='output size of a convolution',
    reference=_conv_reference,
    stub=CONV_STUB,
    cases=[
        (5, 3), (5, 3, 1, 1),
        Case(224, 3, stride=2, pad=1, _hint='Only windows that fit completely count: round down.'),
        Case(7, 2, 2, _hint='Only windows that fit completely count: round down.'),
        (500, 3, 1, 100),
    ],
    random_cases=_random_conv,
    hint='Pad first (n + 2p pixels); the first window starts at 0, the last start must be at '
         'most n + 2p − k, and starts are s apart.',
    mistakes=[
        (lambda n, k, s=1, p=0: (n + 2 * p - k) // s, 'Count the first window too (+1).'),
        (lambda n, k, s=1, p=0: -(-(n + 2 * p - k) // s) + 1,
         'That is ceil mode (cover_all): a partial last window is kept.'),
        (lambda n, k, s=1, p=0: (n + p - k) // s + 1, 'The padding is added on both sides.'),
    ],
))


# --------------------------------------------------------------------------- deconv_output_size

DECONV_STUB = '''
def deconv_output_size(size, ksize, stride=1, pad=0):
    """Output size of a transposed convolution (Chainer's deconvolution_2d) along one axis.

    Args:
        size: input size n.
        ksize: kernel size k.
        stride: stride s.
        pad: p, the padding of the convolution this one transposes.

    Returns:
        int
    """
    raise NotImplementedError  # your code here
'''


def _random_deconv(rng):
    cases = []
    while len(cases) < 20:
        n, k, s = int(rng.randint(1, 30)), int(rng.randint(1, 9)), int(rng.randint(1, 6))
        p = int(rng.randint(0, 4))
        if s * (n - 1) + k - 2 * p >= 1:
            cases.append((n, k, s, p))
    return cases


def _round_trip(fn):
    """conv_output_size(deconv_output_size(n)) == n for the same k, s, p."""
    for n, k, s, p in [(7, 64, 32, 16), (5, 4, 2, 1), (3, 3, 2, 0), (10, 16, 8, 4), (4, 5, 3, 2)]:
        out = fn(n, k, s, p)
        if not is_int(out):
            return 'expected an int, got {!r}'.format(out)
        if out < k - 2 * p or arithmetic.conv_output_size(out, k, s, p) != n:
            return ('a convolution with the same (k, s, p) = {} does not map your output size {} '
                    'back to n = {}'.format((k, s, p), out, n))
    return None


register(Exercise(
    name='deconv_output_size',
    chapter='ch03',
    title='output size of a transposed convolution',
    reference=arithmetic.deconv_output_size,
    stub=DECONV_STUB,
    cases=[
        (3, 3), (2, 4, 2, 1),
        Case(7, 64, 32, 16, _hint='FCN-32s-style: 7 coarse pixels, k=64, s=32, p=16.'),
        Case(11, 64, 32, 0, _hint='n inputs leave n − 1 gaps of s pixels between stamps.'),
        (1, 5, 3, 2),
    ],
    random_cases=_random_deconv,
    properties=[Property('a convolution with the same (k, s, p) maps the size back to n',
                         _round_trip)],
    hint='Stamp a k-wide kernel at each of the n inputs, stamps s apart, then cut p from each '
         'end. How far apart are the first and last stamps?',
    mistakes=[
        (lambda n, k, s=1, p=0: s * n + k - 2 * p, 'n stamps leave n − 1 gaps, not n.'),
        (lambda n, k, s=1, p=0: s * (n - 1) + k - p, 'p is cut from both ends.'),
        (lambda n, k, s=1, p=0: s * (n - 1) + k + 2 * p,
         'In a transposed convolution p removes pixels (it undoes the conv\'s padding).'),
    ],
))


# --------------------------------------------------------------------------- upsampling params

PARAMS_STUB = '''
def deconv_params_for_scale(scale):
    """(ksize, stride, pad) of a transposed convolution that maps EVERY input size n to
    exactly scale * n, with a kernel at least 2 * scale - 1 wide (so neighbouring stamps
    overlap, as interpolation needs).

    Args:
        scale: the upsampling factor (int >= 1).

    Returns:
        tuple of three ints (ksize, stride, pad).
    """
    raise NotImplementedError  # your code here
'''


def _check_params(expected, actual, scale):
    if not isinstance(actual, (tuple, list)) or len(actual) != 3:
        return 'expected a tuple (ksize, stride, pad), got {!r}'.format(actual)
    if not all(is_int(v) for v in actual):
        return 'expected three ints, got {!r}'.format(tuple(actual))
    k, s, p = (int(v) for v in actual)
    if k < 1 or s < 1 or p < 0:
        return 'ksize and stride must be >= 1 and pad >= 0; got {}'.format((k, s, p))
    for n in range(1, 40):
        out = s * (n - 1) + k - 2 * p
        if out != scale * n:
            return 'n = {} gives s(n−1)+k−2p = {}, not {}·{} = {}'.format(n, out, scale, n,
                                                                         scale * n)
    if k < 2 * scale - 1:
        return 'ksize {} < 2·scale − 1 = {}: neighbouring stamps do not overlap'.format(
            k, 2 * scale - 1)
    return None


register(Exercise(
    name='deconv_params_for_scale',
    chapter='ch03',
    title='(k, s, p) that upsample exactly ×scale',
    reference=arithmetic.deconv_params_for_scale,
    stub=PARAMS_STUB,
    cases=[
        Case(2, _hint='Solve s(n−1) + k − 2p = scale·n for every n: what must s be, and then '
                      'k − 2p?'),
        (32,), (8,), (3,), (1,),
    ],
    random_cases=lambda rng: [(int(v),) for v in rng.randint(1, 65, size=10)],
    compare=_check_params,
    compare_inputs=True,
    hint='The output must grow by exactly `scale` per extra input pixel, and what is left, '
         'k − 2p, must equal the scale too. FCN picks k = 2s, p = s/2 for even s.',
    mistakes=[
        (lambda scale: (scale, scale, 0), 'k = s, p = 0 has the right size, but the stamps do '
                                          'not overlap: no interpolation between inputs.'),
        (lambda scale: (2 * scale, scale, 0), 'With p = 0 the output is s·n + s: too big.'),
        (lambda scale: (2 * scale, scale, scale // 2 + 1), 'Check k − 2p = s: the pad is off '
                                                           'by one.'),
    ],
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
    compare=allclose(rtol=1e-4, atol=1e-4, dtype='f'),
    timeout=10.0,
    hint='Start from zeros of size s(n−1)+k per axis; input pixel (i, j) adds x[:, i, j]·W '
         '(summed over input channels) into the window at (i·s, j·s); finally crop p per side.',
    mistakes=[
        (_wrong_flipped, 'The kernel is stamped as it is; flipping belongs to the zero-insertion '
                         'view (a convolution with the flipped kernel).'),
        (_wrong_one_sided, 'Crop p pixels from each side, not 2p from one side.'),
        (_wrong_no_crop, 'The output is s(n−1)+k−2p: crop p from each side.'),
    ],
))
