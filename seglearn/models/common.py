"""What every seglearn segmentation model shares.

* :class:`SegmentationModel` — the base ``chainer.Chain``: input checks, and ``predict`` that turns
  images into int32 label maps (argmax over the class axis of ``forward``'s logits).
* :func:`logits_for_prediction` — the one path every prediction takes, ``model.predict`` and
  the functions of :mod:`seglearn.inference` alike.
* :func:`crop` / :func:`center_crop` — the spatial crops of FCN and U-Net.
* :func:`scaled` — a channel count times a width multiplier.
* :class:`BilinearUpsampling2D` — a transposed convolution with a fixed bilinear kernel, as FCN
  uses for its upsampling layers.

All code here is xp-agnostic: the same model runs on NumPy and on CuPy arrays.
"""
import math

import chainer
import numpy

from seglearn import functions, links, upsampling
from seglearn._checks import check_int, check_positive
from seglearn.functions.separable import separable_deconvolution_2d


def scaled(channels, width):
    """``channels · width`` rounded to an int >= 1 (how a width multiplier narrows a layer).

    Raises:
        ValueError: the product is not a finite number.
    """
    product = channels * width
    if not math.isfinite(product):
        raise ValueError('{} channels times width {} is not a finite number'.format(
            channels, width))
    return max(1, int(round(product)))


def crop(x, offset, size):
    """Crop the last two axes of ``x`` to ``size`` starting at ``offset`` (like Caffe's Crop).

    Args:
        x (chainer.Variable or array): (B, C, H, W).
        offset (int or tuple of int): top-left corner ``(oy, ox)``, or one int for both.
        size (tuple of int): ``(h, w)`` of the result.

    Returns:
        chainer.Variable or array (as ``x``): (B, C, h, w).
    """
    oy, ox = (offset, offset) if isinstance(offset, int) else offset
    h, w = size
    if (oy, ox) == (0, 0) and (h, w) == tuple(x.shape[2:]):
        return x  # nothing to cut: no slice and no gradient copy
    if oy < 0 or ox < 0 or oy + h > x.shape[2] or ox + w > x.shape[3]:
        raise ValueError('cannot crop {}x{} at offset ({}, {}) from a map of size {}x{}'.format(
            h, w, oy, ox, x.shape[2], x.shape[3]))
    if isinstance(x, chainer.Variable):
        return functions.crop(x, (oy, ox), (h, w))
    return x[:, :, oy:oy + h, ox:ox + w]


