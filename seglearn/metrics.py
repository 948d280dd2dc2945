"""Segmentation metrics: the confusion matrix and the four numbers of the FCN paper.

Every metric of semantic segmentation is a function of one table, the *confusion matrix*
``C`` of shape ``(n_class, n_class)``: ``C[i, j]`` counts the pixels whose true class is ``i``
(row) and whose predicted class is ``j`` (column). Pixels labelled ``-1`` ("ignore", "void") are
left out. From ``C``, with ``row_i = Σ_j C[i, j]`` (true pixels of class i), ``col_j`` the column
sums (predicted pixels of class j) and ``total = Σ C``, Long et al. (FCN, 2015, Sec. 5) report:

* pixel accuracy          ``Σ_i C[i, i] / total``
* mean (class) accuracy   ``mean_i C[i, i] / row_i``
* mean IU (mIoU)          ``mean_i C[i, i] / (row_i + col_i − C[i, i])``
* frequency-weighted IU   ``Σ_i (row_i / total) · IU_i``

Classes that never occur get NaN and are left out of the means (``nanmean``): a class absent
from the truth has no accuracy; its IU is NaN only if it is *also* never predicted (predicting
a class that is not there gives IU 0, a real mistake).

The confusion matrix is built in one pass with ``bincount(n_class · gt + pred)``: each
(truth, prediction) pair becomes one index into the flattened table. The code is xp-agnostic, so
on a GPU the table is built on the device from CuPy arrays.

>>> import numpy as np
>>> gt = np.array([[0, 0, 1], [1, 1, -1]])
>>> pred = np.array([[0, 1, 1], [1, 0, 0]])
>>> confusion_matrix(pred, gt, 2)
array([[1, 1],
       [1, 2]])
>>> round(evaluate(pred, gt, 2)['pixel_accuracy'], 3)
0.6

:class:`SegmentationEvaluator` is a Chainer Trainer extension that reports these metrics (and
the validation loss) on a validation iterator at the end of each epoch.
"""
import copy

import chainer
import chainer.functions as F
import numpy
from chainer import backend as chainer_backend
from chainer.dataset import convert
from chainer.training import extensions
from scipy import ndimage

from seglearn import backend
from seglearn._checks import check_int, check_int_array, is_int


def _is_array(x):
    """Whether x is a NumPy or CuPy array (anything else is taken as a list of arrays)."""
    return hasattr(x, 'shape') and hasattr(x, 'dtype')


#: int: the most classes a confusion matrix may have. Its table holds ``n_class²`` int64 counts,
#: 128 MiB at 4,096 classes (far above the few hundred of segmentation benchmarks); 10**6
#: classes would need 7 TiB.
MAX_CLASSES = 4096


def _check_n_class(n_class):
    if not is_int(n_class) or n_class < 1:
        raise ValueError('n_class must be an int >= 1; got {!r}'.format(n_class))
    if n_class > MAX_CLASSES:
        raise ValueError('n_class must be <= {} (the confusion matrix holds n_class² counts); got '
                         '{}'.format(MAX_CLASSES, n_class))
    return int(n_class)


def _pair_counts(pred, gt, n_class):
    """Counts of one (pred, gt) pair and the number of invalid truth values, on the device.

    Returns:
        tuple: int64 ``(n_class * n_class,)`` counts and an int64 0-d count of ``gt`` values
        outside ``{-1} ∪ [0, n_class)``; no host synchronisation.
    """
    xp = backend.get_xp(gt)
    gt = gt.ravel().astype(xp.int64)
    pred = pred.ravel().astype(xp.int64)
    valid = (gt >= 0) & (gt < n_class)
    index = xp.where(valid, n_class * gt + pred, n_class * n_class)
    counts = xp.bincount(index, minlength=n_class * n_class + 1)[:n_class * n_class]
    invalid = ((gt != -1) & ~valid).sum()
    return counts, invalid


def _first_bad(x, bad):
    return int(backend.to_numpy(x[bad].ravel()[:1])[0])


