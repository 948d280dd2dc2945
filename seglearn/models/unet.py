"""U-Net (Ronneberger, Fischer & Brox, MICCAI 2015).

A contracting path of ``depth`` levels — two unpadded 3×3 convolutions + ReLU, then a 2×2
max-pool — with ``base·2^i`` channels (64, 128, 256, 512, and 1024 at the bottom), and an
expanding path that mirrors it: a 2×2 "up-convolution" (transposed convolution, stride 2) that
halves the channels, concatenation with the centre crop of the contracting features of the same
level ("crop-and-concat"), and two 3×3 convolutions. A final 1×1 convolution maps to the classes:
23 convolutions in all and 31,030,658 parameters for one input channel and two classes.
Dropout sits at the end of the contracting path (on the bottom features); weights start from the
He initialisation (std √(2/N), N = fan-in) that the paper recommends.

Because the convolutions are unpadded ("valid"), each level loses pixels: a 572×572 input gives a
388×388 output, the skips are cropped by 4, 16, 40 and 88 pixels per side, and only sizes
``s ≡ 12 (mod 16), s >= 188`` are valid (output ``s − 184``) for depth 4 — see
:func:`unet_output_size`, :func:`valid_input_sizes`, :func:`nearest_valid_input_size`. The paper
predicts large images tile by tile with mirror extrapolation at the border ("overlap-tile");
:meth:`UNet.predict` mirrors each image enough that the output covers it, and crops.

Variants (not in the paper, common in practice): ``padding='same'`` pads the 3×3 convolutions so
the output has the input's size (which must then be divisible by ``2^depth``);
``upsample='bilinear'`` replaces the up-convolution by fixed bilinear ×2 upsampling followed by a
1×1 convolution that halves the channels (no checkerboard artifacts); ``batch_norm=True`` adds
batch normalisation after every 3×3 convolution.

Paper results: ISBI 2012 warping error 0.000353, Rand error 0.0382, pixel error 0.0611;
PhC-U373 IoU 0.9203; DIC-HeLa IoU 0.7756.

``forward`` takes float32 images 0–255 (the package convention) and scales them to 0–1 itself.
"""
import chainer

from seglearn import functions, links
from seglearn._checks import check_choice, check_int, check_positive, check_ratio
from seglearn.models.common import SegmentationModel, center_crop, scaled
from seglearn.transforms import mirror_pad
from seglearn.upsampling import upsample_bilinear

_PADDINGS = ('valid', 'same')
_UPSAMPLES = ('deconv', 'bilinear')


def _trace_sizes(size, depth):
    """Spatial sizes through a valid U-Net, or None if ``size`` is not a valid input.

    Returns:
        tuple: (skip sizes of the contracting levels, top first; output size) or None.
    """
    skips = []
    for _ in range(depth):
        size -= 4
        if size < 2 or size % 2:
            return None
        skips.append(size)
        size //= 2
    size -= 4
    for _ in range(depth):
        if size < 1:
            return None
        size = 2 * size - 4
    if size < 1:
        return None
    return tuple(skips), size


#: int: the deepest U-Net accepted (the paper's has 4 poolings; a valid U-Net of depth 12
#: already needs inputs of about 49,000 pixels).
MAX_DEPTH = 12


def _check_depth(depth):
    return check_int('depth', depth, 1, MAX_DEPTH)


def unet_output_size(size, depth=4):
    """Output size of a valid (unpadded) U-Net for an input size.

    Args:
        size (int): input height or width.
        depth (int): number of pooling steps (4 in the paper).

    Returns:
        int: the output size (``size − 184`` for depth 4; 572 → 388).

    Raises:
        ValueError: ``size`` is not a valid input size; the message names the nearest valid sizes
        below and above.
    """
    size = check_int('size', size, 1)
    depth = _check_depth(depth)
    trace = _trace_sizes(size, depth)
    if trace is None:
        raise ValueError(_invalid_size_message(size, depth))
    return trace[1]


