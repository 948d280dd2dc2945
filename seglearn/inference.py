"""Using a trained model: predict on images of any size, tile large images.

* :func:`predict` — one image of any size → int32 label map. Models that need particular input
  sizes are fed a mirror-padded image and their output is cropped back; U-Net with valid
  convolutions goes through :func:`overlap_tile_predict`.
* :func:`sliding_window_predict` — for images too large for memory: run the model on overlapping
  windows and average the softmax probabilities where windows overlap.
* :func:`overlap_tile_predict` — U-Net's own strategy (Ronneberger et al. 2015, Fig. 2): the
  output is cut into tiles, each predicted from its tile plus the context border the valid
  convolutions eat, with the image mirrored beyond its edges.

Images follow seglearn's convention: float32 CHW, RGB 0–255 (one channel for cells/EM).
"""
import chainer
import chainer.functions as F
import numpy

from seglearn import backend
from seglearn._checks import check_int, check_pair, is_int
from seglearn.models.common import logits_for_prediction
from seglearn.models.unet import nearest_valid_input_size, unet_margin, unet_output_size
from seglearn.transforms import mirror_pad


def _check_image(model, img):
    if not isinstance(model, chainer.Link):
        raise TypeError('model must be a chainer.Link (a segmentation model), got {}'.format(
            type(model).__name__))
    if not hasattr(img, 'shape') or not hasattr(img, 'dtype'):
        raise TypeError('img must be a NumPy or CuPy array, got {}'.format(type(img).__name__))
    img = backend.to_numpy(img)
    if img.ndim == 2:
        img = img[None]
    in_channels = getattr(model, 'in_channels', None)
    if img.ndim != 3 or (in_channels is not None and img.shape[0] != in_channels):
        raise ValueError('img must be a CHW array with C = {} (or HW for one channel); got shape '
                         '{}'.format(in_channels, img.shape))
    if min(img.shape[1:]) < 1:
        raise ValueError('img must have at least one pixel, got shape {}'.format(img.shape))
    if img.dtype.kind not in 'fiu':
        raise TypeError('img must hold numbers (float32, 0-255), got dtype {}'.format(img.dtype))
    return img.astype(numpy.float32, copy=False)


def _device_of(model, device):
    if device is not None:
        device = backend.get_device(device)
        model.to_device(device)
        return device
    return model.device


def _logits(model, img, device):
    """Logits (n_class, h, w), NumPy float32, for one CHW image (see
    :func:`seglearn.models.common.logits_for_prediction`)."""
    return backend.to_numpy(logits_for_prediction(model, device.send(img[None])))[0]


def _softmax(logits):
    return F.softmax(logits[None], axis=1).array[0]


def _finish(probs, return_probs):
    label = probs.argmax(axis=0).astype(numpy.int32)
    return (label, probs) if return_probs else label


def predict(model, img, device=None, return_probs=False):
    """Predict the label map of one image of any size.

    The model is asked for logits at the image size: seglearn models' ``predict_logits`` pads
    the input as they need (FC-DenseNet's five poolings want multiples of 32; a same-padded
    U-Net multiples of 2^depth, a valid U-Net mirrors the border as one overlap tile) and crops
    back; FCN handles any size itself.

    Args:
        model (chainer.Chain): ``forward(x)`` → logits (B, n_class, H, W).
        img (array): (C, H, W) float32 image (or (H, W) for one channel).
        device: device to run on (the model is moved there); None = the model's device.
        return_probs (bool): also return the softmax probabilities.

    Returns:
        numpy.ndarray: (H, W) int32 labels; with ``return_probs`` a pair (labels, probabilities
        (n_class, H, W) float32).

    Raises:
        TypeError: ``model`` is not a link, or ``img`` not an array of numbers.
        ValueError: the image has no pixels or does not fit the model's input channels, or the
            model's output size differs from its input size.
    """
    img = _check_image(model, img)
    device = _device_of(model, device)
    return _finish(_softmax(_logits(model, img, device)), return_probs)


def window_origins(size, window, stride):
    """Start offsets of sliding windows along one axis, the last one flush with the end.

    Args:
        size (int): length of the axis (>= window).
        window (int): window length.
        stride (int): step between windows.

    Returns:
        list of int: starts ``0, stride, 2·stride, …`` plus ``size − window`` if not reached.
    """
    if window > size:
        raise ValueError('window ({}) must not exceed the size ({})'.format(window, size))
    origins = list(range(0, size - window + 1, stride))
    if origins[-1] + window < size:
        origins.append(size - window)
    return origins


def coverage(shape, window, stride):
    """How many sliding windows cover each pixel.

    Args:
        shape (tuple): (H, W) image size (each >= the window's).
        window (int or tuple): window size.
        stride (int or tuple): step.

    Returns:
        numpy.ndarray: (H, W) int32 counts, all >= 1.
    """
    (wh, ww), (sh, sw) = check_pair('window', window), check_pair('stride', stride)
    counts = numpy.zeros(shape, numpy.int32)
    for y in window_origins(shape[0], wh, sh):
        for x in window_origins(shape[1], ww, sw):
            counts[y:y + wh, x:x + ww] += 1
    return counts


