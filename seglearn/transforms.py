"""Data augmentation and preprocessing that keep images and label maps aligned.

In segmentation every geometric change made to an image must be made, identically, to its label
map: a crop takes the same window from both, a flip flips both, a warp moves both pixels by the
same displacement. And labels are *class ids*, not intensities: resizing or warping them must
pick an existing value (nearest neighbour, or the majority of a block), never average two ids:
the average of 0 "background" and 2 "car" is 1, a third class that was not there at all.

Conventions: images are float32 ``(C, H, W)`` (RGB 0–255), labels are int32 ``(H, W)`` with
``-1`` = ignore. Random functions take ``rng``: a ``numpy.random.RandomState`` or
``numpy.random.Generator`` (same seed → same result) or None for NumPy's global generator.

=================  =====================================================================
random_crop        the same random window from image and label
random_flip        horizontal (and optionally vertical) flips of both
resize_label       label-safe resize: nearest at pixel centres, or block majority
resize_image       bilinear (or spline) image resize with the same pixel-centre geometry
mirror_pad         reflect the border outwards (U-Net's overlap-tile extrapolation)
elastic_deform     U-Net's smooth random warp from a coarse grid of Gaussian displacements
=================  =====================================================================

``random_crop``, ``random_flip`` and ``mirror_pad`` work on NumPy and CuPy arrays; ``resize_*``
and ``elastic_deform`` use SciPy and take NumPy arrays. The input normalisation VGG16 (and FCN)
expect is the model's own: :func:`seglearn.models.vgg.vgg_normalize`.
"""
import numpy
from scipy import ndimage

from seglearn import backend
from seglearn._checks import check_int_array, check_number, check_pair, int_tuple, is_int

# --- input checks -----------------------------------------------------------------------------

def _check_image(img, name='img'):
    if not hasattr(img, 'ndim') or img.ndim != 3:
        raise ValueError('{} must be a (C, H, W) array; got {}'.format(
            name, 'shape {}'.format(img.shape) if hasattr(img, 'shape') else type(img).__name__))
    if img.dtype.kind != 'f':
        raise TypeError('{} must be a float array (float32, 0–255); got dtype {}'.format(
            name, img.dtype))


def _check_label(label, name='label'):
    if not hasattr(label, 'ndim') or label.ndim != 2:
        raise ValueError('{} must be an (H, W) array; got {}'.format(
            name, 'shape {}'.format(label.shape) if hasattr(label, 'shape')
            else type(label).__name__))
    check_int_array(name, label)


def _check_pair(img, label):
    _check_image(img)
    _check_label(label)
    if img.shape[1:] != label.shape:
        raise ValueError('img and label must have the same spatial size; got img {} (C, H, W) '
                         'and label {} (H, W)'.format(img.shape, label.shape))


def _check_rng(rng):
    if rng is None:
        return numpy.random  # the module's functions draw from NumPy's global RandomState
    if not isinstance(rng, (numpy.random.RandomState, numpy.random.Generator)):
        raise TypeError('rng must be a numpy.random.RandomState, a numpy.random.Generator or '
                        'None; got {!r} (use numpy.random.RandomState(seed))'.format(rng))
    return rng


def _randint(rng, high):
    """A uniform int in [0, high) from either kind of generator."""
    if isinstance(rng, numpy.random.Generator):
        return int(rng.integers(high))
    return int(rng.randint(high))


# --- crops and flips --------------------------------------------------------------------------

def random_crop(img, label, size, rng=None):
    """Crop the same random window from an image and its label.

    Args:
        img: float array ``(C, H, W)``.
        label: int array ``(H, W)``.
        size: int or ``(h, w)``: the window size, at most ``(H, W)``.
        rng: RandomState, Generator or None.

    Returns:
        tuple: ``(img (C, h, w), label (h, w))``, views into the inputs.

    Raises:
        ValueError: the window is larger than the image (pad it first with :func:`mirror_pad`).
    """
    _check_pair(img, label)
    h, w = check_pair('size', size)
    H, W = label.shape
    if h > H or w > W:
        raise ValueError('crop size {} is larger than the image {}; pad the image first (e.g. '
                         'with mirror_pad) or crop smaller'.format((h, w), (H, W)))
    rng = _check_rng(rng)
    y = _randint(rng, H - h + 1)
    x = _randint(rng, W - w + 1)
    return img[:, y:y + h, x:x + w], label[y:y + h, x:x + w]


