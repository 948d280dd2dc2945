"""Exercises of chapters 00-04: each accepts a correct answer written differently from the
reference and rejects typical wrong answers (written here, independently of the specs)."""
import math

import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from seglearn.exercises import FAILED, PASSED, get_exercise, grade


def _grade(name, fn):
    return grade(get_exercise(name), fn)


# --------------------------------------------------------------------------- ch00

def alt_to_chw(img):
    h, w, c = img.shape
    out = numpy.empty((c, h, w), dtype=numpy.float32)
    for k in range(c):
        out[k] = img[:, :, k]
    return out


def alt_class_counts(label, n_class):
    return numpy.array([int((label == c).sum()) for c in range(n_class)])


# --------------------------------------------------------------------------- ch01

def alt_resize_label_nearest(label, size):
    """Loops with the other tie-break (round half down)."""
    H, W = label.shape
    h, w = size
    out = numpy.empty((h, w), dtype=numpy.int64)
    for i in range(h):
        r = math.ceil((i + 0.5) * H / h - 1 - 1e-9)
        r = min(max(r, 0), H - 1)
        for j in range(w):
            c = math.ceil((j + 0.5) * W / w - 1 - 1e-9)
            out[i, j] = label[r, min(max(c, 0), W - 1)]
    return out


def alt_resize_label_nearest_scipy(label, size):
    from scipy import ndimage
    H, W = label.shape
    h, w = size
    rows = numpy.clip(numpy.floor((numpy.arange(h) + 0.5) * H / h), 0, H - 1).astype(int)
    cols = numpy.clip(numpy.floor((numpy.arange(w) + 0.5) * W / w), 0, W - 1).astype(int)
    return ndimage.map_coordinates(label, numpy.meshgrid(rows, cols, indexing='ij'), order=0)


def alt_confusion_matrix(pred, gt, n_class):
    out = numpy.zeros((n_class, n_class), dtype=numpy.int32)
    for t, p in zip(gt.ravel(), pred.ravel()):
        if t >= 0:
            out[t, p] += 1
    return out


def alt_mean_iou(pred, gt, n_class):
    keep = gt >= 0
    p, g = pred[keep], gt[keep]
    ious = []
    for c in range(n_class):
        union = numpy.logical_or(p == c, g == c).sum()
        if union:
            ious.append(numpy.logical_and(p == c, g == c).sum() / union)
    return sum(ious) / len(ious)


# --------------------------------------------------------------------------- ch02

def alt_softmax(x, axis=1):
    xp = chainer.backend.get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    log_z = xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return xp.exp(shifted - log_z).astype(xp.float32)


def alt_one_hot(label, n_class):
    xp = chainer.backend.get_array_module(label)
    out = xp.zeros((n_class + 1,) + label.shape, dtype=xp.float32)
    idx = xp.where(label < 0, n_class, label)
    yy, xx = xp.indices(label.shape)
    out[idx, yy, xx] = 1
    return out[:n_class]


def alt_count_params(link):
    return sum(int(numpy.prod(p.shape)) for _, p in link.namedparams())


# --------------------------------------------------------------------------- ch03

def alt_round_trip_sizes(ksize, stride, pad, max_size):
    """Both sizes by counting windows and stamps, then compare."""
    out = []
    for n in range(1, max_size + 1):
        windows, start = 0, 0
        while start + ksize <= n + 2 * pad:
            windows += 1
            start += stride
        if windows and (windows - 1) * stride + ksize - 2 * pad == n:
            out.append(n)
    return out


def alt_round_trip_sizes_progression(ksize, stride, pad, max_size):
    """The smallest size that fits the kernel, then every stride-th one."""
    first = max(1, ksize - 2 * pad)
    first += (ksize - 2 * pad - first) % stride
    return list(range(first, max_size + 1, stride))


