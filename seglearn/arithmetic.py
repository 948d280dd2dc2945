"""Size arithmetic of convolution and transposed convolution, receptive fields, coordinate maps.

Everything here works on one spatial axis with integers: a square ``k×k`` kernel acts the same
way on height and width, so a 2-D shape is just this arithmetic applied twice.

Sizes
    A convolution with kernel ``k``, stride ``s``, padding ``p`` (and dilation ``d``, effective
    kernel ``d·(k−1)+1``) turns ``n`` pixels into ``⌊(n + 2p − k)/s⌋ + 1`` (Chainer's default);
    with ``cover_all=True`` (the default of Chainer's max pooling, "ceil mode") the last window may
    hang over the border and the floor becomes a ceiling. A transposed convolution ("deconvolution")
    runs the map backwards: ``s·(n − 1) + k − 2p``. :func:`solve_deconv` solves that equation for
    whichever of ``k, s, p`` is unknown, and :func:`deconv_params_for_scale` gives the classic
    choice ``k = 2s, p = s/2`` that upsamples exactly ×s.

Layer stacks
    A network's geometry is a sequence of :class:`Conv`, :class:`Pool`, :class:`Deconv` and
    :class:`Crop` specs (input first). :func:`stack_output_size` pushes a size through it,
    :func:`receptive_field` counts the input pixels one output pixel sees, and
    :func:`coordinate_map` returns ``(a, b)`` with ``x_in = a·x_out + b``: the input pixel centre
    under the output pixel ``x_out`` (pixel indices from 0). ``a`` is the effective stride, also
    given by :func:`jump`. All maps are exact :class:`fractions.Fraction` values.

Crops
    :func:`crop_offset` finds the crop that makes a branch's coordinate map equal to its
    reference's. That is how FCN's crop offsets are derived (19 for FCN-32s, (5, 27) for FCN-16s,
    (5, 9, 31) for FCN-8s): :func:`seglearn.models.fcn.fcn_crop_offsets` applies it to the
    VGG16-FCN layer stacks, which live beside the model.
"""
import collections
from fractions import Fraction

from seglearn._checks import check_int


