"""Using a trained model: predict on images of any size, tile large images, save and load models.

* :func:`predict` — one image of any size → int32 label map. Models that need particular input
  sizes are fed a mirror-padded image and their output is cropped back; U-Net with valid
  convolutions goes through :func:`overlap_tile_predict`.
* :func:`sliding_window_predict` — for images too large for memory: run the model on overlapping
  windows and average the softmax probabilities where windows overlap.
* :func:`overlap_tile_predict` — U-Net's own strategy (Ronneberger et al. 2015, Fig. 2): the
  output is cut into tiles, each predicted from its tile plus the context border the valid
  convolutions eat, with the image mirrored beyond its edges.
* :func:`save_model` / :func:`load_model` — ``chainer.serializers.save_npz`` plus a header with
  the model's class and constructor arguments, so a file alone rebuilds the model.

Images follow seglearn's convention: float32 CHW, RGB 0–255 (one channel for cells/EM).
"""
import importlib
import inspect
import json
import os
import tempfile
import warnings

import chainer
import chainer.functions as F
import numpy

from seglearn import backend
from seglearn._checks import check_pair, is_int
from seglearn.models.unet import unet_margin

HEADER_KEY = '_seglearn_header'


class UnrecordedArgumentWarning(UserWarning):
    """:func:`save_model` could not read a constructor argument and records its default."""


# -- saving and loading -----------------------------------------------------------------------

def atomic_save(path, write):
    """Write a file so that it is never seen half-written.

    ``write(f)`` writes into a temporary file opened in binary mode in the target's folder; the
    file is then flushed to disk and renamed over ``path`` with ``os.replace`` (atomic). If
    ``write`` raises (or the process dies) the previous file at ``path`` is left untouched and the
    temporary file is removed (when the process survives).

    Args:
        path (str): target file.
        write (callable): ``write(file_object)``.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp',
                               dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _constructor_kwargs(model, given):
    """Constructor arguments: ``given`` first, then the model's attributes of the same names."""
    kwargs, defaulted = {}, []
    for name, param in inspect.signature(type(model).__init__).parameters.items():
        if name == 'self' or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in getattr(model, 'init_only_args', ()):
            continue  # it only chose initial weights; the checkpoint holds the trained ones
        if name in given:
            kwargs[name] = given[name]
            continue
        if hasattr(model, name):
            value = getattr(model, name)
            if isinstance(value, numpy.generic):
                value = value.item()
            if isinstance(value, (list, tuple)):
                value = list(value)
            if value is None or isinstance(value, (bool, int, float, str, list)):
                kwargs[name] = value
                continue
        if param.default is param.empty:
            raise ValueError('cannot record the constructor argument {!r} of {}: the model has no '
                             'attribute of that name holding a plain value; pass kwargs= to '
                             'save_model'.format(name, type(model).__name__))
        defaulted.append(name)
    if defaulted:
        warnings.warn('{} has no attributes {}: load_model will rebuild it with their default '
                      'values (pass kwargs= to save_model if they differ)'.format(
                          type(model).__name__, ', '.join(defaulted)),
                      UnrecordedArgumentWarning)
    return kwargs


def save_model(model, path, kwargs=None):
    """Save a model's parameters with a header that lets :func:`load_model` rebuild it.

    The file is an ordinary ``chainer.serializers.save_npz`` archive (so ``load_npz`` into an
    existing model still works) with one extra entry, a JSON header
    ``{"module", "class", "kwargs"}``. The constructor arguments are read from the model's
    attributes of the same names (``n_class``, ``width``, ``depth``, …) except those given in
    ``kwargs``; an optional argument found in neither is left to its default, with a
    :class:`UnrecordedArgumentWarning`. The file is written atomically (:func:`atomic_save`).
    The class must be importable (defined at module level).

    Args:
        model (chainer.Link): the model.
        path (str): file to write, usually ``*.npz``.
        kwargs (dict or None): constructor arguments that override (or complete) those read
            from the model's attributes.

    Raises:
        ValueError: a required constructor argument cannot be found, or kwargs is not
            JSON-serialisable.
    """
    if not isinstance(model, chainer.Link):
        raise TypeError('model must be a chainer.Link; got {}'.format(type(model).__name__))
    kwargs = _constructor_kwargs(model, dict(kwargs or {}))
    header = {'module': type(model).__module__, 'class': type(model).__qualname__,
              'kwargs': kwargs}
    try:
        header = json.dumps(header)
    except TypeError as error:
        raise ValueError('kwargs must be JSON-serialisable: {}'.format(error)) from None
    serializer = chainer.serializers.DictionarySerializer()
    serializer.save(model)
    target = dict(serializer.target)
    target[HEADER_KEY] = numpy.array(header)
    atomic_save(path, lambda f: numpy.savez_compressed(f, **target))


def read_header(path):
    """The header written by :func:`save_model` (None for a plain Chainer npz).

    Args:
        path (str): an npz file.

    Returns:
        dict or None: ``{"module", "class", "kwargs"}``.
    """
    with numpy.load(path, allow_pickle=False) as npz:
        if HEADER_KEY not in npz.files:
            return None
        return json.loads(str(npz[HEADER_KEY][()]))


def _build(header, path):
    try:
        cls = importlib.import_module(header['module'])
        for part in header['class'].split('.'):
            cls = getattr(cls, part)
    except (ImportError, AttributeError):
        raise ValueError('cannot find the class {} of module {} named in {}; import it, build the '
                         'model and call load_model(path, model=...)'.format(
                             header['class'], header['module'], path)) from None
    try:
        return cls(**header['kwargs'])
    except (TypeError, ValueError) as error:
        raise ValueError('cannot rebuild {} from the header of {}: {}'.format(
            header['class'], path, error)) from None


