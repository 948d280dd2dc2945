"""Fully Convolutional Networks (Long, Shelhamer & Darrell, CVPR 2015 / TPAMI 2017).

FCN turns the VGG16 classifier into a dense predictor:

* the fully connected layers become convolutions — fc6 a 7×7 convolution 512 → 4096 (pad 0) whose
  weights are VGG16's (4096, 25088) matrix reshaped to (4096, 512, 7, 7), fc7 a 1×1 convolution
  4096 → 4096 — each followed by ReLU and dropout (0.5, as in VGG16 and the reference code;
  ``dropout=0`` turns it off);
* ``score_fr``, a 1×1 convolution, gives class scores at 1/32 of the input resolution;
* transposed convolutions with fixed bilinear kernels upsample the scores back
  (:class:`~seglearn.models.common.BilinearUpsampling2D`: not trainable, never touched by the
  optimizer or weight decay);
* conv1_1 has pad=100 so that inputs of any size survive the 7×7 fc6, and max-pooling uses ceil
  mode (Chainer's ``cover_all=True``, as Caffe); the crops that undo the padding come from
  :func:`fcn_crop_offsets`, derived from coordinate maps (:mod:`seglearn.arithmetic`) of the
  layer stack :data:`FCN_VGG16_LAYERS`. The output then has exactly the input's size, for every
  size.

Variants (upsampling ``(ksize, stride)`` from :data:`FCN_UPSAMPLING`):

* :class:`FCN32s` — score_fr upsampled ×32 in one step (k64 s32), crop 19.
* :class:`FCN16s` — score_fr ×2 (k4 s2) + scores of pool4 (crop 5), then ×16 (k32 s16), crop 27.
* :class:`FCN8s` — as FCN16s, then ×2 (k4 s2) + scores of pool3 (crop 9), then ×8 (k16 s8),
  crop 31.
* :class:`FCN8sAtOnce` — FCN-8s trained in one stage: pool4 is scaled by 0.01 and pool3 by 0.0001
  before their score layers.

Without ``pretrained`` weights, conv1_1 … fc7 start from He's N(0, 2/fan_in) (He et al. 2015),
as U-Net's and FC-DenseNet's convolutions do: Chainer's default LeCun N(0, 1/fan_in) halves the
signal's variance at every ReLU layer, and after fifteen of them almost nothing reaches the score
layer of a network trained from scratch. The paper never meets this: it fine-tunes ImageNet VGG16.

The new score layers (``score_fr``, ``score_pool4``, ``score_pool3``) start at zero. Trained in
stages (``FCN16s.init_from(fcn32s)``, ``FCN8s.init_from(fcn16s)``), a new model starts from the
coarser one's scores: its skip branch adds exactly zero, so the fused coarse scores equal the
source model's upsampled ×2, and the prediction differs only by interpolating in two steps instead
of one.

Paper results (VOC2011 val subset; pixel acc. / mean acc. / mean IU / f.w. IU): FCN-32s
89.1 / 73.3 / 59.4 / 81.4, FCN-16s 90.0 / 75.7 / 62.4 / 83.0, FCN-8s 90.3 / 75.9 / 62.7 / 83.2.

The models take RGB 0–255 images (the package convention) and apply VGG's preprocessing (BGR minus
the ImageNet mean, :func:`seglearn.models.vgg.preprocess`) inside ``forward``.
"""
import chainer

from seglearn import functions, links
from seglearn._checks import check_int, check_positive, check_ratio
from seglearn.arithmetic import Conv, Deconv, Pool, crop_offset
from seglearn.models import vgg
from seglearn.models.common import BilinearUpsampling2D, SegmentationModel, crop


# -- geometry: the layer stacks, and the crops derived from them ------------------------------

