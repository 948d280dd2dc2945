"""Losses for semantic segmentation: pixel-wise cross-entropy and the weights that go into it.

A segmentation network outputs one score vector per pixel, so the loss is the ordinary
softmax cross-entropy averaged (or summed) over pixels. Three papers of this course weight it:

* FCN sums the loss over pixels without normalising it (hence its tiny learning rates, 1e-10).
* U-Net multiplies each pixel's loss by a *weight map* that balances the classes and pushes
  the network to separate touching cells: :func:`unet_weight_map`.
* SegNet / FC-DenseNet balance classes by *median frequency*: :func:`median_frequency_weights`.

Everything here follows seglearn's conventions: logits (B, n_class, H, W), labels int32
(B, H, W) with -1 = ignore, float32 weights. :func:`pixel_cross_entropy` works on NumPy and CuPy
arrays alike; the two weight helpers are NumPy/SciPy preprocessing run once per image.
"""
import chainer
import chainer.functions as F
import numpy
from chainer.backend import get_array_module
from scipy import ndimage

from seglearn._checks import check_int_array


def _check_labels(labels, n_class, name='labels'):
    check_int_array(name, labels)
    if labels.size and (int(labels.min()) < -1 or int(labels.max()) >= n_class):
        bad = labels[(labels < -1) | (labels >= n_class)]
        raise ValueError('{} must lie in [0, {}) or be -1 (ignore); got {}'.format(
            name, n_class, int(bad[0])))


def pixel_cross_entropy(logits, labels, class_weight=None, weight_map=None, normalize=True):
    """Softmax cross-entropy per pixel, optionally weighted, ignoring label -1.

    With ``p_i = softmax(logits)[t_i]`` at pixel ``i`` of label ``t_i`` and the pixel weight
    ``w_i = class_weight[t_i] · weight_map_i`` (a missing factor is 1), the loss is::

        normalize=True:   L = −Σ_i w_i log p_i / N      N = number of pixels with t_i ≠ −1
        normalize=False:  L = −Σ_i w_i log p_i

    Pixels with ``t_i = −1`` contribute nothing and are not counted in ``N`` (an all-ignored
    batch gives 0). ``normalize=True`` is the convention of ``F.softmax_cross_entropy``
    (it divides by the pixel count, not by ``Σ w_i``, as PyTorch does); ``normalize=False`` is
    the FCN reference's unnormalised loss (Chainer's own ``normalize=False`` divides by the batch
    size B instead; with FCN's batch 1 the two agree).

    Args:
        logits (chainer.Variable or array): (B, n_class, H, W) float scores.
        labels (array): (B, H, W) integer labels in [0, n_class) or -1, same device as logits.
        class_weight (array or None): (n_class,) weight per class.
        weight_map (array or None): (B, H, W) weight per pixel (e.g. :func:`unet_weight_map`);
            treated as a constant (no gradient).
        normalize (bool): divide by the number of non-ignored pixels (True) or not (False).

    Returns:
        chainer.Variable: scalar loss of the logits' dtype.

    Raises:
        ValueError: shapes that do not match, or labels outside [0, n_class) ∪ {-1}.
        TypeError: non-integer labels.
    """
    logits = chainer.as_variable(logits)
    if logits.ndim != 4:
        raise ValueError('logits must have shape (B, n_class, H, W); got shape {}'.format(
            logits.shape))
    b, n_class, h, w = logits.shape
    xp = get_array_module(logits)
    if isinstance(labels, chainer.Variable):
        labels = labels.array
    if labels.shape != (b, h, w):
        raise ValueError('labels must have shape (B, H, W) = {}; got {}'.format(
            (b, h, w), labels.shape))
    _check_labels(labels, n_class)

    t = labels.reshape(-1).astype(numpy.int32)
    valid = t != -1
    safe_t = xp.where(valid, t, 0)
    weight = valid.astype(logits.dtype)
    if class_weight is not None:
        class_weight = xp.asarray(class_weight, dtype=logits.dtype)
        if class_weight.shape != (n_class,):
            raise ValueError('class_weight must have shape (n_class,) = ({},); got {}'.format(
                n_class, class_weight.shape))
        weight *= class_weight[safe_t]
    if weight_map is not None:
        if isinstance(weight_map, chainer.Variable):
            weight_map = weight_map.array
        if weight_map.shape != (b, h, w):
            raise ValueError('weight_map must have shape (B, H, W) = {}; got {}'.format(
                (b, h, w), weight_map.shape))
        weight *= weight_map.reshape(-1).astype(logits.dtype)

    log_p = F.log_softmax(logits, axis=1)
    log_p = F.reshape(F.transpose(log_p, (0, 2, 3, 1)), (-1, n_class))
    loss = -F.sum(F.select_item(log_p, safe_t) * weight)
    if normalize:
        loss = loss / float(max(int(valid.sum()), 1))
    return loss


def balanced_class_weights(labels, n_class):
    """Inverse-frequency class weights normalised so that the mean pixel weight is 1.

    ``w_c = N / (K · n_c)`` with ``n_c`` the pixels of class c, ``N`` all non-ignored pixels and
    ``K`` the number of classes present; absent classes get 0. Every present class then carries
    the same total weight ``N / K``, and ``Σ_pixels w = N``.

    Args:
        labels (numpy.ndarray): integer label array of any shape, -1 = ignore.
        n_class (int): number of classes.

    Returns:
        numpy.ndarray: (n_class,) float32.
    """
    labels = numpy.asarray(labels)
    _check_labels(labels, n_class)
    counts = numpy.bincount(labels[labels >= 0].ravel(), minlength=n_class).astype(numpy.float64)
    present = counts > 0
    weights = numpy.zeros(n_class, numpy.float64)
    weights[present] = counts.sum() / (present.sum() * counts[present])
    return weights.astype(numpy.float32)