def _check_fits(model, npz, prefix, path):
    """Raise a ValueError naming every array (parameter or persistent such as batch-norm
    statistics) that the checkpoint lacks, has in another shape, or has but the model lacks."""
    serializer = chainer.serializers.DictionarySerializer(path=prefix)
    serializer.save(model)
    expected = serializer.target
    problems = []
    for key, value in expected.items():
        if key not in npz.files:
            problems.append('{} is missing from the checkpoint'.format(key))
        elif value.dtype != object and npz[key].shape != value.shape:
            problems.append('{} has shape {} in the checkpoint but {} in the model'.format(
                key, npz[key].shape, value.shape))
    for key in npz.files:
        if key.startswith(prefix) and key != HEADER_KEY and key not in expected:
            problems.append('{} is in the checkpoint but not in the model'.format(key))
    if problems:
        raise ValueError('checkpoint {} does not fit {}: {}{}'.format(
            path, type(model).__name__, '; '.join(problems[:5]),
            ' (and {} more)'.format(len(problems) - 5) if len(problems) > 5 else ''))


def load_model(path, model=None, device=None):
    """Load a model saved by :func:`save_model` (or weights into a given model).

    Args:
        path (str): a file from :func:`save_model`, a plain ``save_npz`` file of a model, or a
            trainer snapshot of :func:`seglearn.training.make_trainer` (then ``model`` is needed).
        model (chainer.Link or None): load into this model; None = rebuild it from the header.
        device: where to put the model (anything :func:`seglearn.backend.get_device` accepts);
            None = leave it on the CPU.

    Returns:
        chainer.Link: the model.

    Raises:
        FileNotFoundError: no such file.
        ValueError: no header and no model, or the checkpoint does not fit the model (the
            message names the parameter and both shapes).
    """
    if isinstance(path, chainer.Link) and isinstance(model, (str, os.PathLike)):
        path, model = model, path  # load_model(model, path) also works
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError('model file not found: {}'.format(path))
    if model is None:
        header = read_header(path)
        if header is None:
            raise ValueError('{} has no seglearn header (it was not written by save_model); '
                             'build the model and call load_model(path, model=...)'.format(path))
        model = _build(header, path)
    with numpy.load(path, allow_pickle=False) as npz:
        prefix = ''
        snapshot_prefix = 'updater/model:main/model/'
        if any(key.startswith(snapshot_prefix) for key in npz.files):
            prefix = snapshot_prefix
        _check_fits(model, npz, prefix, path)
    try:
        chainer.serializers.load_npz(path, model, path=prefix)
    except (KeyError, ValueError) as error:
        raise ValueError('checkpoint {} does not fit {}: {}'.format(
            path, type(model).__name__, error)) from None
    if device is not None:
        model.to_device(backend.get_device(device))
    return model


# -- prediction -------------------------------------------------------------------------------

def _check_image(model, img):
    img = backend.to_numpy(img)
    if img.ndim == 2:
        img = img[None]
    in_channels = getattr(model, 'in_channels', None)
    if img.ndim != 3 or (in_channels is not None and img.shape[0] != in_channels):
        raise ValueError('img must be a CHW array with C = {} (or HW for one channel); got shape '
                         '{}'.format(in_channels, img.shape))
    return img.astype(numpy.float32, copy=False)


def _device_of(model, device):
    if device is not None:
        device = backend.get_device(device)
        model.to_device(device)
        return device
    return model.device


def _logits(model, img, device):
    """Logits (n_class, h, w), NumPy float32, for one CHW image.

    seglearn models have ``predict_logits(x)``: logits at the input size, padding the input as
    the model needs (FC-DenseNet, same-padded U-Net) or mirroring it (valid U-Net). Other chains
    are called through ``forward``, whose output must then have the input size.
    """
    h, w = img.shape[1:]
    x = device.send(img[None])
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        y = getattr(model, 'predict_logits', model.forward)(x)
    y = backend.to_numpy(y)[0]
    if y.shape[1:] != (h, w):
        raise ValueError('{} gives outputs of size {} for inputs of size {}; predict needs logits '
                         'at the input size (give the model a predict_logits method)'.format(
                             type(model).__name__, y.shape[1:], (h, w)))
    return y


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
        ValueError: the image does not fit the model's input channels, or the model's output
            size differs from its input size.
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
        ValueError: bad window/stride, or a stride larger than the window (pixels would be
            missed).
    """
    img = _check_image(model, img)
    (wh, ww), (sh, sw) = check_pair('window', window), check_pair('stride', stride)
    if sh > wh or sw > ww:
        raise ValueError('stride {} must not exceed window {}: pixels between windows would get '
                         'no prediction'.format((sh, sw), (wh, ww)))
    n_class = n_class if n_class is not None else model.n_class
    device = _device_of(model, device)
    h, w = img.shape[1:]
    wh, ww = min(wh, h), min(ww, w)
    total = numpy.zeros((n_class, h, w), numpy.float32)
    for y in window_origins(h, wh, sh):
        for x in window_origins(w, ww, sw):
            probs = _softmax(_logits(model, img[:, y:y + wh, x:x + ww], device))
            total[:, y:y + wh, x:x + ww] += probs
    probs = total / coverage((h, w), (wh, ww), (sh, sw))
    return _finish(probs, return_probs)


def _tile_size(name, value, margin, depth):
    from seglearn.models.unet import nearest_valid_input_size
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
    from seglearn.models.unet import nearest_valid_input_size, unet_output_size
    from seglearn.transforms import mirror_pad
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
