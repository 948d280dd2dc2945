"""VGG16 (Simonyan & Zisserman 2015), the backbone of FCN.

VGG16 is five stages of 3×3 convolutions (2, 2, 3, 3, 3 of them; 64, 128, 256, 512, 512
channels), each stage followed by a 2×2 max-pool, then fully connected layers ``fc6``
(512·7·7 → 4096) and ``fc7`` (4096 → 4096) — ``fc8`` (the 1000 ImageNet classes) is not needed for
segmentation and is left out. The layer names are those of Chainer's ``VGG16Layers`` and of the
Caffe model, so their weights load by name.

``width`` scales every channel count (``width=1/8`` gives 8, 16, 32, 64, 64 channels and fc 512),
which makes CPU demos fast; pretrained weights exist only for ``width=1``.

The ImageNet weights expect the Caffe convention: BGR images minus the mean BGR pixel
:data:`VGG_MEAN_BGR`. :func:`preprocess` does that inside the models, so seglearn's models take
RGB 0–255 images like every other part of the package; :func:`vgg_normalize` and
:func:`vgg_denormalize` do it (and undo it) on arrays, to look at what the network sees.

Weights are read from local files only (no download): Chainer's converted ``VGG16Layers`` npz
(keys ``conv1_1/W``, …, ``fc6/W`` of shape (4096, 25088)) or the original Caffe
``VGG_ILSVRC_16_layers.caffemodel``.
"""
import os
import sys

import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from seglearn import functions, links
from seglearn._checks import check_positive
from seglearn.models.common import scaled

#: tuple: number of 3×3 convolutions before each of VGG16's five poolings.
VGG16_STAGE_DEPTHS = (2, 2, 3, 3, 3)
#: tuple: channels of the five stages at ``width=1``.
STAGE_CHANNELS = (64, 128, 256, 512, 512)
#: int: width of fc6 and fc7 at ``width=1``.
FC_CHANNELS = 4096
#: tuple of str: the layers whose weights VGG16 checkpoints provide.
LAYER_NAMES = tuple('conv{}_{}'.format(i + 1, j + 1)
                    for i, n in enumerate(VGG16_STAGE_DEPTHS) for j in range(n)) + ('fc6', 'fc7')


def conv_specs(width=1.0, in_channels=3):
    """The 13 convolutions of VGG16 at a width.

    Returns:
        list of (name, in_channels, out_channels, stage): e.g. ``('conv1_1', 3, 64, 0)``.
    """
    specs = []
    for stage, (depth, channels) in enumerate(zip(VGG16_STAGE_DEPTHS, STAGE_CHANNELS)):
        for j in range(depth):
            out_channels = scaled(channels, width)
            specs.append(('conv{}_{}'.format(stage + 1, j + 1), in_channels, out_channels, stage))
            in_channels = out_channels
    return specs


#: tuple: per-channel ImageNet mean (B, G, R) of the Caffe VGG16 model, subtracted by FCN.
VGG_MEAN_BGR = (104.00698793, 116.66876762, 122.67891434)


def _mean(x):
    """:data:`VGG_MEAN_BGR` as a float32 (3, 1, 1) array on ``x``'s device."""
    xp = chainer.backend.get_array_module(x)
    return xp.asarray(VGG_MEAN_BGR, dtype=numpy.float32).reshape(3, 1, 1)


def preprocess(x):
    """RGB 0–255 → BGR minus the ImageNet mean, as the Caffe VGG16 weights expect (in a model).

    Args:
        x (array or chainer.Variable): float32 (B, 3, H, W), RGB, 0–255.

    Returns:
        chainer.Variable: float32 (B, 3, H, W), BGR, mean subtracted.
    """
    return F.flip(x, axis=1) - _mean(x)


