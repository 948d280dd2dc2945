"""Chapter 08 (Reading U-Net): output size of the paper's U-Net, skip crops, the weight map."""
import numpy

from seglearn import losses
from seglearn.exercises.core import Case, Exercise, Property, allclose, register
from seglearn.models import unet
from seglearn.messages import gettext


# --------------------------------------------------------------------------- output size

def _random_valid_sizes(rng):
    return [(int(188 + 16 * k),) for k in rng.randint(0, 60, size=15)]


def _rejects_invalid(fn):
    """Sizes that are not ≡ 12 (mod 16), or below 188, raise ValueError."""
    for size in (572 + 1, 574, 580, 512, 256, 172, 156, 12, 1):
        try:
            out = fn(size)
        except ValueError:
            continue
        except Exception as e:
            return gettext('for size {} you raised {} instead of ValueError').format(
                size, type(e).__name__)
        return gettext('size {} is not a valid input (a pooled map would be odd or the output '
                       'empty), but you returned {!r} instead of raising '
                       'ValueError').format(size, out)
    return None


PAPER_UNET_OUTPUT_SIZE_STUB = '''
def paper_unet_output_size(size):
    """Output size of the paper's U-Net (4 poolings, unpadded 3x3 convolutions) for an input size.

    Contracting path: 4 times (two 3x3 valid convs, then a 2x2 max-pool that needs an even size);
    bottom: two 3x3 valid convs; expansive path: 4 times (2x2 up-conv doubling the size, two 3x3
    valid convs); a final 1x1 conv.

    Returns:
        int: the output size (572 -> 388).

    Raises:
        ValueError: if a pooling would see an odd size or the output would be empty.
    """
    raise NotImplementedError  # your code here
'''

register(Exercise(
    name='paper_unet_output_size',
    chapter='ch08',
    title="output size of the paper's U-Net, ValueError for invalid inputs",
    reference=lambda size: unet.unet_output_size(size),
    stub=PAPER_UNET_OUTPUT_SIZE_STUB,
    forbidden=[unet.unet_output_size, unet.valid_input_sizes, unet.nearest_valid_input_size],
    cases=[Case(572, _hint='572 → 570 → 568 → pool 284 → … the paper draws every size.'),
           (188,), (204,), (1068,)],
    random_cases=_random_valid_sizes,
    properties=[Property('invalid sizes raise ValueError', _rejects_invalid,
                         hint='Check each map before a pooling: it must be even (and positive).')],
    hint='Each 3×3 valid convolution removes 2 pixels; a pooling halves; an up-convolution '
         'doubles. Walk down and up the U.',
    mistakes=[
        (lambda s: s - 92, 'Each 3×3 valid convolution removes 2 pixels, and the expansive path '
                           'has convolutions too.'),
        (lambda s: s - 124, 'After each up-convolution come two more 3×3 valid convolutions.'),
        (lambda s: s, 'The paper uses unpadded convolutions: the output is smaller than the '
                      'input.'),
    ],
))


# --------------------------------------------------------------------------- skip crops

def _skip_crops_reference(depth):
    size = unet.nearest_valid_input_size(1, depth, 'up')
    return list(unet.skip_crops(size, depth))


UNET_SKIP_CROPS_STUB = '''
def unet_skip_crops(depth):
    """Pixels cropped from EACH side of the contracting-path features before crop-and-concat.

    Args:
        depth: number of poolings of an unpadded U-Net (4 in the paper).

    Returns:
        list of int, one per skip, in the order the expansive path uses them (deepest first);
        for the paper's U-Net [4, 16, 40, 88].
    """
    raise NotImplementedError  # your code here
'''


def _crops_recursive(depth, extra=8):
    crops, c = [], 4
    for _ in range(depth):
        crops.append(c)
        c = 2 * c + extra
    return crops


register(Exercise(
    name='unet_skip_crops',
    chapter='ch08',
    title='per-side crop of each U-Net skip',
    reference=_skip_crops_reference,
    stub=UNET_SKIP_CROPS_STUB,
    forbidden=[unet.skip_crops],
    cases=[Case(4, _hint='The paper: 64 → 56, 136 → 104, 280 → 200, 568 → 392.'), (1,), (2,), (5,)],
    random_cases=lambda rng: [(int(d),) for d in rng.randint(1, 7, size=6)],
    hint='The difference between a skip and the upsampled map is independent of the input size: '
         'follow how it grows from one level to the next (down: halve and −4; up: double, −4).',
    mistakes=[
        (lambda d: [2 * c for c in _crops_recursive(d)], 'Per side: half of the size difference.'),
        (lambda d: _crops_recursive(d, extra=4), 'Do not forget the two valid convolutions after '
                                                 'each up-convolution.'),
        (lambda d: _crops_recursive(d)[::-1], 'Deepest skip first: the expansive path starts at '
                                              'the bottom.'),
    ],
))


