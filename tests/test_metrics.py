"""Tests of seglearn.metrics against brute-force loops, hand-worked cases and a real Trainer."""
import math

import numpy
import pytest

import seglearn  # noqa: F401
import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402
import chainer.links as L  # noqa: E402
from chainer import training  # noqa: E402
from chainer.training import extensions  # noqa: E402

from seglearn.metrics import boundary_accuracy, boundary_band, position_prior  # noqa: E402
from seglearn.metrics import (  # noqa: E402
    SegmentationEvaluator, confusion_matrix, evaluate, scores)


def brute_confusion(pred, gt, n):
    conf = numpy.zeros((n, n), dtype=numpy.int64)
    for p, g in zip(pred.ravel().tolist(), gt.ravel().tolist()):
        if g != -1:
            conf[g, p] += 1
    return conf


def brute_scores(conf):
    """The FCN definitions written out class by class."""
    n = conf.shape[0]
    total = sum(conf[i, j] for i in range(n) for j in range(n))
    acc, iou = [], []
    for i in range(n):
        row = sum(conf[i, j] for j in range(n))
        col = sum(conf[j, i] for j in range(n))
        acc.append(conf[i, i] / row if row else math.nan)
        union = row + col - conf[i, i]
        iou.append(conf[i, i] / union if union else math.nan)
    fw = sum(sum(conf[i]) / total * iou[i] for i in range(n) if sum(conf[i]) > 0)
    mean = lambda v: sum(x for x in v if not math.isnan(x)) / sum(not math.isnan(x) for x in v)
    return {'pixel_accuracy': sum(conf[i, i] for i in range(n)) / total,
            'mean_class_accuracy': mean(acc), 'miou': mean(iou), 'fwiou': fw,
            'iou': iou, 'class_accuracy': acc}


@pytest.mark.parametrize('seed', range(5))
def test_confusion_matches_loop_on_random_data(seed):
    rng = numpy.random.RandomState(seed)
    n = rng.randint(1, 8)
    shape = tuple(rng.randint(1, 20, size=rng.randint(1, 4)))
    gt = rng.randint(-1, n, size=shape).astype(numpy.int32)
    pred = rng.randint(0, n, size=shape).astype(numpy.int32)
    conf = confusion_matrix(pred, gt, n)
    assert conf.dtype == numpy.int64 and conf.shape == (n, n)
    numpy.testing.assert_array_equal(conf, brute_confusion(pred, gt, n))
    assert conf.sum() == (gt != -1).sum()


@pytest.mark.parametrize('seed', range(5))
def test_scores_match_loop_on_random_data(seed):
    rng = numpy.random.RandomState(100 + seed)
    n = rng.randint(2, 7)
    # Some classes absent from the truth, some never predicted, some both.
    gt = rng.choice([-1] + list(range(0, n, 2)), size=(30, 20))
    pred = rng.choice(range(0, n, 3), size=(30, 20))
    got = evaluate(pred, gt, n)
    want = brute_scores(brute_confusion(pred, gt, n))
    for key in ('pixel_accuracy', 'mean_class_accuracy', 'miou', 'fwiou'):
        assert isinstance(got[key], float)
        assert got[key] == pytest.approx(want[key], rel=1e-12)
    for key in ('iou', 'class_accuracy'):
        assert got[key].dtype == numpy.float64
        numpy.testing.assert_allclose(got[key], want[key], rtol=1e-12, equal_nan=True)


def test_hand_worked_case():
    # 3 classes. Class 1 is in the truth but never predicted; class 2 is predicted but absent
    # from the truth (IoU 0, accuracy NaN); one pixel is ignored.
    gt = numpy.array([[0, 0, 0, 1],
                      [1, 0, 0, -1]], dtype=numpy.int32)
    pred = numpy.array([[0, 0, 2, 0],
                        [0, 0, 0, 2]], dtype=numpy.int32)
    conf = confusion_matrix(pred, gt, 3)
    numpy.testing.assert_array_equal(conf, [[4, 0, 1], [2, 0, 0], [0, 0, 0]])
    s = scores(conf)
    assert s['pixel_accuracy'] == pytest.approx(4 / 7)
    numpy.testing.assert_allclose(s['class_accuracy'], [4 / 5, 0, numpy.nan], equal_nan=True)
    assert s['mean_class_accuracy'] == pytest.approx(0.4)
    # IoU0 = 4 / (5 + 6 - 4) = 4/7; IoU1 = 0 / (2 + 0 - 0) = 0; IoU2 = 0 / (0 + 1) = 0, not NaN.
    numpy.testing.assert_allclose(s['iou'], [4 / 7, 0, 0])
    assert s['miou'] == pytest.approx(4 / 21)
    assert s['fwiou'] == pytest.approx(5 / 7 * 4 / 7)