def _check_rgb(x):
    if not hasattr(x, 'ndim') or x.ndim not in (3, 4) or x.shape[-3] != 3:
        raise ValueError('expected a (3, H, W) image or a (B, 3, H, W) batch; got {}'.format(
            getattr(x, 'shape', type(x).__name__)))
    if x.dtype.kind != 'f':
        raise TypeError('expected a float array; got dtype {}'.format(x.dtype))


def vgg_normalize(img):
    """RGB 0–255 → the input of Caffe's VGG16: BGR channel order minus :data:`VGG_MEAN_BGR`.

    Args:
        img: float array ``(3, H, W)`` or ``(B, 3, H, W)``, RGB 0–255 (NumPy or CuPy).

    Returns:
        float32 array of the same shape, BGR, zero-centred.
    """
    _check_rgb(img)
    return img[..., ::-1, :, :].astype(numpy.float32) - _mean(img)


def vgg_denormalize(x):
    """Inverse of :func:`vgg_normalize`: add the mean back and return to RGB.

    Args:
        x: float array ``(3, H, W)`` or ``(B, 3, H, W)``, BGR minus mean.

    Returns:
        float32 array of the same shape, RGB 0–255 (not clipped).
    """
    _check_rgb(x)
    return x[..., ::-1, :, :].astype(numpy.float32) + _mean(x)[::-1]