def _vgg16_fcn_layers():
    """Geometry of VGG16-FCN up to each pool and to the score layer (conv1_1 pad=100)."""
    stacks = {}
    layers = []
    for i, n_conv in enumerate(vgg.VGG16_STAGE_DEPTHS):
        for j in range(n_conv):
            layers.append(Conv(3, 1, 100 if (i, j) == (0, 0) else 1))
        layers.append(Pool(2, 2))
        stacks['pool{}'.format(i + 1)] = tuple(layers)
    # fc6 (7x7, pad 0), fc7 (1x1), score_fr (1x1)
    stacks['score_fr'] = tuple(layers) + (Conv(7), Conv(1), Conv(1))
    return stacks


#: dict: VGG16-FCN layer geometry from the input to ``'pool1'`` … ``'pool5'`` and to
#: ``'score_fr'`` (pool5 + fc6 7×7 + fc7 1×1 + score 1×1); a score layer on a pool is a 1×1
#: convolution and does not change the geometry.
FCN_VGG16_LAYERS = _vgg16_fcn_layers()

#: dict: the upsampling transposed convolutions of each FCN variant, coarse to fine (no padding;
#: the crops undo the offsets instead).
FCN_UPSAMPLING = {
    'fcn32s': (Deconv(64, 32),),
    'fcn16s': (Deconv(4, 2), Deconv(32, 16)),
    'fcn8s': (Deconv(4, 2), Deconv(4, 2), Deconv(16, 8)),
}


def fcn_crop_offsets(variant):
    """Crop offsets of an FCN variant, derived from coordinate maps of its layer stack.

    The coarsest scores (``score_fr``) are upsampled step by step; at each step the skip scores of
    the next finer pool (pool4, then pool3) are cropped to align with the upsampled scores, and
    the last upsampling is cropped to align with the input.

    Args:
        variant (str): ``'fcn32s'``, ``'fcn16s'`` or ``'fcn8s'``.

    Returns:
        tuple of int: skip crops (pool4, then pool3) followed by the final crop:
        ``(19,)``, ``(5, 27)``, ``(5, 9, 31)``.

    Raises:
        ValueError: for an unknown variant (TypeError if it is not a str).
    """
    if not isinstance(variant, str) or variant not in FCN_UPSAMPLING:
        error = ValueError if isinstance(variant, str) else TypeError
        raise error('unknown FCN variant {!r}; expected one of {}'.format(
            variant, sorted(FCN_UPSAMPLING)))
    upsampling = FCN_UPSAMPLING[variant]
    # after the k-th upsampling (but the last), the scores of pool (5 - k) are fused in
    skips = ['pool{}'.format(4 - k) for k in range(len(upsampling) - 1)]
    fused = FCN_VGG16_LAYERS['score_fr']
    offsets = []
    for deconv, skip in zip(upsampling, skips):
        fused = fused + (deconv,)
        c = crop_offset(FCN_VGG16_LAYERS[skip], reference=fused)
        offsets.append(c)
    offsets.append(crop_offset(fused + (upsampling[-1],)))
    return tuple(offsets)


# -- the models -------------------------------------------------------------------------------


def _score_layer(in_channels, n_class):
    return links.Convolution2D(in_channels, n_class, 1, initialW=chainer.initializers.Zero(),
                               initial_bias=chainer.initializers.Zero())