def test_class_absent_from_truth_and_prediction_is_nan_and_skipped():
    gt = numpy.array([0, 1, 1, 0])
    pred = numpy.array([0, 1, 0, 0])
    s = evaluate(pred, gt, 3)
    assert math.isnan(s['iou'][2]) and math.isnan(s['class_accuracy'][2])
    assert s['miou'] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert s['mean_class_accuracy'] == pytest.approx((1 + 1 / 2) / 2)


def test_perfect_prediction():
    gt = numpy.arange(12).reshape(3, 4) % 4
    s = evaluate(gt, gt, 4)
    for key in ('pixel_accuracy', 'mean_class_accuracy', 'miou', 'fwiou'):
        assert s[key] == 1.0


def test_list_of_pairs_equals_concatenation():
    rng = numpy.random.RandomState(0)
    shapes = [(5, 7), (3, 3), (10, 2)]
    gts = [rng.randint(-1, 4, size=s).astype(numpy.int32) for s in shapes]
    preds = [rng.randint(0, 4, size=s).astype(numpy.int32) for s in shapes]
    cat_gt = numpy.concatenate([g.ravel() for g in gts])
    cat_pred = numpy.concatenate([p.ravel() for p in preds])
    numpy.testing.assert_array_equal(confusion_matrix(preds, gts, 4),
                                     confusion_matrix(cat_pred, cat_gt, 4))
    # generators work too
    numpy.testing.assert_array_equal(confusion_matrix(iter(preds), (g for g in gts), 4),
                                     brute_confusion(cat_pred, cat_gt, 4))
    assert evaluate(preds, gts, 4) .keys() == evaluate(cat_pred, cat_gt, 4).keys()
    assert evaluate(preds, gts, 4)['miou'] == evaluate(cat_pred, cat_gt, 4)['miou']


def test_empty_list_gives_zero_matrix():
    numpy.testing.assert_array_equal(confusion_matrix([], [], 3), numpy.zeros((3, 3)))


@pytest.mark.parametrize('pred, gt, match', [
    (numpy.zeros((2, 3), numpy.int32), numpy.zeros((3, 2), numpy.int32), r'\(2, 3\).*\(3, 2\)'),
    (numpy.zeros(4, numpy.int32), numpy.array([0, 1, 3, 0]), r'gt holds 3.*n_class=3'),
    (numpy.zeros(4, numpy.int32), numpy.array([0, -2, 0, 0]), r'gt holds -2'),
    (numpy.array([0, 5, 0, 0]), numpy.zeros(4, numpy.int32), r'pred holds 5.*n_class=3'),
    (numpy.array([0, -1, 0, 0]), numpy.zeros(4, numpy.int32), r'pred holds -1'),
    ([numpy.zeros(2, numpy.int32)], [numpy.zeros(2, numpy.int32)] * 2, r'same number.*1 and 2'),
    ([numpy.zeros(2, numpy.int32)], [numpy.array([0, 7])], r'gt\[0\] holds 7'),
])
def test_bad_values_and_shapes(pred, gt, match):
    with pytest.raises(ValueError, match=match):
        confusion_matrix(pred, gt, 3)


def test_bad_types():
    with pytest.raises(TypeError, match='pred.*integer.*float32'):
        confusion_matrix(numpy.zeros(3, numpy.float32), numpy.zeros(3, numpy.int32), 2)
    with pytest.raises(TypeError, match='gt.*integer.*float64'):
        confusion_matrix(numpy.zeros(3, numpy.int32), numpy.zeros(3), 2)
    with pytest.raises(TypeError, match='lists of int arrays'):
        confusion_matrix(3, 4, 2)
    for n in (0, -1, 2.0, True, None):
        with pytest.raises(ValueError, match='n_class'):
            confusion_matrix(numpy.zeros(3, numpy.int32), numpy.zeros(3, numpy.int32), n)


