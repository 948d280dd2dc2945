"""Chapter 01 (The task and the data): label-safe resizing, the confusion matrix, mean IoU."""
import numpy

from seglearn import metrics, transforms
from seglearn.exercises.core import Case, Exercise, allclose, expect_array, register, to_numpy
from seglearn.messages import gettext


# --------------------------------------------------------------------------- resize_label_nearest

def nearest_candidates(n_in, n_out):
    """For each output index, the set of input indices whose centres are nearest to its centre.

    Centres in input pixels: output ``i`` at ``(i + 1/2)·n_in/n_out``, input ``r`` at ``r + 1/2``.
    Distances are compared as the integers ``|(2r + 1)·n_out − (2i + 1)·n_in|``, so a tie is exact.
    """
    r = numpy.arange(n_in)
    out = []
    for i in range(n_out):
        d = numpy.abs((2 * r + 1) * n_out - (2 * i + 1) * n_in)
        out.append(set(numpy.flatnonzero(d == d.min()).tolist()))
    return out


def _check_nearest(expected, actual, label, size):
    h, w = size
    msg = expect_array(actual, (h, w), numpy.int32)
    if msg:
        return msg + (gettext(' (interpolation makes fractions of '
                              'classes)') if 'dtype' in msg else '')
    actual = to_numpy(actual)
    new = sorted(set(numpy.unique(actual).tolist()) - set(numpy.unique(label).tolist()))
    if new:
        return gettext('the result holds values that are not in the input: {} (new '
                       '"classes")').format(
            new[:5])
    rows = nearest_candidates(label.shape[0], h)
    cols = nearest_candidates(label.shape[1], w)
    for i in range(h):
        for j in range(w):
            ok = {int(label[r, c]) for r in rows[i] for c in cols[j]}
            if int(actual[i, j]) not in ok:
                return (gettext('pixel {} is {}, but the input pixel nearest to its centre holds '
                                '{}')
                        .format((i, j), int(actual[i, j]), ' or '.join(map(str, sorted(ok)))))
    return None


def _resize_reference(label, size):
    return transforms.resize_label(label, size, method='nearest')


def _random_resize(rng):
    cases = []
    for _ in range(12):
        H, W, h, w = (int(v) for v in rng.randint(1, 13, size=4))
        cases.append((rng.randint(-1, 5, size=(H, W)).astype(numpy.int32), (h, w)))
    return cases


def _interpolated_resize(label, size):
    from skimage.transform import resize
    out = resize(label.astype(numpy.float64), size, order=1, mode='edge', anti_aliasing=False)
    return numpy.round(out).astype(numpy.int32)