class _FCN(SegmentationModel):
    """VGG16-FCN trunk shared by the variants: conv1_1 … fc7 and score_fr.

    Args:
        n_class (int): number of classes.
        width (float): channel multiplier of VGG16 (1 = the paper).
        dropout (float): dropout ratio after fc6 and after fc7, in [0, 1) (0.5 as in VGG16 and
            the reference code; 0 turns dropout off).
        pretrained (str or None): local path of VGG16 weights (see
            :func:`seglearn.models.vgg.load_weights`); conv1_1 … fc7 are initialised from it,
            otherwise from He's N(0, 2/fan_in) (biases zero).

    Attributes:
        n_class (int), in_channels (int, 3), width (float), dropout (float).
        crop_offsets (tuple of int): the crops this variant applies, from
            :func:`fcn_crop_offsets`.
    """

    variant = None
    in_channels = 3  # RGB only: the VGG16 weights and mean are for colour images
    pool4_scale = 1.0
    pool3_scale = 1.0
    init_only_args = ('pretrained',)

    @classmethod
    def build_kwargs(cls, in_channels=None, width=1.0, depth=None, preset=()):
        """The zoo's options (:func:`seglearn.models.build`): ``width`` is VGG16's channel
        multiplier; FCN takes RGB images only and has no depth option."""
        if in_channels not in (None, 3):
            raise ValueError('{} takes RGB images: in_channels must be 3, got {!r}'.format(
                cls.__name__, in_channels))
        if depth is not None:
            raise ValueError('{} has no depth option; got depth={!r}'.format(cls.__name__, depth))
        return {'width': check_positive('width', width)}

    def __init__(self, n_class, width=1.0, dropout=0.5, pretrained=None):
        super().__init__()
        self.n_class = check_int('n_class', n_class, 1)
        self.width = check_positive('width', width)
        self.dropout = check_ratio('dropout', dropout)
        weights = None if pretrained is None else vgg.load_weights(pretrained)
        self.crop_offsets = fcn_crop_offsets(self.variant)
        specs = vgg.conv_specs(self.width)
        channels = [cout for _, _, cout, _ in specs]
        self.pool3_channels, self.pool4_channels = channels[6], channels[9]
        fc = vgg.scaled(vgg.FC_CHANNELS, self.width)
        he = chainer.initializers.HeNormal()
        with self.init_scope():
            for name, cin, cout, _ in specs:
                setattr(self, name, links.Convolution2D(
                    cin, cout, 3, 1, 100 if name == 'conv1_1' else 1, initialW=he))
            self.fc6 = links.Convolution2D(channels[-1], fc, 7, initialW=he)
            self.fc7 = links.Convolution2D(fc, fc, 1, initialW=he)
            self.score_fr = _score_layer(fc, self.n_class)
            self._build_head()
        if weights is not None:
            vgg.copy_weights(weights, self)

    def _build_head(self):
        raise NotImplementedError

    def _upsampling(self, i):
        ksize, stride, _ = FCN_UPSAMPLING[self.variant][i]
        return BilinearUpsampling2D(self.n_class, ksize, stride)

    def features(self, x):
        """Run VGG16-FCN up to the coarse scores.

        Args:
            x: float32 (B, 3, H, W), RGB 0–255.

        Returns:
            tuple of chainer.Variable: ``(pool3, pool4, score_fr)``.
        """
        h = vgg.preprocess(x)
        pools = []
        for name, _, _, stage in vgg.conv_specs(self.width):
            h = functions.relu(getattr(self, name)(h))
            if name.endswith('_{}'.format(vgg.VGG16_STAGE_DEPTHS[stage])):
                h = functions.max_pooling_2d(h, 2, 2, cover_all=True)  # ceil mode, as Caffe
                pools.append(h)
        for fc in (self.fc6, self.fc7):
            h = functions.relu(fc(h))
            if self.dropout:
                h = functions.dropout(h, self.dropout)
        return pools[2], pools[3], self.score_fr(h)

    def forward(self, x):
        """Class scores at the input size.

        Args:
            x: float32 (B, 3, H, W), RGB 0–255, any H, W >= 1.

        Returns:
            chainer.Variable: float32 (B, n_class, H, W) logits.
        """
        self.check_input(x)
        pool3, pool4, score = self.features(x)
        return self._decode(pool3, pool4, score, x.shape[2:])

    def _fuse(self, upscore, pool, score_layer, scale, offset):
        """``upscore`` + scores of ``pool`` (scaled, scored, cropped to align with upscore)."""
        if scale != 1.0:
            pool = pool * scale
        return upscore + crop(score_layer(pool), offset, upscore.shape[2:])

    @classmethod
    def init_from(cls, source):
        """A new model of this class initialised from the previous stage (staged training).

        Every layer the two models share (conv1_1 … fc7, score_fr, and score_pool4 for FCN-8s)
        is copied; the new score layer stays zero.

        Args:
            source: an :class:`FCN32s` (for ``FCN16s.init_from``) or :class:`FCN16s` (for
                ``FCN8s.init_from``).

        Returns:
            a new model on the source's device, with its ``n_class``, ``width`` and ``dropout``.
        """
        expected = _STAGE_SOURCE.get(cls)
        if expected is None:
            raise TypeError('{}.init_from is not defined; use FCN16s.init_from(fcn32s) or '
                            'FCN8s.init_from(fcn16s)'.format(cls.__name__))
        if type(source) is not expected:
            raise TypeError('{}.init_from expects an {}, got {}'.format(
                cls.__name__, expected.__name__, type(source).__name__))
        model = cls(source.n_class, width=source.width, dropout=source.dropout)
        model.to_device(source.device)
        shared = dict(source.namedparams())
        for path, param in model.namedparams():
            if path in shared:
                param.copydata(shared[path])
        return model