def _checked_pair(pred, gt, n_class, where=''):
    xp = chainer_backend.get_array_module(pred, gt)
    pred = check_int_array('pred' + where, xp.asarray(pred))
    gt = check_int_array('gt' + where, xp.asarray(gt))
    if pred.shape != gt.shape:
        raise ValueError('pred{} and gt{} must have the same shape; got pred {} and gt {}'.format(
            where, where, pred.shape, gt.shape))
    bad = (gt != -1) & ((gt < 0) | (gt >= n_class))
    if bool(bad.any()):
        raise ValueError('gt{} holds {}, outside [0, n_class={}) and not the ignore label '
                         '-1'.format(where, _first_bad(gt, bad), n_class))
    bad = (pred < 0) | (pred >= n_class)
    if bool(bad.any()):
        raise ValueError('pred{} holds {}, outside [0, n_class={})'.format(
            where, _first_bad(pred, bad), n_class))
    return pred, gt


def confusion_matrix(pred, gt, n_class):
    """Confusion matrix of predicted against true labels.

    Args:
        pred: int array (any shape) of predicted class ids, or a list / iterable of such arrays.
        gt: int array of true class ids of the same shape as ``pred`` (``-1`` = ignore), or a
            list / iterable of arrays paired with ``pred`` (sizes may differ between pairs).
        n_class (int): number of classes.

    Returns:
        int64 array ``(n_class, n_class)``: rows = truth, columns = prediction. NumPy or CuPy,
        the module of the inputs (CuPy in → CuPy out, built on the GPU).

    Raises:
        TypeError: a float (or bool) array was given.
        ValueError: shapes differ, lists have different lengths, a value is outside
            ``[0, n_class)`` (other than ``-1`` in ``gt``), or ``n_class`` is above
            :data:`MAX_CLASSES`.
    """
    n_class = _check_n_class(n_class)
    if _is_array(pred) or _is_array(gt):
        pairs = [(pred, gt)]
        single = True
    else:
        pairs, single = _zip_pairs(pred, gt), False
    total = None
    for k, (p, g) in enumerate(pairs):
        p, g = _checked_pair(p, g, n_class, '' if single else '[{}]'.format(k))
        counts, _ = _pair_counts(p, g, n_class)
        total = counts if total is None else total + counts
    if total is None:
        return numpy.zeros((n_class, n_class), dtype=numpy.int64)
    return total.reshape(n_class, n_class)


def _zip_pairs(preds, gts):
    try:
        preds, gts = list(preds), list(gts)
    except TypeError:
        raise TypeError('pred and gt must be int arrays or lists of int arrays; got {} and '
                        '{}'.format(type(preds).__name__, type(gts).__name__)) from None
    if len(preds) != len(gts):
        raise ValueError('pred and gt must hold the same number of label maps; got {} and '
                         '{}'.format(len(preds), len(gts)))
    return list(zip(preds, gts))


def scores(confusion):
    """The FCN metrics of a confusion matrix.

    Args:
        confusion: ``(n_class, n_class)`` array of non-negative counts (rows = truth,
            columns = prediction), NumPy or CuPy.

    Returns:
        dict: ``pixel_accuracy``, ``mean_class_accuracy``, ``miou``, ``fwiou`` (Python floats)
        and ``iou``, ``class_accuracy`` (float64 NumPy arrays ``(n_class,)``). ``class_accuracy``
        is NaN for classes absent from the truth; ``iou`` is NaN only for classes absent from both
        truth and prediction; the means skip NaNs.

    Raises:
        ValueError: the matrix is not square, has NaN, infinite or negative entries, or counts
            no pixel at all.
    """
    conf = backend.to_numpy(confusion)
    if conf.ndim != 2 or conf.shape[0] != conf.shape[1] or conf.shape[0] == 0:
        raise ValueError('confusion must be a square (n_class, n_class) matrix; got shape '
                         '{}'.format(conf.shape))
    if conf.dtype.kind not in 'iuf':
        raise TypeError('confusion must hold numbers; got dtype {}'.format(conf.dtype))
    conf = conf.astype(numpy.float64)
    if not numpy.isfinite(conf).all():
        raise ValueError('confusion must hold finite counts; got NaN or infinity')
    if (conf < 0).any():
        raise ValueError('confusion must hold non-negative counts; got {}'.format(conf.min()))
    total = conf.sum()
    if total == 0:
        raise ValueError('the confusion matrix is empty: no pixel with a valid label (gt in '
                         '[0, n_class)) was counted, so no metric is defined')
    diag = numpy.diag(conf)
    rows, cols = conf.sum(axis=1), conf.sum(axis=0)
    with numpy.errstate(divide='ignore', invalid='ignore'):
        class_accuracy = numpy.where(rows > 0, diag / rows, numpy.nan)
        union = rows + cols - diag
        iou = numpy.where(union > 0, diag / union, numpy.nan)
    freq = rows / total
    present = freq > 0
    return {
        'pixel_accuracy': float(diag.sum() / total),
        'mean_class_accuracy': float(numpy.nanmean(class_accuracy)),
        'miou': float(numpy.nanmean(iou)),
        'fwiou': float((freq[present] * iou[present]).sum()),
        'iou': iou,
        'class_accuracy': class_accuracy,
    }