def alt_deconv_params_for_scale(scale):
    if scale % 2:
        return [2 * scale - 1, scale, (scale - 1) // 2]       # a list is fine
    return 2 * scale, scale, scale // 2


def alt_deconv_params_for_scale_search(scale):
    """Search k <= 2·scale for a triangle whose phases have equal sums (no chapter formula)."""
    for k in range(2 * scale, 0, -1):
        if (k - scale) % 2 or k < scale:
            continue
        f = (k + 1) // 2
        c = (k - 1) / 2
        w = [1 - abs(i - c) / f for i in range(k)]
        sums = [sum(w[r::scale]) for r in range(scale)]
        if max(sums) - min(sums) < 1e-9 and (k > scale or scale == 1):
            return (k, scale, (k - scale) // 2)


def alt_transposed_conv(x, W, stride, pad):
    """Zero insertion, full padding, correlation with the flipped kernel."""
    c_in, h, w = x.shape
    k = W.shape[2]
    up = numpy.zeros((c_in, stride * (h - 1) + 1, stride * (w - 1) + 1), numpy.float32)
    up[:, ::stride, ::stride] = x
    up = numpy.pad(up, ((0, 0), (k - 1, k - 1), (k - 1, k - 1)))
    flipped = W[:, :, ::-1, ::-1]
    H, Wd = up.shape[1] - k + 1, up.shape[2] - k + 1
    out = numpy.zeros((W.shape[1], H, Wd), numpy.float32)
    for a in range(k):
        for b in range(k):
            out += numpy.einsum('chw,co->ohw', up[:, a:a + H, b:b + Wd], flipped[:, :, a, b])
    return out[:, pad:H - pad, pad:Wd - pad]


# --------------------------------------------------------------------------- ch04

def alt_bilinear_weights_1d(ksize):
    f = math.ceil(ksize / 2)
    return numpy.array([max(0.0, 1 - abs(i - (ksize - 1) / 2) / f) for i in range(ksize)],
                       dtype=numpy.float32)


def alt_bilinear_kernel(in_channels, out_channels, ksize):
    w = alt_bilinear_weights_1d(ksize).astype(numpy.float32)
    return (numpy.eye(in_channels, out_channels, dtype=numpy.float32)[:, :, None, None]
            * (w[:, None] * w[None, :]))


def alt_bilinear_upsample(x, scale):
    """Stamp triangles by hand (no Chainer)."""
    k = 2 * scale - scale % 2
    p = scale // 2
    tri = alt_bilinear_weights_1d(k)
    kernel = numpy.outer(tri, tri)
    h, w = x.shape
    full = numpy.zeros((scale * (h - 1) + k, scale * (w - 1) + k))
    for i in range(h):
        for j in range(w):
            full[i * scale:i * scale + k, j * scale:j * scale + k] += x[i, j] * kernel
    return full[p:p + scale * h, p:p + scale * w].astype(numpy.float32)


ALTERNATIVES = {
    'to_chw': [alt_to_chw],
    'class_counts': [alt_class_counts],
    'resize_label_nearest': [alt_resize_label_nearest, alt_resize_label_nearest_scipy],
    'confusion_matrix': [alt_confusion_matrix],
    'mean_iou': [alt_mean_iou],
    'softmax': [alt_softmax],
    'one_hot': [alt_one_hot],
    'count_params': [alt_count_params],
    'round_trip_sizes': [alt_round_trip_sizes, alt_round_trip_sizes_progression],
    'deconv_params_for_scale': [alt_deconv_params_for_scale, alt_deconv_params_for_scale_search],
    'transposed_conv': [alt_transposed_conv],
    'bilinear_weights_1d': [alt_bilinear_weights_1d],
    'bilinear_kernel': [alt_bilinear_kernel],
    'bilinear_upsample': [alt_bilinear_upsample],
}


@pytest.mark.parametrize('name,fn', [(n, f) for n, fs in ALTERNATIVES.items() for f in fs],
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_alternative_correct_answer_passes(name, fn):
    result = _grade(name, fn)
    assert result.status == PASSED, result.details


# --------------------------------------------------------------------------- wrong answers

def _bilinear_resize_label(label, size):
    from skimage.transform import resize
    return resize(label, size, order=1, preserve_range=True, anti_aliasing=False)


def _mean_pool_then_round(label, size):
    from scipy import ndimage
    return numpy.rint(ndimage.zoom(label.astype(float), (size[0] / label.shape[0],
                                                          size[1] / label.shape[1]),
                                   order=1, grid_mode=True, mode='nearest')).astype(numpy.int32)


def _swapped_size(label, size):
    return alt_resize_label_nearest(label, size[::-1])


def _confusion_histogram_floats(pred, gt, n):
    keep = gt >= 0
    return numpy.histogram2d(gt[keep], pred[keep], bins=n, range=[[0, n], [0, n]])[0]


def _confusion_cols_truth(pred, gt, n):
    return alt_confusion_matrix(gt.clip(0), pred, n)


def _miou_nan_as_zero(pred, gt, n):
    conf = alt_confusion_matrix(pred, gt, n).astype(float)
    d = numpy.diag(conf)
    with numpy.errstate(invalid='ignore'):
        iou = d / (conf.sum(0) + conf.sum(1) - d)
    return float(numpy.nan_to_num(iou).mean())


def _miou_ignore_as_class0(pred, gt, n):
    return alt_mean_iou(pred, numpy.where(gt < 0, 0, gt), n)


def _pixel_accuracy_instead(pred, gt, n):
    keep = gt >= 0
    return float((pred[keep] == gt[keep]).mean())


def _softmax_no_shift(x, axis=1):
    e = numpy.exp(x.astype(numpy.float32))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_float64(x, axis=1):
    e = numpy.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(numpy.float64)


def _softmax_axis_last(x, axis=1):
    return F.softmax(x, axis=-1).array


def _one_hot_clip(label, n_class):
    return (numpy.clip(label, 0, None)[None] == numpy.arange(n_class)[:, None, None]).astype(
        numpy.float32)


def _one_hot_int(label, n_class):
    return (label[None] == numpy.arange(n_class)[:, None, None]).astype(numpy.int32)


def _count_only_children(link):
    return sum(p.size for child in getattr(link, 'children', lambda: [])() for p in child.params())


def _count_w_only(link):
    return sum(p.size for name, p in link.namedparams() if name.endswith('W'))


WRONG = {
    'to_chw': [lambda img: numpy.moveaxis(img, 0, 2).astype(numpy.float32),
               lambda img: img.reshape(img.shape[2], img.shape[0], img.shape[1]).astype(
                   numpy.float32),
               lambda img: alt_to_chw(img)[::-1]],          # RGB -> BGR by accident
    'class_counts': [lambda label, n: numpy.bincount(label.ravel() + 1, minlength=n + 1)[:n],
                     lambda label, n: numpy.unique(label[label >= 0], return_counts=True)[1]],
    'resize_label_nearest': [_bilinear_resize_label, _mean_pool_then_round, _swapped_size],
    'confusion_matrix': [_confusion_histogram_floats, _confusion_cols_truth,
                         lambda pred, gt, n: alt_confusion_matrix(pred, gt, n).T],
    'mean_iou': [_miou_nan_as_zero, _miou_ignore_as_class0, _pixel_accuracy_instead],
    'softmax': [_softmax_no_shift, _softmax_float64, _softmax_axis_last],
    'one_hot': [_one_hot_clip, _one_hot_int],
    'count_params': [_count_only_children, _count_w_only],
    'round_trip_sizes': [
        lambda k, s, p, m: list(range(k, m + 1, s)),                   # the padding forgotten
        lambda k, s, p, m: [n for n in range(1, m + 1) if (n + p - k) % s == 0 and n + p >= k],
        lambda k, s, p, m: [n for n in range(1, m + 1)                 # ceil mode: all of them
                            if n + 2 * p >= k and -(-(n + 2 * p - k) // s) * s + k - 2 * p >= n],
        lambda k, s, p, m: tuple(alt_round_trip_sizes(k, s, p, m)[1:]),  # the first one lost
    ],
    'deconv_params_for_scale': [lambda s: (2 * s, s, s // 2 - 1), lambda s: (s + 2, s, 1),
                                lambda s: [2 * s, s, s / 2],
                                lambda s: (3 * s, s, s),          # wider than the triangle
                                lambda s: (2 * s, s, s // 2)],    # odd s: k - 2p != s

    'transposed_conv': [
        lambda x, W, s, p: F.convolution_2d(x[None], W.transpose(1, 0, 2, 3), stride=1,
                                            pad=W.shape[2] - 1).array[0],
        lambda x, W, s, p: alt_transposed_conv(x, W[:, :, ::-1, ::-1], s, p),
        lambda x, W, s, p: alt_transposed_conv(x, W, s, p + 1 if p else p),
    ],
    'bilinear_weights_1d': [lambda k: alt_bilinear_weights_1d(k) / alt_bilinear_weights_1d(k).sum(),
                            lambda k: 1 - numpy.abs(numpy.arange(k) - k // 2) / ((k + 1) // 2),
                            lambda k: numpy.bartlett(k + 2)[1:-1]],
    'bilinear_kernel': [
        lambda ci, co, k: numpy.ones((ci, co, 1, 1), numpy.float32) * alt_bilinear_kernel(
            1, 1, k),
        lambda ci, co, k: alt_bilinear_kernel(ci, co, k).astype(numpy.float64),
        lambda ci, co, k: alt_bilinear_kernel(ci, co, k + 1)[:, :, :k, :k],
    ],
    'bilinear_upsample': [
        lambda x, s: numpy.repeat(numpy.repeat(x, s, 0), s, 1),
        lambda x, s: F.resize_images(x[None, None], (s * x.shape[0], s * x.shape[1])).array[0, 0],
        lambda x, s: alt_bilinear_upsample(x, s) / s,
    ],
}


@pytest.mark.parametrize('name,fn', [(n, f) for n, fs in WRONG.items() for f in fs],
                         ids=lambda v: v if isinstance(v, str) else '')
def test_typical_wrong_answer_fails(name, fn):
    result = _grade(name, fn)
    assert result.status == FAILED, result.details


def test_every_chapter_00_04_exercise_is_covered():
    from seglearn.exercises import all_exercises
    names = {ex.name for ex in all_exercises() if ex.chapter <= 'ch04'}
    assert names == set(ALTERNATIVES) == set(WRONG)
    assert all(len(WRONG[n]) >= 2 for n in names)
    for name in NEW:      # the exercises of issue 12: two right answers, three mistakes
        assert len(ALTERNATIVES[name]) >= 2 and len(WRONG[name]) >= 3, name


def test_resize_tie_breaks_are_both_accepted():
    from seglearn.exercises.ch01 import _check_nearest
    assert get_exercise('resize_label_nearest').compare_inputs
    label = numpy.array([[0, 1, 2, 3]], numpy.int32)
    # 4 -> 2: output centres fall exactly between input centres 0|1 and 2|3
    for answer in ([[0, 2]], [[1, 3]], [[0, 3]]):
        assert _check_nearest(None, numpy.array(answer, numpy.int32), label, (1, 2)) is None
    assert 'nearest to its centre' in _check_nearest(None, numpy.array([[0, 1]]), label, (1, 2))
    assert 'not in the input' in _check_nearest(None, numpy.array([[0, 7]]), label, (1, 2))
    assert 'integer array' in _check_nearest(None, numpy.array([[0., 2.]]), label, (1, 2))


NEW = ('round_trip_sizes', 'deconv_params_for_scale')

# Answers that call the package's (or Chainer's) finished answer: right values, one failed check.
PACKAGE_ANSWERS = {
    'resize_label_nearest': lambda label, size: seglearn.transforms.resize_label(label, size),
    'confusion_matrix': lambda pred, gt, n: seglearn.metrics.confusion_matrix(pred, gt, n),
    'mean_iou': lambda pred, gt, n: seglearn.metrics.evaluate(pred, gt, n)['miou'],
    'softmax': lambda x, axis=1: F.softmax(x, axis=axis).array,
    'count_params': lambda link: seglearn.models.count_params(link),
    'round_trip_sizes': lambda k, s, p, m: [
        n for n in range(1, m + 1) if n + 2 * p >= k and seglearn.arithmetic.deconv_output_size(
            seglearn.arithmetic.conv_output_size(n, k, s, p), k, s, p) == n],
    'deconv_params_for_scale': lambda s: seglearn.arithmetic.deconv_params_for_scale(s),
    'transposed_conv': lambda x, W, s, p: F.deconvolution_2d(x[None], W, stride=s,
                                                             pad=p).array[0],
    'bilinear_weights_1d': lambda k: seglearn.upsampling.bilinear_weights_1d(k),
    'bilinear_kernel': lambda ci, co, k: seglearn.upsampling.bilinear_kernel(ci, co, k),
    'bilinear_upsample': lambda x, s: seglearn.upsampling.upsample_bilinear(
        x[None, None], s).array[0, 0],
}


@pytest.mark.parametrize('name', sorted(PACKAGE_ANSWERS))
def test_calling_the_package_is_not_an_answer(name):
    result = _grade(name, PACKAGE_ANSWERS[name])
    assert result.status == FAILED
    assert [c.label for c in result.cases if not c.ok] == [
        "written without the package's finished answer"], result.details


def test_every_forbidding_exercise_is_tried_with_the_package():
    from seglearn.exercises import all_exercises
    assert {ex.name for ex in all_exercises() if ex.chapter <= 'ch04' and ex.forbidden} == set(
        PACKAGE_ANSWERS)