def skip_crops(size, depth=4):
    """Pixels cropped from each side of the contracting features before concatenation.

    Args:
        size (int): a valid input size.
        depth (int): number of pooling steps.

    Returns:
        tuple of int: per level, deepest first (4, 16, 40, 88 for 572 at depth 4).
    """
    unet_output_size(size, depth)
    skips, out = _trace_sizes(size, depth)
    crops = []
    up = out
    for skip in skips:  # the finest skip matches the output + 4 (its two convolutions)
        up += 4
        crops.append((skip - up) // 2)
        up //= 2
    return tuple(reversed(crops))


def valid_input_sizes(max_size, depth=4, min_size=1):
    """All valid input sizes of a valid U-Net in ``[min_size, max_size]``.

    Returns:
        list of int: increasing (188, 204, 220, … for depth 4).
    """
    max_size = check_int('max_size', max_size, 1)
    depth = _check_depth(depth)
    return [s for s in range(check_int('min_size', min_size, 1), max_size + 1)
            if _trace_sizes(s, depth) is not None]


def _smallest_valid_input(depth):
    size = 1
    while _trace_sizes(size, depth) is None:
        size += 1
    return size


def unet_margin(depth=4):
    """Pixels a valid U-Net loses on each side: ``(input − output) / 2``, 92 for depth 4.

    Args:
        depth (int): the U-Net's depth.

    Returns:
        int: the margin (the same for every valid input size).
    """
    smallest = _smallest_valid_input(_check_depth(depth))
    return (smallest - unet_output_size(smallest, depth)) // 2


def valid_padding(size, depth=4):
    """Mirror padding ``(before, after)`` of one axis that makes a valid U-Net's output cover
    ``size`` pixels: the margin before, the margin plus what reaches the next valid input after.

    Args:
        size (int): the image's size along the axis.
        depth (int): the U-Net's depth.

    Returns:
        tuple of int: ``(before, after)``; the output then starts at the image's first pixel.
    """
    margin = unet_margin(depth)
    return margin, nearest_valid_input_size(size + 2 * margin, depth, 'up') - size - margin


def nearest_valid_input_size(size, depth=4, direction='nearest'):
    """The valid input size closest to ``size``.

    Args:
        size (int): any size >= 1.
        depth (int): number of pooling steps.
        direction (str): ``'nearest'`` (ties go up), ``'up'`` (smallest valid >= size) or
            ``'down'`` (largest valid <= size).

    Returns:
        int: a valid input size.

    Raises:
        ValueError: ``direction='down'`` and no valid size is <= ``size``.
    """
    size = check_int('size', size, 1)
    depth = _check_depth(depth)
    if direction not in ('nearest', 'up', 'down'):
        raise ValueError("direction must be 'nearest', 'up' or 'down', got {!r}".format(direction))
    # valid sizes are one every 2^depth once the smallest is reached
    period = 2 ** depth
    smallest = _smallest_valid_input(depth)
    above = smallest if size <= smallest else smallest + -(-(size - smallest) // period) * period
    below = above - period if above > size else above
    if direction == 'up':
        return above
    if below < smallest:
        if direction == 'down':
            raise ValueError('no valid input size <= {} for depth {}; the smallest is {}'.format(
                size, depth, smallest))
        return above
    if direction == 'down':
        return below
    return below if size - below < above - size else above


def _invalid_size_message(size, depth):
    above = nearest_valid_input_size(size, depth, 'up')
    below = above - 2 ** depth
    if below >= _smallest_valid_input(depth):
        nearest = 'nearest valid sizes: {} and {}'.format(below, above)
    else:
        nearest = 'the smallest valid size is {}'.format(above)
    return ('input size {} is not valid for an unpadded U-Net of depth {} ({}; see '
            'seglearn.models.valid_input_sizes)'.format(size, depth, nearest))


class _ConvBlock(chainer.Chain):
    """Two 3×3 convolutions, each (+ batch norm) + ReLU. He-initialised."""

    def __init__(self, in_channels, out_channels, pad, batch_norm):
        super().__init__()
        self.batch_norm = batch_norm
        init = chainer.initializers.HeNormal()
        with self.init_scope():
            self.conv1 = links.Convolution2D(in_channels, out_channels, 3, 1, pad, initialW=init,
                                             nobias=batch_norm)
            self.conv2 = links.Convolution2D(out_channels, out_channels, 3, 1, pad, initialW=init,
                                             nobias=batch_norm)
            if batch_norm:
                self.bn1 = links.BatchNormalization(out_channels)
                self.bn2 = links.BatchNormalization(out_channels)

    def forward(self, x):
        h = self.conv2(self._relu(self.conv1(x), 'bn1'))
        return self._relu(h, 'bn2')

    def _relu(self, h, bn):
        """ReLU, after the batch norm ``bn`` if the block has one (fused with it)."""
        return getattr(self, bn)(h, relu=True) if self.batch_norm else functions.relu(h)


class _BilinearUp(chainer.Chain):
    """Fixed bilinear ×2 upsampling, then a 1×1 convolution to ``out_channels``."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        with self.init_scope():
            self.conv = links.Convolution2D(in_channels, out_channels, 1,
                                            initialW=chainer.initializers.HeNormal())

    def forward(self, x):
        return self.conv(upsample_bilinear(x, 2))


class UNet(SegmentationModel):
    """U-Net.

    Args:
        n_class (int): number of classes.
        in_channels (int): input channels (1 for the paper's grey-scale microscopy).
        depth (int): number of poolings (4 in the paper).
        base (int): channels of the first level (64 in the paper); level i has ``base·2^i``.
        padding (str): ``'valid'`` (paper: unpadded, output smaller than input) or ``'same'``.
        upsample (str): ``'deconv'`` (paper: 2×2 up-convolution) or ``'bilinear'``.
        dropout (float): dropout ratio on the bottom features (0 disables it).
        batch_norm (bool): batch normalisation after each 3×3 convolution.

    ``forward``: float32 (B, in_channels, H, W) 0–255 → logits (B, n_class, H', W') with
    ``H' = unet_output_size(H, depth)`` for ``'valid'`` and ``H' = H`` for ``'same'``.
    ``predict`` returns label maps at the input size for both paddings.
    """

    @classmethod
    def build_kwargs(cls, in_channels=None, width=1.0, depth=None, preset=()):
        """The zoo's options (:func:`seglearn.models.build`): ``base = 64·width`` channels at the
        first level; ``depth`` poolings (default 4)."""
        kwargs = {'base': scaled(64, check_positive('width', width))}
        if in_channels is not None:
            kwargs['in_channels'] = in_channels
        if depth is not None:
            kwargs['depth'] = depth
        return kwargs

    def __init__(self, n_class, in_channels=1, depth=4, base=64, padding='valid',
                 upsample='deconv', dropout=0.5, batch_norm=False):
        super().__init__()
        check_choice('padding', padding, _PADDINGS)
        check_choice('upsample', upsample, _UPSAMPLES)
        self.n_class = check_int('n_class', n_class, 1)
        self.in_channels = check_int('in_channels', in_channels, 1)
        self.depth = _check_depth(depth)
        self.base = check_int('base', base, 1)
        self.padding, self.upsample = padding, upsample
        self.dropout = check_ratio('dropout', dropout)
        self.batch_norm = bool(batch_norm)
        pad = 1 if padding == 'same' else 0
        channels = [self.base * 2 ** i for i in range(self.depth + 1)]
        init = chainer.initializers.HeNormal()
        with self.init_scope():
            self.down = chainer.ChainList(*[
                _ConvBlock(cin, cout, pad, batch_norm)
                for cin, cout in zip([self.in_channels] + channels[:-1], channels)])
            ups, blocks = [], []
            for cin, cout in zip(channels[:0:-1], channels[-2::-1]):
                ups.append(links.Deconvolution2D(cin, cout, 2, 2, initialW=init)
                           if upsample == 'deconv' else _BilinearUp(cin, cout))
                blocks.append(_ConvBlock(2 * cout, cout, pad, batch_norm))
            self.up = chainer.ChainList(*ups)
            self.up_blocks = chainer.ChainList(*blocks)
            self.final = links.Convolution2D(channels[0], self.n_class, 1, initialW=init)

    def output_size(self, size):
        """Output height/width for an input height/width (raises ValueError if invalid)."""
        if self.padding == 'valid':
            return unet_output_size(size, self.depth)
        size = check_int('size', size, 1)
        if size % 2 ** self.depth:
            raise ValueError('input size {} is not valid for a same-padded U-Net of depth {}: it '
                             'must be divisible by {} (e.g. {} or {})'.format(
                                 size, self.depth, 2 ** self.depth,
                                 max(2 ** self.depth, size // 2 ** self.depth * 2 ** self.depth),
                                 -(-size // 2 ** self.depth) * 2 ** self.depth))
        return size

    def forward(self, x):
        """Logits.

        Args:
            x: float32 (B, in_channels, H, W), 0–255; H and W valid sizes (see
                :meth:`output_size`).

        Returns:
            chainer.Variable: float32 (B, n_class, H', W').
        """
        self.check_input(x)
        for size in x.shape[2:]:
            self.output_size(size)
        h = x * (1.0 / 255)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h)
            if i < self.depth:
                skips.append(h)
                h = functions.max_pooling_2d(h, 2, 2)
        if self.dropout:
            h = functions.dropout(h, self.dropout)
        for up, block, skip in zip(self.up, self.up_blocks, reversed(skips)):
            h = up(h)
            h = block(functions.concat((center_crop(skip, h.shape[2:]), h), axis=1))
        return self.final(h)

    def predict_logits(self, x):
        """Logits at the input size: for ``'valid'``, the input is mirrored at the border
        (overlap-tile strategy, one tile) so that the output covers it, then cropped; for
        ``'same'``, it is mirrored to the next multiple of ``2^depth`` and cropped back."""
        h, w = x.shape[2:]
        if self.padding == 'valid':
            pads = [valid_padding(s, self.depth) for s in (h, w)]
        else:
            k = 2 ** self.depth
            pads = [(0, -(-s // k) * k - s) for s in (h, w)]
        x = mirror_pad(getattr(x, 'array', x), pads[0] + pads[1])
        return self.forward(x)[:, :, :h, :w]