def random_flip(img, label, x_flip=True, y_flip=False, rng=None):
    """Flip an image and its label together, each enabled direction with probability 1/2.

    Args:
        img: float array ``(C, H, W)``.
        label: int array ``(H, W)``.
        x_flip (bool): allow a horizontal (left–right) flip.
        y_flip (bool): allow a vertical (up–down) flip.
        rng: RandomState, Generator or None.

    Returns:
        tuple: ``(img, label)``, contiguous arrays of the input shapes.
    """
    _check_pair(img, label)
    rng = _check_rng(rng)
    if x_flip and rng.random() < 0.5:
        img, label = img[:, :, ::-1], label[:, ::-1]
    if y_flip and rng.random() < 0.5:
        img, label = img[:, ::-1], label[::-1]
    xp = backend.get_xp(img)
    return xp.ascontiguousarray(img), xp.ascontiguousarray(label)


# --- resizing ---------------------------------------------------------------------------------

def _centre_indices(n_in, n_out):
    """Source pixel under each output pixel centre: floor((i + 1/2) · n_in / n_out)."""
    return (2 * numpy.arange(n_out) + 1) * n_in // (2 * n_out)


def resize_label(label, size, method='nearest'):
    """Resize a label map without ever inventing a class.

    ``'nearest'`` takes, for each output pixel, the input pixel under its centre (the geometry of
    :func:`resize_image`; on an exact tie, as in a 2× downscale, the lower/right pixel).
    ``'majority'`` is for downscaling by integer factors: each output pixel gets the most frequent
    class of its block, ignoring -1 unless the whole block is -1, the smallest class on a tie.

    Args:
        label: int array ``(H, W)``.
        size: int or ``(h, w)``.
        method (str): ``'nearest'`` or ``'majority'``.

    Returns:
        numpy.ndarray: ``(h, w)``, the dtype of ``label``; every value also occurs in ``label``.

    Raises:
        ValueError: unknown method, labels below -1, or ``'majority'`` with a size that does not
            divide ``(H, W)``.
    """
    _check_label(label)
    h, w = check_pair('size', size)
    H, W = label.shape
    label = numpy.asarray(label)
    if label.size and label.min() < -1:
        raise ValueError('labels must be >= -1 (the ignore label); got {}'.format(label.min()))
    if method == 'nearest':
        return label[_centre_indices(H, h)[:, None], _centre_indices(W, w)]
    if method != 'majority':
        raise ValueError("method must be 'nearest' or 'majority'; got {!r}".format(method))
    if H % h or W % w:
        raise ValueError("method='majority' needs an integer downscale factor: {} must divide "
                         "{}; use method='nearest' for other sizes".format((h, w), (H, W)))
    fh, fw = H // h, W // w
    blocks = label.reshape(h, fh, w, fw).transpose(0, 2, 1, 3).reshape(h * w, fh * fw)
    n_values = int(label.max()) + 1
    if n_values <= 0:  # every pixel is -1
        return numpy.full((h, w), -1, dtype=label.dtype)
    block_id = numpy.repeat(numpy.arange(h * w), fh * fw)
    values = blocks.ravel().astype(numpy.int64)
    valid = values >= 0
    counts = numpy.bincount(block_id[valid] * n_values + values[valid],
                            minlength=h * w * n_values).reshape(h * w, n_values)
    out = counts.argmax(axis=1)  # argmax returns the first maximum: the smallest class
    out[counts.max(axis=1) == 0] = -1
    return out.reshape(h, w).astype(label.dtype)


def resize_image(img, size, order=1):
    """Resize an image by interpolation (bilinear by default), channel by channel.

    Output pixel centres are mapped onto input pixel centres (``x_in + 1/2 = (x_out + 1/2) ·
    W/w``), the convention of scikit-image and of :func:`resize_label`; beyond the border the
    edge value is repeated. There is no anti-aliasing: blur first for large downscales.

    Args:
        img: float array ``(C, H, W)``.
        size: int or ``(h, w)``.
        order (int): spline order 0–5 (0 nearest, 1 bilinear, 3 bicubic).

    Returns:
        numpy.ndarray: float32 ``(C, h, w)``.
    """
    _check_image(img)
    h, w = check_pair('size', size)
    if order not in range(6):
        raise ValueError('order must be an int in 0..5; got {!r}'.format(order))
    img = numpy.asarray(img, dtype=numpy.float32)
    H, W = img.shape[1:]
    scale = (H / h, W / w)
    offset = tuple(s / 2 - 0.5 for s in scale)
    out = numpy.empty((img.shape[0], h, w), dtype=numpy.float32)
    for c in range(img.shape[0]):
        ndimage.affine_transform(img[c], scale, offset=offset, output_shape=(h, w),
                                 output=out[c], order=order, mode='nearest')
    return out