def evaluate(preds, gts, n_class):
    """The FCN metrics of predictions against ground truth.

    Args:
        preds: int array or list of int arrays of predicted class ids.
        gts: int array or list of int arrays of true class ids (``-1`` = ignore).
        n_class (int): number of classes.

    Returns:
        dict: as :func:`scores`.
    """
    return scores(confusion_matrix(preds, gts, n_class))


def _host_ids(name, ids):
    """A NumPy copy of an integer array (class or instance ids, NumPy or CuPy), or TypeError."""
    return check_int_array(name, numpy.asarray(backend.to_numpy(ids)))


def position_prior(labels, n_class):
    """The fixed mask that knows only where classes tend to be: the per-pixel majority class.

    A model that predicts this one mask for every image scores what position alone is worth; a
    segmentation model has learned to look at its input only when it beats it (and the
    all-background answer). Ties go to the lower class id; ignored pixels (``-1``) do not vote.

    Args:
        labels: int arrays of one shape (H, W) (or one (N, H, W) array), e.g. the training
            labels.
        n_class (int): number of classes.

    Returns:
        numpy.ndarray: int32 (H, W), the most frequent class at each pixel.

    Raises:
        ValueError: no labels, labels of different shapes, or class ids outside
            ``[-1, n_class)``.
    """
    n_class = _check_n_class(n_class)
    stack = [_host_ids('labels', label) for label in labels]
    if not stack:
        raise ValueError('position_prior needs at least one label map')
    if len({label.shape for label in stack}) != 1:
        raise ValueError('label maps must all have one shape; got {}'.format(
            sorted({label.shape for label in stack})))
    labels = numpy.stack(stack)
    if labels.min() < -1 or labels.max() >= n_class:
        raise ValueError('class ids must be in [-1, {}); got values from {} to {}'.format(
            n_class, labels.min(), labels.max()))
    votes = numpy.stack([(labels == c).sum(axis=0) for c in range(n_class)])
    return votes.argmax(axis=0).astype(numpy.int32)


def boundary_band(label, width=3):
    """The pixels within ``width`` pixels (chessboard distance) of a boundary between classes.

    A pixel is on a boundary when one of its 4-neighbours has another class (both sides of the
    boundary count); the band is that set dilated ``width`` times with a 3×3 square. Ignored
    pixels (``-1``) form boundaries like any class, and :func:`boundary_accuracy` leaves them out.

    Args:
        label: int array (H, W) of class ids (NumPy or CuPy; computed on the host).
        width (int): half-width of the band in pixels (0: the boundary pixels only).

    Returns:
        numpy.ndarray: bool (H, W).
    """
    width = check_int('width', width, 0)
    label = _host_ids('label', label)
    if label.ndim != 2:
        raise ValueError('label must be (H, W); got shape {}'.format(label.shape))
    edges = numpy.zeros(label.shape, bool)
    for axis in (0, 1):
        step = numpy.diff(label, axis=axis) != 0
        lo = [slice(None), slice(None)]
        hi = [slice(None), slice(None)]
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        edges[tuple(lo)] |= step
        edges[tuple(hi)] |= step
    if width and edges.any():
        edges = ndimage.binary_dilation(edges, numpy.ones((3, 3), bool), iterations=width)
    return edges