def test_scores_bad_inputs():
    with pytest.raises(ValueError, match='empty'):
        scores(numpy.zeros((3, 3), numpy.int64))
    with pytest.raises(ValueError, match='empty'):
        evaluate(numpy.zeros(2, numpy.int32), numpy.full(2, -1, numpy.int32), 2)
    with pytest.raises(ValueError, match='square'):
        scores(numpy.ones((2, 3)))
    with pytest.raises(ValueError, match='non-negative'):
        scores(numpy.array([[1, -1], [0, 1]]))


@pytest.mark.gpu
def test_confusion_on_cupy_matches_numpy():
    import cupy
    rng = numpy.random.RandomState(3)
    gt = rng.randint(-1, 5, size=(4, 9, 11)).astype(numpy.int32)
    pred = rng.randint(0, 5, size=(4, 9, 11)).astype(numpy.int32)
    conf = confusion_matrix(cupy.asarray(pred), cupy.asarray(gt), 5)
    assert isinstance(conf, cupy.ndarray) and conf.dtype == cupy.int64
    numpy.testing.assert_array_equal(cupy.asnumpy(conf), brute_confusion(pred, gt, 5))
    s = scores(conf)
    assert s['miou'] == evaluate(pred, gt, 5)['miou']
    with pytest.raises(ValueError, match='gt holds 9'):
        confusion_matrix(cupy.asarray(pred), cupy.asarray(gt * 0 + 9), 5)


# --- the Trainer extension ------------------------------------------------------------------

N_CLASS = 3