def instance_distances(instances):
    """Distance from every pixel to the nearest and second-nearest instance.

    One Euclidean distance transform per instance (``scipy.ndimage.distance_transform_edt``):
    simple and exact, fine for the small images of the course (memory K·H·W for K instances).

    Args:
        instances (numpy.ndarray): (H, W) integer instance ids, 0 = background.

    Returns:
        tuple: ``(d1, d2)`` float64 (H, W); ``inf`` where fewer than one (two) instances exist.
        Inside an instance its own distance is 0.
    """
    ids = numpy.unique(instances)
    ids = ids[ids != 0]
    shape = instances.shape
    if len(ids) == 0:
        return numpy.full(shape, numpy.inf), numpy.full(shape, numpy.inf)
    dist = numpy.stack([ndimage.distance_transform_edt(instances != k) for k in ids])
    if len(ids) == 1:
        return dist[0], numpy.full(shape, numpy.inf)
    two = numpy.partition(dist, 1, axis=0)[:2]
    return two[0], two[1]


def unet_weight_map(instances, w0=10, sigma=5, class_weights=None):
    """The U-Net loss weight map (Ronneberger et al. 2015, eq. 2).

    ``w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))`` where ``d1``, ``d2`` are the
    distances to the border of the nearest and the second-nearest cell. The second term is
    applied on background pixels only (as in the paper's Fig. 3d): it is large in the thin gaps
    between touching cells (close to ``w0`` when both distances are about one pixel) and vanishes
    far from cells or when there are fewer than two cells.

    ``w_c`` balances the two classes (background, cell): by default
    :func:`balanced_class_weights` (inverse frequency, mean weight 1; 1 everywhere when the image
    has a single class).

    Args:
        instances (numpy.ndarray): (H, W) integer instance ids, 0 = background, one id per cell.
        w0 (float): weight of the border term (paper: 10).
        sigma (float): its width in pixels (paper: about 5).
        class_weights (sequence or None): (background, cell) weights replacing the default w_c.

    Returns:
        numpy.ndarray: (H, W) float32 weight map.

    Raises:
        ValueError: not a 2-D array, negative ids, sigma ≤ 0, or class_weights not of length 2.
        TypeError: non-integer instance ids.
    """
    instances = numpy.asarray(instances)
    if instances.ndim != 2:
        raise ValueError('instances must be a 2-D (H, W) array; got shape {}'.format(
            instances.shape))
    check_int_array('instances', instances)
    if instances.size and instances.min() < 0:
        raise ValueError('instances must be >= 0 (0 = background); got {}'.format(
            instances.min()))
    if not sigma > 0:
        raise ValueError('sigma must be > 0; got {}'.format(sigma))
    cells = (instances > 0).astype(numpy.int32)
    if class_weights is None:
        class_weights = balanced_class_weights(cells, 2)
        if (class_weights == 0).any():  # one class only: nothing to balance
            class_weights = numpy.ones(2, numpy.float32)
    class_weights = numpy.asarray(class_weights, numpy.float64)
    if class_weights.shape != (2,):
        raise ValueError('class_weights must be (background, cell) weights of length 2; '
                         'got shape {}'.format(class_weights.shape))
    w = class_weights[cells]
    d1, d2 = instance_distances(instances)
    background = cells == 0
    with numpy.errstate(invalid='ignore', over='ignore'):
        border = w0 * numpy.exp(-(d1 + d2) ** 2 / (2.0 * sigma ** 2))
    w[background] += border[background]
    return w.astype(numpy.float32)


def median_frequency_weights(labels, n_class):
    """Median frequency class balancing (Eigen & Fergus 2015; used by SegNet and FC-DenseNet).

    ``freq(c) = pixels of class c / pixels of the images in which c is present`` and
    ``weight(c) = median_c' freq(c') / freq(c)``, the median over the classes present. Classes
    never present get weight 0; pixels labelled -1 are counted nowhere.

    Args:
        labels: (N, H, W) integer array, or an iterable of (H, W) label maps (sizes may differ).
        n_class (int): number of classes.

    Returns:
        numpy.ndarray: (n_class,) float32 weights.

    Raises:
        ValueError: labels outside [0, n_class) ∪ {-1}, or no label map at all.
    """
    if isinstance(labels, numpy.ndarray) and labels.ndim == 2:
        labels = [labels]
    class_pixels = numpy.zeros(n_class, numpy.float64)
    image_pixels = numpy.zeros(n_class, numpy.float64)
    n = 0
    for label in labels:
        label = numpy.asarray(label)
        _check_labels(label, n_class)
        counts = numpy.bincount(label[label >= 0].ravel(), minlength=n_class)
        class_pixels += counts
        image_pixels[counts > 0] += counts.sum()
        n += 1
    if n == 0:
        raise ValueError('labels must contain at least one label map; got none')
    present = class_pixels > 0
    weights = numpy.zeros(n_class, numpy.float64)
    if present.any():
        freq = class_pixels[present] / image_pixels[present]
        weights[present] = numpy.median(freq) / freq
    return weights.astype(numpy.float32)