def boundary_accuracy(preds, gts, width=3):
    """Pixel accuracy inside the boundary bands of the true labels (a "trimap" evaluation).

    Skips and finer output strides are meant to improve boundaries, a small share of the pixels,
    so the mean IoU alone says little about them; this counts only the pixels within ``width``
    pixels of a true boundary (:func:`boundary_band`), pooled over all images. Ignored pixels are
    left out.

    Args:
        preds: int array (H, W) or list of them, predicted class ids.
        gts: int array (H, W) or list of them, true class ids (``-1`` = ignore).
        width (int): half-width of the band.

    Returns:
        float: correct band pixels / band pixels (NaN when no image has a boundary).
    """
    if _is_array(preds) and _is_array(gts):  # one image
        preds, gts = [preds], [gts]
    correct = total = 0
    for pred, gt in _zip_pairs(preds, gts):
        pred, gt = _host_ids('pred', pred), _host_ids('gt', gt)
        if pred.shape != gt.shape:
            raise ValueError('pred and gt must have one shape; got {} and {}'.format(
                pred.shape, gt.shape))
        band = boundary_band(gt, width) & (gt >= 0)
        correct += int((pred == gt)[band].sum())
        total += int(band.sum())
    return correct / total if total else float('nan')


class SegmentationEvaluator(extensions.Evaluator):
    """Trainer extension reporting mIoU, accuracies, fwIoU and loss on a validation set.

    For each batch ``(x, t)`` from the iterator (reset at the start of every evaluation) it runs
    ``model.forward(x)`` in test mode without backprop, takes the argmax of the logits and adds
    the batch to a confusion matrix kept on the device (one host transfer per evaluation). It
    reports, with ``validation`` replaced by the extension's name:

    * ``validation/main/miou``, ``…/pixel_accuracy``, ``…/mean_class_accuracy``, ``…/fwiou``
    * ``validation/main/loss``: softmax cross-entropy averaged over all non-ignored pixels of the
      whole set (not a mean of batch means)
    * ``validation/main/iou/<name>`` for each class when ``label_names`` is given (NaN when the
      class is neither present nor predicted).

    Args:
        iterator: a non-repeating Chainer iterator of ``(img, label)`` examples.
        model (chainer.Link): its ``forward(x)`` gives logits ``(B, n_class, H, W)`` at the
            label size.
        n_class (int): number of classes.
        device: where batches go (anything :func:`seglearn.backend.get_device` accepts); None =
            the model's device.
        label_names (list of str): optional class names for the per-class IoU keys.
        converter: batch converter, :func:`chainer.dataset.concat_examples` by default.

    Raises:
        ValueError: (during evaluation) logits and labels do not match in shape, or labels hold
            values outside ``{-1} ∪ [0, n_class)``.
    """

    def __init__(self, iterator, model, n_class, device=None, label_names=None,
                 converter=convert.concat_examples):
        self.n_class = _check_n_class(n_class)
        if label_names is not None:
            label_names = [str(name) for name in label_names]
            if len(label_names) != self.n_class:
                raise ValueError('label_names must have n_class={} names; got {}'.format(
                    self.n_class, len(label_names)))
        self.label_names = label_names
        if device is not None:
            device = backend.get_device(device)
        super().__init__(iterator, model, converter=converter, device=device)

    def evaluate(self):
        """Run one pass over the validation iterator.

        Returns:
            dict: the reported values, keyed ``<name>/main/<metric>``.
        """
        iterator = self._iterators['main']
        model = self._targets['main']
        device = self.device if self.device is not None else model.device
        if hasattr(iterator, 'reset'):
            iterator.reset()
        else:  # an old-style iterator: sweep a copy, as chainer's Evaluator does
            iterator = copy.copy(iterator)
        n = self.n_class
        xp = device.xp
        counts = xp.zeros(n * n, dtype=xp.int64)
        invalid = xp.zeros((), dtype=xp.int64)
        loss_sum = xp.zeros((), dtype=xp.float64)
        for batch in iterator:
            arrays = convert._call_converter(self.converter, batch, device)
            if not isinstance(arrays, tuple) or len(arrays) != 2:
                raise ValueError('SegmentationEvaluator needs batches of (img, label) pairs')
            x, t = arrays
            with chainer.using_config('train', False), chainer.no_backprop_mode():
                logits = model.forward(x)
            logits = logits.array if isinstance(logits, chainer.Variable) else logits
            if logits.ndim != 4 or logits.shape[1] != n or \
                    logits.shape[:1] + logits.shape[2:] != t.shape:
                raise ValueError('model.forward must give logits (B, n_class={}, H, W) matching '
                                 'labels (B, H, W); got logits {} for labels {}'.format(
                                     n, logits.shape, t.shape))
            batch_counts, batch_invalid = _pair_counts(logits.argmax(axis=1), t, n)
            counts += batch_counts
            invalid += batch_invalid
            t_safe = xp.where((t >= 0) & (t < n), t, -1).astype(xp.int32)
            with chainer.no_backprop_mode():
                loss = F.softmax_cross_entropy(logits, t_safe, reduce='no')
            loss_sum += loss.array.astype(xp.float64).sum()
        if int(invalid) > 0:
            raise ValueError('labels hold {} values outside [0, n_class={}) that are not the '
                             'ignore label -1'.format(int(invalid), n))
        conf = backend.to_numpy(counts).reshape(n, n)
        result = scores(conf)
        prefix = '{}/main/'.format(self.name if self.name is not None else self.default_name)
        report = {prefix + key: result[key]
                  for key in ('miou', 'pixel_accuracy', 'mean_class_accuracy', 'fwiou')}
        report[prefix + 'loss'] = float(loss_sum) / float(conf.sum())
        if self.label_names is not None:
            for name, value in zip(self.label_names, result['iou']):
                report[prefix + 'iou/' + name] = float(value)
        return report