# --- padding and warping ----------------------------------------------------------------------

def _reflect_indices(n, before, after):
    """Indices of a length-n axis extended by reflection without repeating the edge."""
    i = numpy.arange(-before, n + after)
    if n == 1:
        return numpy.zeros_like(i)
    period = 2 * (n - 1)
    i = numpy.mod(i, period)
    return numpy.where(i < n, i, period - i)


def mirror_pad(x, pad):
    """Pad the last two axes by mirroring the image at its border (U-Net's overlap-tile).

    The mirror does not repeat the edge pixel (``numpy.pad(mode='reflect')``: ``… 2 1 | 0 1 2 …``).
    A pad larger than the image keeps reflecting back and forth, as NumPy does.

    Args:
        x: array ``(..., H, W)`` (image ``(C, H, W)``, label ``(H, W)``, batch …), NumPy or CuPy.
        pad: int, or ``(top, bottom, left, right)`` ints >= 0.

    Returns:
        array ``(..., H + top + bottom, W + left + right)`` of the input dtype.
    """
    if not hasattr(x, 'ndim') or x.ndim < 2:
        raise ValueError('x must be an array with at least 2 dimensions (..., H, W); got {}'.format(
            getattr(x, 'shape', type(x).__name__)))
    pads = int_tuple(pad, 4, 0)
    if pads is None:
        raise ValueError('pad must be an int or (top, bottom, left, right) ints >= 0; got '
                         '{!r}'.format(pad))
    top, bottom, left, right = pads
    xp = backend.get_xp(x)
    rows = xp.asarray(_reflect_indices(x.shape[-2], top, bottom))
    cols = xp.asarray(_reflect_indices(x.shape[-1], left, right))
    return x.take(rows, axis=-2).take(cols, axis=-1)


def elastic_deform(img, label, grid=3, sigma=10.0, rng=None, order=3):
    """U-Net's elastic deformation of an image and its label by one smooth random warp.

    Displacements ``(dy, dx)`` are drawn from N(0, sigma²) (pixels) on a coarse ``grid × grid``
    grid spanning the image corners, interpolated by cubic splines to one vector per pixel, and
    each output pixel ``p`` takes the input at ``p + d(p)``: the image by spline interpolation of
    ``order`` (3 = bicubic, as in the paper), the label by nearest neighbour (so the label keeps its
    values and may be an instance map); outside the border the input is reflected.

    Args:
        img: float array ``(C, H, W)``.
        label: int array ``(H, W)``.
        grid (int): coarse grid size (>= 2); the paper uses 3.
        sigma (float): standard deviation of the displacements in pixels; the paper uses 10.
        rng: RandomState, Generator or None.
        order (int): spline order for the image (0–5).

    Returns:
        tuple: ``(img float32 (C, H, W), label (H, W) of the label's dtype)``. Bicubic
        interpolation may overshoot the input range slightly.
    """
    _check_pair(img, label)
    if not is_int(grid) or grid < 2:
        raise ValueError('grid must be an int >= 2; got {!r}'.format(grid))
    sigma = check_number('sigma', sigma, 0)
    if order not in range(6):
        raise ValueError('order must be an int in 0..5; got {!r}'.format(order))
    rng = _check_rng(rng)
    img = numpy.asarray(img, dtype=numpy.float32)
    label = numpy.asarray(label)
    H, W = label.shape
    coarse = rng.normal(0.0, float(sigma), size=(2, grid, grid))
    # corner-aligned cubic-spline upsampling of each displacement component to (H, W)
    dense = [ndimage.zoom(c, (H / grid, W / grid), order=3, mode='nearest') for c in coarse]
    yy, xx = numpy.meshgrid(numpy.arange(H), numpy.arange(W), indexing='ij')
    coords = numpy.stack([yy + dense[0], xx + dense[1]])
    out = numpy.stack([ndimage.map_coordinates(img[c], coords, order=order, mode='reflect')
                       for c in range(img.shape[0])]).astype(numpy.float32)
    out_label = ndimage.map_coordinates(label, coords, order=0, mode='reflect')
    return out, out_label.astype(label.dtype)