def sliding_window_predict(model, img, window, stride, n_class=None, device=None,
                           return_probs=False):
    """Predict a large image window by window, averaging probabilities where windows overlap.

    Windows of size ``window`` start every ``stride`` pixels (the last one flush with the image
    edge, :func:`window_origins`); each is predicted like :func:`predict` and its softmax
    probabilities are added up, then divided by :func:`coverage`. A window larger than the image
    is shrunk to the image (each window is padded as the model needs, as in :func:`predict`).

    Args:
        model (chainer.Chain): ``forward(x)`` → logits at the input size.
        img (array): (C, H, W) float32 image.
        window (int or tuple): window size (h, w).
        stride (int or tuple): step (h, w); ``stride < window`` makes windows overlap.
        n_class (int or None): number of classes; None = ``model.n_class``.
        device: device to run on; None = the model's device.
        return_probs (bool): also return the averaged probabilities.

    Returns:
        numpy.ndarray: (H, W) int32 labels (and (n_class, H, W) float32 probabilities).

    Raises:
        TypeError: ``model`` is not a link, or ``img`` not an array.
        ValueError: bad window/stride, a stride larger than the window (pixels would be
            missed), an image without pixels, or an ``n_class`` the model does not give.
    """
    img = _check_image(model, img)
    (wh, ww), (sh, sw) = check_pair('window', window), check_pair('stride', stride)
    if sh > wh or sw > ww:
        raise ValueError('stride {} must not exceed window {}: pixels between windows would get '
                         'no prediction'.format((sh, sw), (wh, ww)))
    n_class = check_int('n_class', n_class if n_class is not None else model.n_class, 1)
    device = _device_of(model, device)
    h, w = img.shape[1:]
    wh, ww = min(wh, h), min(ww, w)
    total = numpy.zeros((n_class, h, w), numpy.float32)
    for y in window_origins(h, wh, sh):
        for x in window_origins(w, ww, sw):
            probs = _softmax(_logits(model, img[:, y:y + wh, x:x + ww], device))
            if probs.shape[0] != n_class:
                raise ValueError('n_class is {} but the model gives {} class scores'.format(
                    n_class, probs.shape[0]))
            total[:, y:y + wh, x:x + ww] += probs
    probs = total / coverage((h, w), (wh, ww), (sh, sw))
    return _finish(probs, return_probs)


def _tile_size(name, value, margin, depth):
    if not is_int(value) or value < 1:
        raise ValueError('{} must be a positive int or a pair of them; got {!r}'.format(
            name, value))
    size = int(value) + 2 * margin
    if nearest_valid_input_size(size, depth, 'up') != size:
        up = nearest_valid_input_size(size, depth, 'up') - 2 * margin
        raise ValueError('{} {} is not a valid U-Net output size for depth {} (tile + {} must be '
                         'a valid input size); try {} or {}'.format(
                             name, value, depth, 2 * margin, max(up - 2 ** depth, 1), up))
    return int(value)


def overlap_tile_predict(unet, img, tile=None, device=None, return_probs=False):
    """U-Net's overlap-tile prediction (Ronneberger et al. 2015, Fig. 2).

    A U-Net with valid convolutions predicts a ``t × t`` output tile from a ``t + 2m`` input
    (``m = 92`` for depth 4: 572 → 388). The image is mirrored by ``m`` pixels at its border (and a
    little more at the bottom/right so whole tiles cover it); tiles then start every ``step``
    output pixels, where ``step`` is ``t`` rounded down to a multiple of ``2^depth`` so that every
    tile sees the same max-pooling grid. The result therefore equals one forward pass over the
    whole mirrored image, computed in pieces that fit in memory.

    Args:
        unet (seglearn.models.UNet): with ``padding='valid'`` (attributes ``depth``).
        img (array): (C, H, W) float32 image (or (H, W) for one channel).
        tile (int or tuple or None): output tile size (h, w), each a valid output size
            (``unet_output_size`` of a valid input, e.g. 388 for depth 4); None = one tile
            covering the image.
        device: device to run on; None = the model's device.
        return_probs (bool): also return the softmax probabilities.

    Returns:
        numpy.ndarray: (H, W) int32 labels (and (n_class, H, W) float32 probabilities).

    Raises:
        ValueError: the model is not a valid-padded U-Net, or a tile size is not a valid output
            size (the message suggests the nearest valid ones).
    """
    if getattr(unet, 'padding', None) != 'valid' or not hasattr(unet, 'depth'):
        raise ValueError('overlap_tile_predict needs a U-Net with padding="valid"; got {}'.format(
            type(unet).__name__))
    img = _check_image(unet, img)
    device = _device_of(unet, device)
    depth = unet.depth
    margin = unet_margin(depth)
    h, w = img.shape[1:]
    if tile is None:
        tile = tuple(unet_output_size(nearest_valid_input_size(s + 2 * margin, depth, 'up'), depth)
                     for s in (h, w))
    elif is_int(tile):
        tile = (tile, tile)
    if len(tile) != 2:
        raise ValueError('tile must be an int or a pair (h, w); got {!r}'.format(tile))
    th, tw = (_tile_size('tile', t, margin, depth) for t in tile)
    period = 2 ** depth
    steps = [t - t % period or t for t in (th, tw)]
    origins = [list(range(0, max(size - t, 0) + step, step))
               for size, t, step in zip((h, w), (th, tw), steps)]
    extent = [o[-1] + t for o, t in zip(origins, (th, tw))]
    padded = mirror_pad(img, (margin, extent[0] - h + margin, margin, extent[1] - w + margin))
    logits = numpy.zeros((unet.n_class, extent[0], extent[1]), numpy.float32)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        for y in origins[0]:
            for x in origins[1]:
                window = padded[None, :, y:y + th + 2 * margin, x:x + tw + 2 * margin]
                out = unet.forward(device.send(window))
                logits[:, y:y + th, x:x + tw] = backend.to_numpy(out)[0]
    return _finish(_softmax(logits[:, :h, :w]), return_probs)