def conv_output_size(size, ksize, stride=1, pad=0, cover_all=False, dilate=1):
    """Output size of a convolution or pooling along one axis.

    Same semantics as ``chainer.utils.conv.get_conv_outsize``: ``⌊(n + 2p − dk)/s⌋ + 1`` with the
    effective kernel ``dk = d·(k − 1) + 1``; with ``cover_all=True`` the last, partial window is
    kept too (``⌈(n + 2p − dk)/s⌉ + 1``), as Chainer's max pooling does by default.

    Args:
        size (int): input size ``n`` (>= 1).
        ksize (int): kernel size ``k`` (>= 1).
        stride (int): stride ``s`` (>= 1).
        pad (int): padding ``p`` on each side (>= 0).
        cover_all (bool): ceil mode instead of floor mode.
        dilate (int): dilation ``d`` (>= 1).

    Returns:
        int: the output size (>= 1).

    Raises:
        ValueError: if the (effective) kernel does not fit in the padded input.
    """
    size = check_int('size', size, 1)
    ksize = check_int('ksize', ksize, 1)
    stride = check_int('stride', stride, 1)
    pad = check_int('pad', pad, 0)
    dilate = check_int('dilate', dilate, 1)
    if not isinstance(cover_all, bool):
        raise TypeError('cover_all must be a bool, got {!r}'.format(cover_all))
    dk = dilate * (ksize - 1) + 1
    span = size + 2 * pad - dk
    if cover_all:
        out = -(-span // stride) + 1
    else:
        out = span // stride + 1
    if out < 1:
        raise ValueError(
            'convolution output size {} < 1: the effective kernel {} (ksize={}, dilate={}) is '
            'larger than the padded input size + 2*pad = {} (size={}, pad={})'.format(
                out, dk, ksize, dilate, size + 2 * pad, size, pad))
    return out


def deconv_output_size(size, ksize, stride=1, pad=0):
    """Output size of a transposed convolution along one axis: ``s·(n − 1) + k − 2p``.

    Each of the ``n`` inputs stamps a ``k``-wide kernel, the stamps are ``s`` apart, and ``p``
    pixels are cut from each end of the result.

    Args:
        size (int): input size ``n`` (>= 1).
        ksize (int): kernel size ``k`` (>= 1).
        stride (int): stride ``s`` (>= 1).
        pad (int): padding ``p`` removed from each side (>= 0).

    Returns:
        int: the output size (>= 1).

    Raises:
        ValueError: if the padding removes everything.
    """
    size = check_int('size', size, 1)
    ksize = check_int('ksize', ksize, 1)
    stride = check_int('stride', stride, 1)
    pad = check_int('pad', pad, 0)
    out = stride * (size - 1) + ksize - 2 * pad
    if out < 1:
        raise ValueError(
            'transposed convolution output size s*(n-1)+k-2p = {}*({}-1)+{}-2*{} = {} < 1: '
            'pad is too large'.format(stride, size, ksize, pad, out))
    return out


def deconv_params_for_scale(scale):
    """Transposed-convolution ``(ksize, stride, pad)`` that upsample any size ``n`` to ``scale·n``.

    ``stride = scale``; for even ``scale`` the FCN choice ``ksize = 2·scale, pad = scale/2``; for
    odd ``scale`` ``ksize = 2·scale − 1, pad = (scale − 1)/2``. Both give
    ``s·(n − 1) + k − 2p = s·n`` and put output pixel ``x`` over input position
    ``(x − (s − 1)/2)/s``, the "half-pixel" alignment of image resizing.

    Args:
        scale (int): upsampling factor (>= 1).

    Returns:
        tuple of int: ``(ksize, stride, pad)``.
    """
    scale = check_int('scale', scale, 1)
    return 2 * scale - scale % 2, scale, scale // 2


def solve_deconv(in_size, out_size, ksize=None, stride=None, pad=None):
    """Solve ``out_size = stride·(in_size − 1) + ksize − 2·pad`` for the one parameter left None.

    Args:
        in_size (int): input size (>= 1).
        out_size (int): wanted output size (>= 1).
        ksize (int or None): kernel size (>= 1).
        stride (int or None): stride (>= 1).
        pad (int or None): padding (>= 0).

    Returns:
        int: the missing ``ksize``, ``stride`` or ``pad``.

    Raises:
        ValueError: if not exactly one of them is None, or no valid integer solves the equation.
    """
    in_size = check_int('in_size', in_size, 1)
    out_size = check_int('out_size', out_size, 1)
    missing = [name for name, v in (('ksize', ksize), ('stride', stride), ('pad', pad))
               if v is None]
    if len(missing) != 1:
        raise ValueError('exactly one of ksize, stride, pad must be None, got ksize={!r}, '
                         'stride={!r}, pad={!r}'.format(ksize, stride, pad))
    given = 'in_size={}, out_size={}, ksize={}, stride={}, pad={}'.format(
        in_size, out_size, ksize, stride, pad)
    if ksize is None:
        stride = check_int('stride', stride, 1)
        pad = check_int('pad', pad, 0)
        k = out_size - stride * (in_size - 1) + 2 * pad
        if k < 1:
            raise ValueError('no valid ksize for {}: out - s*(n-1) + 2p = {} < 1'.format(given, k))
        return k
    ksize = check_int('ksize', ksize, 1)
    if pad is None:
        stride = check_int('stride', stride, 1)
        twice_pad = stride * (in_size - 1) + ksize - out_size
        if twice_pad < 0:
            raise ValueError('no valid pad for {}: s*(n-1) + k - out = {} < 0 (even pad=0 gives a '
                             'smaller output)'.format(given, twice_pad))
        if twice_pad % 2:
            raise ValueError('no integer pad for {}: 2*pad = s*(n-1) + k - out = {} is odd'.format(
                given, twice_pad))
        return twice_pad // 2
    pad = check_int('pad', pad, 0)
    rest = out_size - ksize + 2 * pad
    if in_size == 1:
        raise ValueError('stride is undetermined for {}: with in_size=1 the stride does not '
                         'change the output size'.format(given))
    if rest < in_size - 1 or rest % (in_size - 1):
        raise ValueError('no valid stride for {}: s = (out - k + 2p)/(n - 1) = {}/{} is not an '
                         'integer >= 1'.format(given, rest, in_size - 1))
    return rest // (in_size - 1)


class Conv(collections.namedtuple('Conv', 'ksize stride pad')):
    """A convolution's geometry: kernel ``ksize``, ``stride``, ``pad`` (ints)."""
    __slots__ = ()

    def __new__(cls, ksize, stride=1, pad=0):
        return super().__new__(cls, check_int('ksize', ksize, 1),
                               check_int('stride', stride, 1), check_int('pad', pad, 0))


class Pool(collections.namedtuple('Pool', 'ksize stride pad')):
    """A pooling layer's geometry; ``stride=None`` means ``stride = ksize``."""
    __slots__ = ()

    def __new__(cls, ksize, stride=None, pad=0):
        ksize = check_int('ksize', ksize, 1)
        stride = ksize if stride is None else check_int('stride', stride, 1)
        return super().__new__(cls, ksize, stride, check_int('pad', pad, 0))


class Deconv(collections.namedtuple('Deconv', 'ksize stride pad')):
    """A transposed convolution's geometry: kernel ``ksize``, ``stride``, ``pad`` (ints)."""
    __slots__ = ()

    def __new__(cls, ksize, stride=1, pad=0):
        return super().__new__(cls, check_int('ksize', ksize, 1),
                               check_int('stride', stride, 1), check_int('pad', pad, 0))


class Crop(collections.namedtuple('Crop', 'offset')):
    """Keep pixels from ``offset`` on (its output pixel ``x`` is its input pixel ``x + offset``)."""
    __slots__ = ()

    def __new__(cls, offset):
        return super().__new__(cls, check_int('offset', offset, 0))


_LAYER_TYPES = (Conv, Pool, Deconv, Crop)


def _check_layers(layers):
    try:
        layers = list(layers)
    except TypeError:
        raise TypeError('layers must be a sequence of Conv/Pool/Deconv/Crop, got {!r}'.format(
            layers)) from None
    for i, layer in enumerate(layers):
        if not isinstance(layer, _LAYER_TYPES):
            raise TypeError('layers[{}] must be a Conv, Pool, Deconv or Crop, got {!r}'.format(
                i, layer))
    return layers


def _layer_map(layer):
    """(a, b) of one layer: x_in = a * x_out + b."""
    if isinstance(layer, Crop):
        return Fraction(1), Fraction(layer.offset)
    centre = Fraction(layer.ksize - 1, 2) - layer.pad
    if isinstance(layer, Deconv):
        return Fraction(1, layer.stride), -centre / layer.stride
    return Fraction(layer.stride), centre


def coordinate_map(layers):
    """Map from output to input pixel centres of a layer stack: ``x_in = a·x_out + b``.

    Per layer (pixel ``x`` = index from 0, its centre at ``x``):
    conv/pool ``x_in = s·x_out + ((k − 1)/2 − p)``; transposed conv
    ``x_in = (x_out − ((k − 1)/2 − p))/s``; crop ``x_in = x_out + offset``. Maps compose from the
    output back to the input.

    Args:
        layers: sequence of :class:`Conv`, :class:`Pool`, :class:`Deconv`, :class:`Crop`, input
            first (empty = identity).

    Returns:
        tuple of fractions.Fraction: ``(a, b)``.
    """
    a, b = Fraction(1), Fraction(0)
    for layer in _check_layers(layers):
        la, lb = _layer_map(layer)
        a, b = a * la, a * lb + b
    return a, b


def jump(layers):
    """Effective stride of a stack: input pixels per output pixel (``a`` of :func:`coordinate_map`).

    Args:
        layers: sequence of layer specs, input first.

    Returns:
        fractions.Fraction: e.g. ``32`` after VGG16's pool5, ``1/2`` after one ×2 deconvolution.
    """
    return coordinate_map(layers)[0]


def _input_interval(layers, lo, hi):
    """Input pixels ``[lo', hi']`` that output pixels ``[lo, hi]`` depend on (no borders)."""
    for layer in reversed(layers):
        if isinstance(layer, Crop):
            lo, hi = lo + layer.offset, hi + layer.offset
        elif isinstance(layer, Deconv):
            # input i reaches output x when 0 <= x + p - s*i < k
            s, k, p = layer.stride, layer.ksize, layer.pad
            lo, hi = -(-(lo + p - k + 1) // s), (hi + p) // s
        else:
            s, k, p = layer.stride, layer.ksize, layer.pad
            lo, hi = s * lo - p, s * hi - p + k - 1
    return lo, hi


def receptive_field(layers):
    """Number of input pixels (along one axis) that one output pixel of the stack depends on.

    Borders are ignored (the input is taken as unbounded). A conv/pool grows the field by
    ``(k − 1)·jump``; after a transposed convolution the field may differ between output pixels
    (each sees ``⌈k/s⌉`` or ``⌊k/s⌋`` inputs) and the largest one is returned.

    Args:
        layers: sequence of layer specs, input first.

    Returns:
        int: e.g. 7 for three 3×3 convolutions, 212 at VGG16's pool5.
    """
    layers = _check_layers(layers)
    period = 1
    for layer in layers:
        if isinstance(layer, Deconv):
            period *= layer.stride
    best = 0
    for x in range(period):
        lo, hi = _input_interval(layers, x, x)
        best = max(best, hi - lo + 1)
    return best


def stack_output_size(layers, size, cover_all=True):
    """Push a size through a stack of :class:`Conv`, :class:`Pool` and :class:`Deconv`.

    Convolutions use floor mode (Chainer's default); pooling uses ``cover_all`` (Chainer's max
    pooling default is True, the ceil mode of Caffe). A :class:`Crop` has no size of its own (it
    crops to its reference), so it is rejected: compute each branch separately.

    Args:
        layers: sequence of layer specs, input first.
        size (int): input size.
        cover_all (bool): ceil mode for the pooling layers.

    Returns:
        int: the output size.
    """
    size = check_int('size', size, 1)
    for i, layer in enumerate(_check_layers(layers)):
        if isinstance(layer, Crop):
            raise ValueError('layers[{}] is a Crop, whose output size is set by its reference; '
                             'compute the size of each branch separately'.format(i))
        if isinstance(layer, Deconv):
            size = deconv_output_size(size, *layer)
        else:
            size = conv_output_size(size, *layer,
                                    cover_all=cover_all and isinstance(layer, Pool))
    return size


def crop_offset(layers, reference=()):
    """Crop offset that aligns a branch with its reference.

    Finds ``c`` such that ``layers + [Crop(c)]`` has the same coordinate map as ``reference``
    (default: the input itself, i.e. the identity map). That is what FCN's crop layers do: the
    cropped scores then sit exactly over the input pixels, or over the scores they are summed with.

    Args:
        layers: the branch to crop, input first.
        reference: the stack it must align with (default empty: the input).

    Returns:
        int: the offset ``c`` (>= 0).

    Raises:
        ValueError: if the two stacks have different strides or no integer offset >= 0 aligns them.
    """
    a, b = coordinate_map(layers)
    ref_a, ref_b = coordinate_map(reference)
    if a != ref_a:
        raise ValueError('cannot align by cropping: the branch has jump {} but the reference has '
                         'jump {}'.format(a, ref_a))
    offset = (ref_b - b) / a
    if offset.denominator != 1 or offset < 0:
        raise ValueError('no crop aligns the branch (x_in = {}*x + {}) with the reference '
                         '(x_in = {}*x + {}): offset would be {}'.format(a, b, ref_a, ref_b,
                                                                         offset))
    return int(offset)