class TinySeg(chainer.Chain):
    """A 1×1 convolution: logits (B, N_CLASS, H, W)."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = L.Convolution2D(2, N_CLASS, 1)

    def forward(self, x):
        return self.conv(x)


def make_data(n=7, seed=0):
    rng = numpy.random.RandomState(seed)
    data = []
    for _ in range(n):
        img = rng.uniform(0, 1, size=(2, 5, 6)).astype(numpy.float32)
        label = (img[0] * N_CLASS).astype(numpy.int32).clip(0, N_CLASS - 1)
        label[rng.uniform(size=label.shape) < 0.2] = -1
        data.append((img, label))
    return data


def expected_report(model, data, prefix='validation/main/'):
    imgs = numpy.stack([d[0] for d in data])
    labels = numpy.stack([d[1] for d in data])
    with chainer.using_config('train', False):
        logits = model.forward(imgs).array
    s = evaluate(logits.argmax(axis=1), labels, N_CLASS)
    loss = F.softmax_cross_entropy(logits, labels).array  # mean over non-ignored pixels
    want = {prefix + k: s[k] for k in ('miou', 'pixel_accuracy', 'mean_class_accuracy', 'fwiou')}
    want[prefix + 'loss'] = float(loss)
    return want, s


def test_evaluator_direct_call_matches_evaluate():
    data = make_data()
    model = TinySeg()
    it = chainer.iterators.SerialIterator(data, 3, repeat=False, shuffle=False)
    ev = SegmentationEvaluator(it, model, N_CLASS, label_names=['a', 'b', 'c'])
    got = ev()
    want, s = expected_report(model, data)
    for key, value in want.items():
        assert got[key] == pytest.approx(value, rel=1e-5), key
    for name, iou in zip('abc', s['iou']):
        numpy.testing.assert_allclose(got['validation/main/iou/' + name], iou)
    # the iterator is reset: a second evaluation sees the whole set again
    assert ev()['validation/main/miou'] == pytest.approx(got['validation/main/miou'])


def test_evaluator_in_trainer_reports_to_log(tmp_path):
    data = make_data()
    model = TinySeg()
    classifier = L.Classifier(model, lossfun=F.softmax_cross_entropy, accfun=None)
    classifier.compute_accuracy = False
    optimizer = chainer.optimizers.SGD(lr=0.1)
    optimizer.setup(classifier)
    train_it = chainer.iterators.SerialIterator(data, 2, shuffle=False)
    updater = training.updaters.StandardUpdater(train_it, optimizer)
    trainer = training.Trainer(updater, (1, 'epoch'), out=str(tmp_path))
    val_it = chainer.iterators.SerialIterator(data, 4, repeat=False, shuffle=False)
    trainer.extend(SegmentationEvaluator(val_it, model, N_CLASS, device='@numpy',
                                         label_names=['a', 'b', 'c']))
    log = extensions.LogReport()
    trainer.extend(log)
    trainer.run()
    entry = log.log[-1]
    want, _ = expected_report(model, data)  # the model after the epoch is what was evaluated
    for key, value in want.items():
        assert entry[key] == pytest.approx(value, rel=1e-5), key
    assert {'validation/main/iou/a', 'validation/main/iou/b'} <= set(entry)


def test_evaluator_bad_inputs():
    data = make_data(2)
    it = chainer.iterators.SerialIterator(data, 2, repeat=False, shuffle=False)
    with pytest.raises(ValueError, match='label_names.*3.*2'):
        SegmentationEvaluator(it, TinySeg(), N_CLASS, label_names=['a', 'b'])
    with pytest.raises(ValueError, match='n_class'):
        SegmentationEvaluator(it, TinySeg(), 0)
    with pytest.raises(ValueError, match='logits'):
        SegmentationEvaluator(it, TinySeg(), 4)()
    bad = [(img, numpy.full_like(label, 5)) for img, label in data]
    bad_it = chainer.iterators.SerialIterator(bad, 2, repeat=False, shuffle=False)
    with pytest.raises(ValueError, match='outside'):
        SegmentationEvaluator(bad_it, TinySeg(), N_CLASS)()


class OnceIterator(chainer.dataset.Iterator):
    """An old-style iterator without reset(): one pass over a list in batches."""

    def __init__(self, data, batch_size):
        self.data, self.batch_size, self.position = data, batch_size, 0

    def __next__(self):
        if self.position >= len(self.data):
            raise StopIteration
        batch = self.data[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return batch


def test_evaluator_copies_an_iterator_without_reset():
    data = make_data()
    model = TinySeg()
    ev = SegmentationEvaluator(OnceIterator(data, 3), model, N_CLASS)
    first, second = ev(), ev()
    want, _ = expected_report(model, data)
    for key, value in want.items():
        assert first[key] == pytest.approx(value, rel=1e-5)
        assert second[key] == pytest.approx(value, rel=1e-5)


# --- absurd or NaN inputs (issue 16) --------------------------------------------------------------

@pytest.mark.parametrize('bad', [numpy.nan, numpy.inf])
def test_scores_refuses_nan_or_infinite_counts(bad):
    conf = numpy.array([[3.0, 1.0], [bad, 2.0]])
    with pytest.raises(ValueError, match='finite'):
        scores(conf)


def test_evaluate_refuses_nan_predictions():
    pred = numpy.array([[0.0, numpy.nan]])
    with pytest.raises(TypeError, match='integer array'):
        evaluate(pred, numpy.array([[0, 1]]), 2)


def test_an_absurd_n_class_is_refused_before_anything_is_allocated():
    from seglearn.metrics import MAX_CLASSES
    pred = numpy.zeros((2, 2), numpy.int32)
    with pytest.raises(ValueError, match=r'n_class must be <= 4096'):
        confusion_matrix(pred, pred, 10 ** 6)  # it tried to allocate 7 TiB
    assert confusion_matrix(pred, pred, MAX_CLASSES).shape == (MAX_CLASSES, MAX_CLASSES)


# --- position_prior ---------------------------------------------------------------------------

def test_position_prior_is_the_per_pixel_majority_brute_force():
    rng = numpy.random.RandomState(0)
    labels = rng.randint(-1, 3, (7, 5, 6)).astype(numpy.int32)
    prior = position_prior(list(labels), 3)
    assert prior.dtype == numpy.int32 and prior.shape == (5, 6)
    for y in range(5):
        for x in range(6):
            votes = [sum(1 for label in labels if label[y, x] == c) for c in range(3)]
            assert prior[y, x] == votes.index(max(votes))  # first of the tied classes
    numpy.testing.assert_array_equal(position_prior(labels, 3), prior)


def test_position_prior_of_one_label_is_that_label_and_ignored_pixels_do_not_vote():
    label = numpy.array([[0, 2], [1, -1]], numpy.int32)
    numpy.testing.assert_array_equal(position_prior([label], 3), [[0, 2], [1, 0]])
    other = numpy.array([[1, 1], [1, 2]], numpy.int32)
    numpy.testing.assert_array_equal(position_prior([label, other], 3),
                                     [[0, 1], [1, 2]])


def test_position_prior_errors():
    with pytest.raises(ValueError, match='at least one'):
        position_prior([], 2)
    with pytest.raises(ValueError, match='one shape'):
        position_prior([numpy.zeros((2, 2), numpy.int32),
                                numpy.zeros((2, 3), numpy.int32)], 2)
    with pytest.raises(ValueError, match=r'class ids must be in \[-1, 2\)'):
        position_prior([numpy.full((2, 2), 2, numpy.int32)], 2)
    with pytest.raises(TypeError, match='integer array'):
        position_prior([numpy.zeros((2, 2))], 2)


# --- boundary_band / boundary_accuracy ---------------------------------------------------------

def _band_brute_force(label, width):
    h, w = label.shape
    edge = numpy.zeros((h, w), bool)
    for y in range(h):
        for x in range(w):
            for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)):
                if 0 <= y + dy < h and 0 <= x + dx < w and label[y + dy, x + dx] != label[y, x]:
                    edge[y, x] = True
    band = numpy.zeros((h, w), bool)
    for y, x in zip(*numpy.nonzero(edge)):
        band[max(0, y - width):y + width + 1, max(0, x - width):x + width + 1] = True
    return band


@pytest.mark.parametrize('width', [0, 1, 3])
def test_boundary_band_against_brute_force(width):
    rng = numpy.random.RandomState(width)
    label = numpy.zeros((14, 17), numpy.int32)
    label[3:9, 4:12] = 1
    label[10:, :5] = 2
    label[rng.rand(14, 17) < 0.03] = -1
    numpy.testing.assert_array_equal(boundary_band(label, width), _band_brute_force(label, width))


def test_boundary_band_of_one_class_is_empty_and_bad_inputs():
    assert not boundary_band(numpy.ones((5, 5), numpy.int32), 3).any()
    with pytest.raises(ValueError, match='width must be >= 0'):
        boundary_band(numpy.ones((5, 5), numpy.int32), -1)
    with pytest.raises(ValueError, match=r'\(H, W\)'):
        boundary_band(numpy.ones((2, 5, 5), numpy.int32))
    with pytest.raises(TypeError, match='integer array'):
        boundary_band(numpy.ones((5, 5)))


def test_boundary_accuracy_counts_band_pixels_only_pooled_over_images():
    gt = numpy.zeros((12, 12), numpy.int32)
    gt[:, 6:] = 1                          # one vertical boundary between x = 5 and x = 6
    band = boundary_band(gt, 2)            # x = 3 ... 8
    assert band.sum() == 12 * 6
    pred = gt.copy()
    pred[:, 3] = 1                         # wrong inside the band: 12 pixels
    pred[:, 0] = 1                         # wrong outside the band: not counted
    assert boundary_accuracy(pred, gt, 2) == pytest.approx(1 - 12 / 72)
    assert boundary_accuracy([pred, gt], [gt, gt], 2) == pytest.approx(1 - 12 / 144)
    ignored = gt.copy()
    ignored[:, 3] = -1                     # ignored pixels are not counted (their edges are)
    only_there = gt.copy()
    only_there[:, 3] = 1
    assert boundary_accuracy(only_there, ignored, 2) == pytest.approx(1.0)
    assert numpy.isnan(boundary_accuracy(gt * 0, gt * 0, 2))
    with pytest.raises(ValueError, match='one shape'):
        boundary_accuracy(pred[:5], gt, 2)


def _match_brute_force(pred, true, threshold):
    """Every (pred id, true id) pair with IoU > threshold, from the pixel sets; the IoUs."""
    pred_ids = [int(i) for i in numpy.unique(pred) if i > 0]
    true_ids = [int(i) for i in numpy.unique(true) if i > 0]
    pixels = lambda a, i: {tuple(q) for q in numpy.argwhere(a == i)}  # noqa: E731
    iou = {}
    for i in pred_ids:
        for j in true_ids:
            a, b = pixels(pred, i), pixels(true, j)
            iou[i, j] = len(a & b) / len(a | b)
    above = sorted((i, j) for (i, j), v in iou.items() if v > threshold)
    return above, iou, len(pred_ids), len(true_ids)


@pytest.mark.parametrize('seed', range(12))
@pytest.mark.parametrize('threshold', [0.5, 0.7])
def test_match_instances_against_brute_force(seed, threshold):
    from scipy import ndimage
    from seglearn.metrics import match_instances
    rng = numpy.random.default_rng(seed)
    true = ndimage.label(rng.random((9, 11)) < 0.45)[0]          # blobs of random shapes
    pred = true.copy()
    pred[rng.random(true.shape) < 0.25] = 0                       # holes: blobs shrink or split
    pred[rng.random(true.shape) < 0.1] = 1                        # specks, merges into blob 1
    pred = ndimage.label(pred > 0)[0] * 3 + 2 * (pred > 0)        # ids not consecutive
    above, iou, n_pred, n_true = _match_brute_force(pred, true, threshold)
    result = match_instances(pred, true, iou=threshold)
    assert sorted((p, t) for p, t, _ in result['matches']) == above
    assert [t for _, t, _ in result['matches']] == sorted(t for _, t in above)
    # one to one by itself, so no one-to-one assignment has more pairs above the threshold
    assert len({p for p, _ in above}) == len({t for _, t in above}) == len(above)
    for p, t, v in result['matches']:
        assert v == pytest.approx(iou[p, t])
    assert result['true_positives'] == len(above)
    assert result['false_positives'] == n_pred - len(above)
    assert result['false_negatives'] == n_true - len(above)
    assert (result['n_pred'], result['n_true']) == (n_pred, n_true)


def test_match_instances_merged_and_split_cells_do_not_count():
    from seglearn.metrics import match_instances
    true = numpy.zeros((6, 13), numpy.int32)
    true[1:5, 1:5], true[1:5, 6:10] = 1, 2                 # two cells, a gap column at x = 5
    merged = (true > 0).astype(numpy.int32)
    merged[1:5, 5] = 1                                      # one blob over both: IoU 16/36
    result = match_instances(merged, true)
    assert (result['true_positives'], result['false_positives'], result['false_negatives']) == \
        (0, 1, 2)
    exact = match_instances(true, true)
    assert exact['matches'] == [(1, 1, 1.0), (2, 2, 1.0)]
    assert (exact['false_positives'], exact['false_negatives']) == (0, 0)
    split = true.copy()
    split[1:5, 3:5] = 7                                     # cell 1 cut in halves: IoU 0.5 each
    assert match_instances(split, true)['matches'] == [(2, 2, 1.0)]
    assert match_instances(split, true, iou=0.5)['false_negatives'] == 1
    empty = match_instances(numpy.zeros_like(true), true)
    assert (empty['n_pred'], empty['true_positives'], empty['false_negatives']) == (0, 0, 2)
    nothing = match_instances(numpy.zeros_like(true), numpy.zeros_like(true))
    assert nothing['matches'] == [] and nothing['n_true'] == 0


def test_match_instances_bad_inputs():
    from seglearn.metrics import match_instances
    a = numpy.zeros((4, 4), numpy.int32)
    for bad in (0.3, 1.0, True, '0.5', None):
        with pytest.raises(ValueError, match='0.5 <= iou < 1'):
            match_instances(a, a, iou=bad)
    with pytest.raises(ValueError, match='one shape'):
        match_instances(a[:3], a)
    with pytest.raises(ValueError, match='ids >= 0'):
        match_instances(a - 1, a)
    with pytest.raises(TypeError, match='integer array'):
        match_instances(a.astype(float), a)