# --------------------------------------------------------------------------- weight map

def _cells_instances(spec, shape):
    inst = numpy.zeros(shape, numpy.int32)
    yy, xx = numpy.mgrid[:shape[0], :shape[1]]
    for k, (cy, cx, r) in enumerate(spec, start=1):
        inst[((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r) & (inst == 0)] = k
    return inst


def _random_instances(rng):
    cases = []
    for _ in range(6):
        h, w = (int(v) for v in rng.randint(16, 40, size=2))
        spec = [(int(rng.randint(h)), int(rng.randint(w)), int(rng.randint(2, 7)))
                for _ in range(int(rng.randint(0, 5)))]
        w0, sigma = float(rng.choice([5.0, 10.0])), float(rng.choice([2.0, 5.0]))
        cases.append(Case(_cells_instances(spec, (h, w)), w0=w0, sigma=sigma,
                          _label='border_weight_map({} cells on {}×{}, w0={}, sigma={})'.format(
                              len(spec), h, w, w0, sigma)))
    return cases


def _two_cells():
    return _cells_instances([(10, 8, 5), (10, 20, 5)], (20, 30))


BORDER_WEIGHT_MAP_STUB = '''
def border_weight_map(instances, w0=10, sigma=5):
    """U-Net's weight map w(x) = w_c(x) + w0 * exp(-(d1(x) + d2(x))**2 / (2 * sigma**2)).

    Args:
        instances: int array (H, W), 0 = background, 1, 2, ... one id per cell.
        w0, sigma: the border term's height and width (paper: 10 and about 5 pixels).

    w_c balances the two classes (background, cell): w_c = N / (K * n_c) with n_c the pixels of
    the class, N all pixels and K the number of classes present (K = 1: w_c = 1 everywhere).
    d1, d2: Euclidean distance to the nearest pixel of the nearest and of the second-nearest cell
    (scipy.ndimage.distance_transform_edt helps); the border term is added on background pixels
    only, and is 0 where there are fewer than two cells.

    Returns:
        float32 array (H, W).
    """
    raise NotImplementedError  # your code here
'''


def _weights_only_d1(instances, w0=10, sigma=5):
    d1, _ = losses.instance_distances(instances)
    return _with_border(instances, w0 * numpy.exp(-(2 * d1) ** 2 / (2.0 * sigma ** 2)))


def _weights_no_wc(instances, w0=10, sigma=5):
    d1, d2 = losses.instance_distances(instances)
    with numpy.errstate(invalid='ignore', over='ignore'):
        border = w0 * numpy.exp(-(d1 + d2) ** 2 / (2.0 * sigma ** 2))
    return numpy.where(instances == 0, 1.0 + border, 1.0).astype(numpy.float32)


def _with_border(instances, border):
    w = losses.unet_weight_map(instances, w0=0.0).astype(numpy.float64)
    return numpy.where(instances == 0, w + border, w).astype(numpy.float32)


register(Exercise(
    name='border_weight_map',
    chapter='ch08',
    title='the U-Net weight map (class balance + border term)',
    reference=lambda instances, w0=10, sigma=5: losses.unet_weight_map(instances, w0, sigma),
    stub=BORDER_WEIGHT_MAP_STUB,
    forbidden=[losses.unet_weight_map, losses.instance_distances],
    cases=[
        Case(_two_cells(), _label='border_weight_map(two touching-ish cells on 20×30)'),
        Case(_two_cells(), w0=5.0, sigma=2.0,
             _label='border_weight_map(two cells on 20×30, w0=5, sigma=2)'),
        Case(_cells_instances([(8, 8, 4)], (16, 16)), _label='border_weight_map(one cell)',
             _hint='With a single cell there is no second-nearest cell: d2 = ∞, no border term.'),
        Case(numpy.zeros((6, 7), numpy.int32), _label='border_weight_map(no cell)',
             _hint='One class only: w_c = 1 everywhere, no border term.'),
        Case(_cells_instances([(5, 5, 3), (5, 12, 3), (12, 8, 3)], (18, 18)),
             _label='border_weight_map(three cells on 18×18)'),
    ],
    random_cases=_random_instances,
    compare=allclose(rtol=1e-4, atol=1e-5),
    hint='One distance transform per cell, then the smallest and second-smallest distance at '
         'every pixel; w_c from the class frequencies.',
    mistakes=[
        (_weights_only_d1, 'd1 + d2 is not 2·d1: d2 is the distance to the SECOND-nearest cell.'),
        (_weights_no_wc, 'Do not forget w_c, the class-balancing weight (inverse frequency).'),
    ],
))