def load_weights(path):
    """Read VGG16 weights from a local file.

    Args:
        path (str): Chainer's converted ``VGG16Layers`` ``.npz`` or a Caffe ``.caffemodel``.

    Returns:
        dict: layer name (:data:`LAYER_NAMES`) → ``(W, b)`` NumPy float32 arrays as stored
        (``fc6/W`` of shape (4096, 25088)).

    Raises:
        FileNotFoundError: no such file.
        ImportError: a ``.caffemodel`` but protobuf cannot read Chainer's Caffe schema.
        ValueError: a layer is missing from the file, or the file is of neither format.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError('VGG16 weights not found: {!r} (seglearn never downloads them; '
                                'pass a local .npz or .caffemodel path)'.format(path))
    if path.endswith('.caffemodel'):
        arrays = _read_caffemodel(path)
    else:
        try:
            with numpy.load(path) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except (ValueError, OSError) as e:
            raise ValueError('cannot read {!r} as an npz of VGG16 weights (for a Caffe model use '
                             'the .caffemodel extension): {}'.format(path, e)) from e
    weights = {}
    for name in LAYER_NAMES:
        key_w, key_b = name + '/W', name + '/b'
        if key_w not in arrays or key_b not in arrays:
            raise ValueError('{!r} has no weights for layer {!r} (expected keys {!r} and {!r})'
                             .format(path, name, key_w, key_b))
        weights[name] = (numpy.asarray(arrays[key_w], numpy.float32),
                         numpy.asarray(arrays[key_b], numpy.float32))
    return weights


def _read_caffemodel(path):
    # Chainer's caffe_pb2 predates protobuf 4: it needs the pure-Python protobuf backend, which
    # can only be chosen before google.protobuf is first imported.
    if 'google.protobuf' not in sys.modules:
        os.environ.setdefault('PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION', 'python')
    try:
        from chainer.links.caffe import CaffeFunction
    except ImportError as e:
        raise ImportError('reading a .caffemodel needs the protobuf package: pip install '
                          'protobuf ({})'.format(e)) from e
    except TypeError as e:
        raise ImportError('this protobuf cannot read Chainer\'s Caffe schema; start Python with '
                          'PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python ({})'.format(e)) from e
    net = CaffeFunction(path)
    arrays = {}
    for name in LAYER_NAMES:
        if hasattr(net, name):
            layer = getattr(net, name)
            arrays[name + '/W'] = layer.W.array
            arrays[name + '/b'] = layer.b.array
    return arrays


def copy_weights(weights, chain, names=LAYER_NAMES):
    """Copy VGG16 weights into the links of ``chain`` with the same names.

    A fully connected weight is reshaped to the link's shape when only the layout differs: that is
    how FCN turns fc6 (4096, 25088) into a 7×7 convolution (4096, 512, 7, 7) and fc7 into a 1×1
    convolution.

    Args:
        weights (dict): name → (W, b), as :func:`load_weights` returns.
        chain (chainer.Chain): has links ``conv1_1`` … ``fc7`` (on any device).
        names (tuple of str): the layers to copy.

    Raises:
        ValueError: the shapes differ by more than the layout (e.g. ``width != 1``); the message
        names the layer and both shapes.
    """
    for name in names:
        link = getattr(chain, name)
        for param, array in zip((link.W, link.b), weights[name]):
            if param.array is None or param.size != array.size or param.shape[0] != array.shape[0]:
                raise ValueError('pretrained VGG16 weights do not fit layer {!r}: file has {} '
                                 'but the model has {} (pretrained weights need width=1)'.format(
                                     '{}/{}'.format(name, param.name), array.shape,
                                     None if param.array is None else param.shape))
            param.copydata(chainer.Variable(array.reshape(param.shape)))


class VGG16(chainer.Chain):
    """VGG16 classifier trunk: 13 convolutions (pad 1), 5 max-pools, fc6 and fc7.

    Args:
        width (float): channel multiplier (1 = the paper's 64…512 channels and fc 4096).
        pretrained (str or None): local path of weights (see :func:`load_weights`), or None for
            random initialisation.

    Attributes:
        channels (tuple of int): channels of the five stages.
        fc_channels (int): width of fc6/fc7.
    """

    def __init__(self, width=1.0, pretrained=None):
        super().__init__()
        width = check_positive('width', width)
        weights = None if pretrained is None else load_weights(pretrained)
        self.width = width
        specs = conv_specs(width)
        self.channels = tuple(scaled(c, width) for c in STAGE_CHANNELS)
        self.fc_channels = scaled(FC_CHANNELS, width)
        with self.init_scope():
            for name, cin, cout, _ in specs:
                setattr(self, name, links.Convolution2D(cin, cout, 3, 1, 1))
            self.fc6 = L.Linear(self.channels[-1] * 7 * 7, self.fc_channels)
            self.fc7 = L.Linear(self.fc_channels, self.fc_channels)
        if weights is not None:
            copy_weights(weights, self)

    def forward(self, x, layers=('fc7',)):
        """Features of the requested layers.

        Args:
            x (array or chainer.Variable): float32 (B, 3, H, W), already :func:`preprocess`-ed;
                H = W = 224 when fc6/fc7 are requested (pool5 must be 7×7).
            layers (tuple of str): any of ``conv1_1`` … ``conv5_3`` (after ReLU),
                ``pool1`` … ``pool5``, ``fc6``, ``fc7`` (after ReLU).

        Returns:
            dict: name → chainer.Variable.
        """
        unknown = set(layers) - set(LAYER_NAMES) - {'pool{}'.format(i) for i in range(1, 6)}
        if unknown:
            raise ValueError('unknown VGG16 layers {}; expected conv1_1 … conv5_3, pool1 … pool5, '
                             'fc6, fc7'.format(sorted(unknown)))
        out = {}
        h = x
        for stage, depth in enumerate(VGG16_STAGE_DEPTHS):
            for j in range(depth):
                name = 'conv{}_{}'.format(stage + 1, j + 1)
                h = out[name] = F.relu(getattr(self, name)(h))
            h = out['pool{}'.format(stage + 1)] = functions.max_pooling_2d(h, 2, 2)
            if set(layers) <= set(out):
                return {name: out[name] for name in layers}
        if h.shape[2:] != (7, 7):
            raise ValueError('fc6 needs pool5 of 7x7 (a 224x224 input), got pool5 of {}x{}'.format(
                *h.shape[2:]))
        h = out['fc6'] = F.relu(self.fc6(h))
        out['fc7'] = F.relu(self.fc7(F.dropout(h, 0.5)))
        return {name: out[name] for name in layers}