def match_instances(pred_instances, true_instances, iou=0.5):
    """Match predicted to true instances one to one by IoU, as instance segmentation is scored.

    Counting connected components says how many blobs a model paints, not whether they are the
    cells: one blob over two cells and a stray speck elsewhere count as two. Here a predicted
    instance *matches* a true one when their intersection over union exceeds ``iou``. With
    ``iou >= 0.5`` the matching is one to one by itself: instances of one map are disjoint, so a
    true instance can overlap more than half of its union with at most one predicted instance
    (and vice versa), and no assignment step is needed. Lower thresholds would need one (several
    candidates per instance) and are refused.

    Args:
        pred_instances: int array (any shape) of predicted instance ids, ``0`` = background,
            e.g. ``scipy.ndimage.label(pred == 1)[0]``. Ids need not be consecutive.
        true_instances: int array of the same shape, the true instance ids (``0`` =
            background), e.g. ``CellsDataset.instances(i)``.
        iou (float): the threshold, ``0.5 <= iou < 1``; a pair matches when its IoU is above it.

    Returns:
        dict: ``matches``, a list of ``(pred_id, true_id, iou)`` sorted by true id;
        ``true_positives`` (matched pairs), ``false_positives`` (predicted instances without a
        match: spurious or merged blobs), ``false_negatives`` (true instances without a match:
        missed, merged or split), ``n_pred`` and ``n_true``.

    Raises:
        ValueError: shapes differ, an id is negative, or ``iou`` is outside ``[0.5, 1)``.
        TypeError: an array is not an integer array.
    """
    if isinstance(iou, bool) or not isinstance(iou, (int, float, numpy.integer, numpy.floating)) \
            or not 0.5 <= iou < 1:
        raise ValueError('iou must be a number with 0.5 <= iou < 1 (below 0.5 a one-to-one '
                         'matching needs an assignment step); got {!r}'.format(iou))
    pred = _host_ids('pred_instances', pred_instances)
    true = _host_ids('true_instances', true_instances)
    if pred.shape != true.shape:
        raise ValueError('pred_instances and true_instances must have one shape; got {} and '
                         '{}'.format(pred.shape, true.shape))
    for name, a in (('pred_instances', pred), ('true_instances', true)):
        if a.size and a.min() < 0:
            raise ValueError('{} must hold ids >= 0 (0 = background); got {}'.format(
                name, a.min()))
    pred, true = pred.ravel().astype(numpy.int64), true.ravel().astype(numpy.int64)
    pred_ids, pred_area = numpy.unique(pred[pred > 0], return_counts=True)
    true_ids, true_area = numpy.unique(true[true > 0], return_counts=True)
    both = (pred > 0) & (true > 0)
    p = numpy.searchsorted(pred_ids, pred[both])
    t = numpy.searchsorted(true_ids, true[both])
    pairs, inter = numpy.unique(p * max(len(true_ids), 1) + t, return_counts=True)
    p, t = numpy.divmod(pairs, max(len(true_ids), 1))
    ious = inter / (pred_area[p] + true_area[t] - inter)
    keep = ious > iou
    matches = sorted(((int(pred_ids[i]), int(true_ids[j]), float(v))
                      for i, j, v in zip(p[keep], t[keep], ious[keep])), key=lambda m: m[1])
    n = len(matches)
    return dict(matches=matches, true_positives=n, false_positives=len(pred_ids) - n,
                false_negatives=len(true_ids) - n, n_pred=len(pred_ids), n_true=len(true_ids))