class FCN32s(_FCN):
    """FCN-32s: score_fr upsampled ×32 (k64 s32, fixed bilinear) and cropped by 19.

    Args: see :class:`_FCN` (``n_class, width=1.0, pretrained=None``).
    """

    variant = 'fcn32s'

    def _build_head(self):
        self.upscore = self._upsampling(0)

    def _decode(self, pool3, pool4, score, size):
        return crop(self.upscore(score), self.crop_offsets[0], size)


class FCN16s(_FCN):
    """FCN-16s: score_fr ×2 + pool4 scores (crop 5), then ×16 and cropped by 27.

    Args: see :class:`_FCN`. Staged training: :meth:`init_from` an :class:`FCN32s`.
    """

    variant = 'fcn16s'

    def _build_head(self):
        self.score_pool4 = _score_layer(self.pool4_channels, self.n_class)
        self.upscore2 = self._upsampling(0)
        self.upscore16 = self._upsampling(1)

    def _decode(self, pool3, pool4, score, size):
        h = self._fuse(self.upscore2(score), pool4, self.score_pool4, self.pool4_scale,
                       self.crop_offsets[0])
        return crop(self.upscore16(h), self.crop_offsets[1], size)


class FCN8s(_FCN):
    """FCN-8s: as FCN-16s, then ×2 + pool3 scores (crop 9), then ×8 and cropped by 31.

    Args: see :class:`_FCN`. Staged training: :meth:`init_from` an :class:`FCN16s`.
    """

    variant = 'fcn8s'

    def _build_head(self):
        self.score_pool4 = _score_layer(self.pool4_channels, self.n_class)
        self.score_pool3 = _score_layer(self.pool3_channels, self.n_class)
        self.upscore2 = self._upsampling(0)
        self.upscore_pool4 = self._upsampling(1)
        self.upscore8 = self._upsampling(2)

    def _decode(self, pool3, pool4, score, size):
        h = self._fuse(self.upscore2(score), pool4, self.score_pool4, self.pool4_scale,
                       self.crop_offsets[0])
        h = self._fuse(self.upscore_pool4(h), pool3, self.score_pool3, self.pool3_scale,
                       self.crop_offsets[1])
        return crop(self.upscore8(h), self.crop_offsets[2], size)


class FCN8sAtOnce(FCN8s):
    """FCN-8s trained in one stage: pool4 ×0.01 and pool3 ×0.0001 before their score layers.

    The scaling keeps the skips from dominating early training (the reference "at-once" model);
    otherwise identical to :class:`FCN8s`. Args: see :class:`_FCN`.
    """

    pool4_scale = 0.01
    pool3_scale = 0.0001


_STAGE_SOURCE = {FCN16s: FCN32s, FCN8s: FCN16s}