def _corner_resize(label, size):
    (h, w), (H, W) = size, label.shape
    return label[(numpy.arange(h) * H // h)[:, None], numpy.arange(w) * W // w]


RESIZE_STUB = '''
def resize_label_nearest(label, size):
    """Resize a label map so that no new class can appear.

    Each output pixel copies the input pixel nearest to its centre. Output pixel i (of h) has
    its centre at (i + 1/2) * H / h in input pixels; input pixel r has its centre at r + 1/2.
    The same holds for columns. On an exact tie either neighbour is fine.

    Args:
        label: int32 array (H, W) of class ids (-1 = ignore).
        size: (h, w), the output size.

    Returns:
        int array (h, w).
    """
    raise NotImplementedError  # your code here
'''

STRIPES = numpy.array([[0, 0, 2, 2, 4, 4]] * 2, dtype=numpy.int32)
BLOCKS = numpy.array([[1, 1, 3], [1, 1, 3], [-1, -1, 3]], dtype=numpy.int32)
IDS = numpy.arange(15, dtype=numpy.int32).reshape(3, 5)

register(Exercise(
    name='resize_label_nearest',
    chapter='ch01',
    title='label-safe resize by nearest neighbour',
    reference=_resize_reference,
    stub=RESIZE_STUB,
    forbidden=[transforms.resize_label],
    cases=[
        Case(STRIPES, (2, 3), _label='resize_label_nearest(stripes 0|2|4 of 2×6, (2, 3))',
             _hint='Averaging neighbours 0 and 2 gives 1, a class that was never there.'),
        Case(BLOCKS, (6, 6), _label='resize_label_nearest(3×3 blocks with -1, (6, 6))'),
        Case(IDS, (6, 10), _label='resize_label_nearest(3×5 ids 0..14, (6, 10))'),
        Case(IDS, (2, 3), _label='resize_label_nearest(3×5 ids 0..14, (2, 3))',
             _hint='Compare pixel centres, not top-left corners: output pixel i is centred at '
                   '(i + 1/2)·H/h.'),
    ],
    random_cases=_random_resize,
    compare=_check_nearest,
    compare_inputs=True,
    hint='Do not interpolate: for each output row and column pick one input row and column '
         '(from the centres), then index the label with them.',
    mistakes=[
        (_interpolated_resize, 'This resizes the labels like an image: interpolation invents '
                               'classes between neighbours. Copy one input pixel instead.'),
        (_corner_resize, 'Index i·H//h lines up the top-left corners, not the centres; the '
                         'result drifts by up to a pixel.'),
    ],
))


# --------------------------------------------------------------------------- confusion_matrix

def _random_pairs(rng, n=12, max_class=6):
    cases = []
    for _ in range(n):
        n_class = int(rng.randint(2, max_class + 1))
        shape = tuple(int(v) for v in rng.randint(1, 9, size=2))
        gt = rng.randint(-1, n_class, size=shape).astype(numpy.int32)
        gt.flat[0] = rng.randint(0, n_class)           # at least one valid pixel
        pred = rng.randint(0, n_class, size=shape).astype(numpy.int32)
        cases.append((pred, gt, n_class))
    return cases


CONFUSION_STUB = '''
def confusion_matrix(pred, gt, n_class):
    """Count pixels by (true class, predicted class).

    Args:
        pred: int32 array (H, W), predicted classes in 0..n_class-1.
        gt: int32 array (H, W), true classes in 0..n_class-1, or -1 (ignore: not counted).
        n_class: number of classes.

    Returns:
        int array (n_class, n_class): entry [t, p] = number of pixels with truth t and
        prediction p (rows = truth, columns = prediction).
    """
    raise NotImplementedError  # your code here
'''

PRED = numpy.array([[0, 0, 1], [1, 2, 2]], dtype=numpy.int32)
GT = numpy.array([[0, 1, 1], [1, 2, 0]], dtype=numpy.int32)
GT_IGNORE = numpy.array([[0, -1, 1], [-1, 2, 0]], dtype=numpy.int32)


def _confusion_no_ignore(pred, gt, n):
    return numpy.bincount((gt.ravel() % n) * n + pred.ravel(), minlength=n * n).reshape(n, n)


register(Exercise(
    name='confusion_matrix',
    chapter='ch01',
    title='confusion matrix (rows = truth), ignoring -1',
    reference=lambda pred, gt, n_class: metrics.confusion_matrix(pred, gt, n_class),
    stub=CONFUSION_STUB,
    forbidden=[metrics.confusion_matrix],
    cases=[
        (PRED, GT, 3),
        Case(PRED, GT_IGNORE, 3, _hint='Pixels whose truth is -1 are not counted at all.'),
        Case(numpy.zeros((2, 2), numpy.int32), numpy.zeros((2, 2), numpy.int32), 4,
             _hint='The matrix is n_class × n_class even when some classes never occur.'),
    ],
    random_cases=_random_pairs,
    compare=allclose(rtol=0, atol=0),
    hint='Keep the pixels with gt >= 0, then count each pair (t, p); numpy.bincount of '
         't·n_class + p does all pairs at once.',
    mistakes=[
        (lambda pred, gt, n: metrics.confusion_matrix(pred, gt, n).T,
         'Rows are the truth and columns the prediction: this is the transpose.'),
        (_confusion_no_ignore, 'The -1 pixels were counted (as the last class): drop them.'),
    ],
))


# --------------------------------------------------------------------------- mean_iou

MIOU_STUB = '''
def mean_iou(pred, gt, n_class):
    """Mean intersection over union (the "mean IU" of the FCN paper).

    IoU of class c = |pred = c and gt = c| / |pred = c or gt = c|, over the pixels whose gt is
    not -1. Classes that appear in neither pred nor gt have no IoU and are left out of the mean.

    Args:
        pred: int32 array (H, W), predicted classes in 0..n_class-1.
        gt: int32 array (H, W), true classes, -1 = ignore.
        n_class: number of classes.

    Returns:
        float
    """
    raise NotImplementedError  # your code here
'''


def _miou_reference(pred, gt, n_class):
    return metrics.evaluate(pred, gt, n_class)['miou']


def _miou_counting_ignored(pred, gt, n):
    # -1 pixels are left out of the truth but their predictions still count
    inter = numpy.array([((pred == c) & (gt == c)).sum() for c in range(n)], dtype=float)
    union = numpy.array([((pred == c) | (gt == c)).sum() for c in range(n)], dtype=float)
    with numpy.errstate(invalid='ignore'):
        return float(numpy.nanmean(inter / union))


def _miou_zero_for_absent(pred, gt, n):
    conf = metrics.confusion_matrix(pred, gt, n).astype(float)
    diag = numpy.diag(conf)
    union = conf.sum(0) + conf.sum(1) - diag
    return float((diag / numpy.maximum(union, 1)).mean())


register(Exercise(
    name='mean_iou',
    chapter='ch01',
    title='mean IoU with the ignore label and absent classes',
    reference=_miou_reference,
    stub=MIOU_STUB,
    forbidden=[metrics.evaluate, metrics.scores],
    cases=[
        (PRED, GT, 3),
        Case(PRED, GT_IGNORE, 3, _hint='A pixel with gt = -1 is not part of any union: leave '
                                       'it out before counting, prediction included.'),
        Case(numpy.array([[0, 1]], numpy.int32), numpy.array([[0, 1]], numpy.int32), 5,
             _hint='Classes 2, 3, 4 occur nowhere: they are not 0 % right, they have no IoU.'),
        Case(numpy.array([[1, 1]], numpy.int32), numpy.array([[0, 0]], numpy.int32), 3),
    ],
    random_cases=_random_pairs,
    compare=allclose(rtol=1e-6, atol=1e-9),
    hint='Build the confusion matrix first (ignoring -1): intersection = diagonal, union = row '
         'sum + column sum − diagonal; average over classes with a non-zero union.',
    mistakes=[
        (_miou_counting_ignored, 'The -1 pixels still count through their predictions; remove '
                                 'them from pred as well.'),
        (_miou_zero_for_absent, 'Absent classes were averaged in as 0; leave them out.'),
    ],
))