def center_crop(x, size):
    """Crop the centre ``size = (h, w)`` of the last two axes of ``x`` (U-Net's skip crop).

    When the margin is odd the extra row/column is dropped at the bottom/right.

    Returns:
        chainer.Variable or array (as ``x``): (B, C, h, w).
    """
    h, w = size
    return crop(x, ((x.shape[2] - h) // 2, (x.shape[3] - w) // 2), size)


class BilinearUpsampling2D(links.Deconvolution2D):
    """Transposed convolution with a fixed bilinear kernel and no bias (FCN's upsampling).

    The kernel is :func:`seglearn.upsampling.bilinear_kernel` on the channel diagonal. It is
    registered as a *persistent* array, not as a parameter: optimizers and their hooks (weight
    decay, gradient clipping) never see it, so it stays bilinear however the model is trained, yet
    it is saved/loaded by ``chainer.serializers`` and moved by ``to_device`` with the model. (The
    FCN reference code fixes these layers too: ``lr_mult: 0``.)

    On the CPU it runs as two small matrix products per channel, because the kernel is separable
    and channel-diagonal (:func:`seglearn.functions.separable.separable_deconvolution_2d`, taken
    when :func:`seglearn.functions.use_fast_path` holds). On the GPU, with
    :data:`seglearn.config.fast_cpu` off, or once ``W`` has been overwritten with anything but the
    bilinear kernel, it is the ordinary transposed convolution with ``W``. The 1-D weights are the
    plain attribute ``weights_1d`` (not saved: model files hold ``W`` only).

    Args:
        channels (int): input = output channels.
        ksize (int): kernel size (``2·stride`` upsamples exactly ×stride without padding loss).
        stride (int): upsampling factor.
        pad (int): padding removed from each border of the output.

    Input (B, channels, H, W) → output (B, channels, stride·(H−1) + ksize − 2·pad, …).
    """

    def __init__(self, channels, ksize, stride, pad=0):
        channels = check_int('channels', channels, 1)
        # sized (and checked against a parameter budget) by the parent before the kernel is made
        super().__init__(channels, channels, ksize, stride, pad, nobias=True,
                         initialW=chainer.initializers.Zero())
        kernel = self.W.array
        kernel[...] = upsampling.bilinear_kernel(channels, channels, ksize)
        del self.W
        self.add_persistent('W', kernel)
        self.weights_1d = upsampling.bilinear_weights_1d(ksize)

    def _is_bilinear(self):
        """Whether ``W`` (NumPy) is still the bilinear kernel built from ``weights_1d``.

        Reads ``W`` once: the diagonal blocks must equal ``outer(w, w)`` and the number of
        nonzero bit patterns must be theirs, so everything off the diagonal is +0.
        """
        W = self.W
        block = numpy.outer(self.weights_1d, self.weights_1d)
        if W.ndim != 4 or W.shape[0] != W.shape[1] or W.shape[2:] != block.shape:
            return False
        bits = W.view(numpy.dtype('i{}'.format(W.itemsize)))  # an integer count is ~10x faster
        return (numpy.count_nonzero(bits) == W.shape[0] * numpy.count_nonzero(block)
                and (numpy.diagonal(W, axis1=0, axis2=1) == block[:, :, None]).all())

    def forward(self, x):
        if functions.use_fast_path(x, self.W) and self._is_bilinear():
            return separable_deconvolution_2d(x, self.weights_1d, self.stride, self.pad,
                                              self.outsize)
        return functions.deconvolution_2d(x, self.W, None, self.stride, self.pad, self.outsize,
                                          dilate=self.dilate, groups=self.groups)


def logits_for_prediction(model, x):
    """Logits at the input size, for prediction: ``train=False`` and no backprop graph.

    seglearn models answer through ``predict_logits(x)``, which pads the input as the model needs
    (FC-DenseNet, same-padded U-Net) or mirrors it (valid U-Net) and crops back; any other chain
    through ``forward(x)``, whose output must then have the input's size.

    Args:
        model (chainer.Link): ``predict_logits(x)`` or ``forward(x)`` → (B, n_class, H', W').
        x: float32 (B, C, H, W) array on the model's device.

    Returns:
        array: (B, n_class, H, W) logits on the model's device.

    Raises:
        ValueError: the logits do not have the input's size.
    """
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        y = getattr(model, 'predict_logits', model.forward)(x)
    if y.shape[2:] != x.shape[2:]:
        raise ValueError('{} gives outputs of size {} for inputs of size {}; predict needs logits '
                         'at the input size (give the model a predict_logits method)'.format(
                             type(model).__name__, tuple(y.shape[2:]), tuple(x.shape[2:])))
    return getattr(y, 'array', y)  # a chain may return a bare array


class SegmentationModel(chainer.Chain):
    """Base class of seglearn's models.

    Subclasses set ``n_class`` and ``in_channels`` and implement ``forward(x)``:
    ``x`` float32 (B, in_channels, H, W) → logits float32 (B, n_class, H', W'). They keep every
    constructor argument as an attribute of the same name (so a saved model can be rebuilt,
    :func:`seglearn.serialization.save_model`), except those listed in ``init_only_args``, which
    only choose initial weights that a checkpoint overrides.
    """

    n_class = None
    in_channels = None  # a class-level value: the only number of input channels the model takes
    init_only_args = ()

    @classmethod
    def build_kwargs(cls, in_channels=None, width=1.0, depth=None, preset=()):
        """Constructor arguments for the model zoo's common options (:func:`seglearn.models.build`).

        Each family reads ``width`` (a channel multiplier) and ``depth`` its own way and overrides
        this; here ``in_channels`` is passed on when given, and only the defaults ``width=1``,
        ``depth=None`` are accepted. ``preset`` (a dict) is the zoo entry's constructor arguments,
        for a family whose width scales one of them.

        Raises:
            ValueError: an option the model does not have.
        """
        if check_positive('width', width) != 1.0 or depth is not None:
            raise ValueError('{} has no width or depth option; got width={!r}, depth={!r}'.format(
                cls.__name__, width, depth))
        return {} if in_channels is None else {'in_channels': in_channels}

    def check_input(self, x):
        """Raise a clear error unless ``x`` is a float32 (B, in_channels, H, W) batch.

        Raises:
            TypeError: ``x`` has no shape or is not float32 (Chainer would refuse float64 with
                an ``InvalidType`` that does not name the argument).
            ValueError: wrong number of axes, channels or an empty batch/map.
        """
        shape = getattr(x, 'shape', None)
        if shape is None:
            raise TypeError('x must be an array or Variable of shape (B, {}, H, W), got {}'.format(
                self.in_channels, type(x).__name__))
        if len(shape) != 4:
            raise ValueError('x must have 4 axes (B, C, H, W) with C = {}; got shape {}'.format(
                self.in_channels, tuple(shape)))
        if shape[1] != self.in_channels:
            raise ValueError('{} expects {} input channel(s), got x of shape {}'.format(
                type(self).__name__, self.in_channels, tuple(shape)))
        if min(shape) < 1:
            raise ValueError('x must not be empty, got shape {}'.format(tuple(shape)))
        if numpy.dtype(x.dtype) != numpy.float32:
            raise TypeError('x must be float32 (floating point, as the weights of {}), got dtype '
                            '{}: convert it with x.astype(numpy.float32)'.format(
                                type(self).__name__, x.dtype))

    def predict_logits(self, x):
        """Logits (B, n_class, H, W) at the input size, for prediction.

        ``forward`` by default; models whose output is smaller than their input (valid U-Net)
        override it to pad first.
        """
        return self.forward(x)

    def predict(self, imgs):
        """Label maps for images: the argmax of :func:`logits_for_prediction`, batch by batch.

        :func:`seglearn.inference.predict` takes the same path for one image, and can also
        return the probabilities or move the model to a device.

        Args:
            imgs: a list of float32 CHW arrays (NumPy or CuPy; sizes may differ), or a float
                (B, C, H, W) array. They are sent to the model's device.

        Returns:
            list of numpy.ndarray: one int32 (H, W) label map per image, at the image's size.
        """
        if hasattr(imgs, 'ndim'):
            if imgs.ndim != 4:
                raise ValueError('imgs must be a list of CHW arrays or a (B, C, H, W) array; got '
                                 'an array of shape {} (wrap a single image in a list)'.format(
                                     imgs.shape))
            batches = [imgs]
        else:
            batches = []
            for i, img in enumerate(imgs):
                if getattr(img, 'ndim', None) != 3:
                    raise ValueError('imgs[{}] must be a CHW array, got {}'.format(
                        i, getattr(img, 'shape', type(img).__name__)))
                batches.append(img[None])
        labels = []
        cpu = chainer.backend.CpuDevice()
        for batch in batches:
            x = self.device.send(batch)
            if numpy.dtype(x.dtype).kind != 'f':
                raise TypeError('images must be floating point, got dtype {}'.format(x.dtype))
            logits = logits_for_prediction(self, x.astype(numpy.float32, copy=False))
            labels.extend(cpu.send(logits.argmax(axis=1).astype(numpy.int32)))
        return labels
