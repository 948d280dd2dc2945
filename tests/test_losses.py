"""Tests for seglearn.losses, cross-checked against Chainer, brute-force loops and distances."""
import itertools

import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer import gradient_check

from seglearn.losses import (balanced_class_weights, instance_distances, median_frequency_weights,
                             pixel_cross_entropy, unet_weight_map)


def _data(b=2, c=4, h=5, w=6, seed=0, ignore=True):
    rng = numpy.random.RandomState(seed)
    logits = rng.randn(b, c, h, w).astype(numpy.float32)
    labels = rng.randint(0, c, size=(b, h, w)).astype(numpy.int32)
    if ignore:
        labels[rng.rand(b, h, w) < 0.2] = -1
    return logits, labels


def _brute_force(logits, labels, class_weight=None, weight_map=None, normalize=True):
    b, c, h, w = logits.shape
    total, count = 0.0, 0
    for n, i, j in itertools.product(range(b), range(h), range(w)):
        t = labels[n, i, j]
        if t == -1:
            continue
        s = logits[n, :, i, j].astype(numpy.float64)
        log_p = s[t] - numpy.log(numpy.exp(s - s.max()).sum()) - s.max()
        wt = 1.0
        if class_weight is not None:
            wt *= class_weight[t]
        if weight_map is not None:
            wt *= weight_map[n, i, j]
        total -= wt * log_p
        count += 1
    return total / max(count, 1) if normalize else total


@pytest.mark.parametrize('normalize', [True, False])
def test_pixel_cross_entropy_matches_chainer(normalize):
    logits, labels = _data()
    cw = numpy.array([0.5, 2.0, 1.0, 3.0], numpy.float32)
    ours = pixel_cross_entropy(logits, labels, class_weight=cw, normalize=normalize)
    ref = F.softmax_cross_entropy(logits, labels, class_weight=cw, ignore_label=-1,
                                  normalize=normalize)
    # Chainer's normalize=False divides by the batch size; ours is the plain sum.
    scale = 1.0 if normalize else logits.shape[0]
    assert ours.dtype == numpy.float32
    numpy.testing.assert_allclose(ours.array, ref.array * scale, rtol=1e-5)


@pytest.mark.parametrize('normalize', [True, False])
def test_pixel_cross_entropy_matches_loop(normalize):
    logits, labels = _data(seed=1)
    rng = numpy.random.RandomState(2)
    cw = rng.rand(4).astype(numpy.float32) + 0.1
    wm = rng.rand(*labels.shape).astype(numpy.float32) * 5
    for kwargs in ({}, {'class_weight': cw}, {'weight_map': wm},
                   {'class_weight': cw, 'weight_map': wm}):
        ours = pixel_cross_entropy(logits, labels, normalize=normalize, **kwargs)
        ref = _brute_force(logits, labels, normalize=normalize, **kwargs)
        numpy.testing.assert_allclose(ours.array, ref, rtol=1e-5)


def test_pixel_cross_entropy_ignored_pixels_have_no_effect():
    logits, labels = _data(ignore=False)
    labels[0, 0, :] = -1
    base = pixel_cross_entropy(logits, labels).array
    logits2 = logits.copy()
    logits2[0, :, 0, :] += 100.0
    numpy.testing.assert_allclose(pixel_cross_entropy(logits2, labels).array, base, rtol=1e-6)
    all_ignored = numpy.full_like(labels, -1)
    assert float(pixel_cross_entropy(logits, all_ignored).array) == 0.0


def test_pixel_cross_entropy_backward():
    logits, labels = _data(b=1, c=3, h=3, w=4, seed=3)
    logits = logits.astype(numpy.float64)
    cw = numpy.array([1.0, 2.0, 0.5])
    wm = numpy.random.RandomState(4).rand(*labels.shape) + 0.5
    gy = numpy.array(1.3)

    def f(x):
        return pixel_cross_entropy(x, labels, class_weight=cw, weight_map=wm)

    gradient_check.check_backward(f, logits, gy, eps=1e-3, atol=1e-5, rtol=1e-4)


def test_pixel_cross_entropy_gradient_matches_chainer():
    logits, labels = _data(seed=5)
    x1, x2 = chainer.Variable(logits), chainer.Variable(logits.copy())
    pixel_cross_entropy(x1, labels).backward()
    F.softmax_cross_entropy(x2, labels, ignore_label=-1).backward()
    numpy.testing.assert_allclose(x1.grad, x2.grad, rtol=1e-5, atol=1e-7)


def test_pixel_cross_entropy_bad_inputs():
    logits, labels = _data()
    with pytest.raises(ValueError, match='logits'):
        pixel_cross_entropy(logits[0], labels)
    with pytest.raises(ValueError, match='labels must have shape'):
        pixel_cross_entropy(logits, labels[:, :-1])
    with pytest.raises(TypeError, match='integer'):
        pixel_cross_entropy(logits, labels.astype(numpy.float32))
    bad = labels.copy()
    bad[0, 0, 0] = 4
    with pytest.raises(ValueError, match=r'\[0, 4\)'):
        pixel_cross_entropy(logits, bad)
    bad[0, 0, 0] = -2
    with pytest.raises(ValueError, match='-2'):
        pixel_cross_entropy(logits, bad)
    with pytest.raises(ValueError, match='class_weight'):
        pixel_cross_entropy(logits, labels, class_weight=numpy.ones(3, numpy.float32))
    with pytest.raises(ValueError, match='weight_map'):
        pixel_cross_entropy(logits, labels, weight_map=numpy.ones((2, 5, 5), numpy.float32))


def _brute_distances(instances):
    h, w = instances.shape
    ids = [k for k in numpy.unique(instances) if k != 0]
    d = numpy.full((max(len(ids), 2), h, w), numpy.inf)
    for n, k in enumerate(ids):
        pts = numpy.argwhere(instances == k)
        for i, j in itertools.product(range(h), range(w)):
            d[n, i, j] = numpy.sqrt(((pts - (i, j)) ** 2).sum(axis=1)).min()
    d.sort(axis=0)
    return d[0], d[1]


def test_instance_distances_brute_force():
    rng = numpy.random.RandomState(0)
    inst = numpy.zeros((9, 11), numpy.int32)
    inst[1:3, 1:4] = 1
    inst[5:8, 6:9] = 2
    inst[7, 1] = 3
    inst[rng.rand(9, 11) < 0.05] = 4
    d1, d2 = instance_distances(inst)
    b1, b2 = _brute_distances(inst)
    numpy.testing.assert_allclose(d1, b1)
    numpy.testing.assert_allclose(d2, b2)


def test_unet_weight_map_gap_and_far_background():
    # Two 5-wide cells separated by a one-pixel gap (column 6), lots of background below.
    inst = numpy.zeros((40, 13), numpy.int32)
    inst[0:5, 1:6] = 1
    inst[0:5, 7:12] = 2
    w0, sigma = 10.0, 5.0
    wmap = unet_weight_map(inst, w0=w0, sigma=sigma)
    assert wmap.dtype == numpy.float32 and wmap.shape == inst.shape
    wc = balanced_class_weights((inst > 0).astype(numpy.int32), 2)
    # In the gap both distances are 1 → w_c + w0·exp(−4/(2σ²)) ≈ w_c + 0.92·w0.
    expected_gap = wc[0] + w0 * numpy.exp(-(1 + 1) ** 2 / (2 * sigma ** 2))
    numpy.testing.assert_allclose(wmap[2, 6], expected_gap, rtol=1e-6)
    assert wmap[2, 6] > wc[0] + 0.9 * w0
    # Far from both cells the border term vanishes.
    numpy.testing.assert_allclose(wmap[-1, 6], wc[0], rtol=1e-4)
    # Inside cells: the cell class weight only.
    numpy.testing.assert_allclose(wmap[inst > 0], wc[1], rtol=1e-6)
    # The full map against brute-force distances.
    b1, b2 = _brute_distances(inst)
    ref = numpy.where(inst > 0, wc[1], wc[0] + w0 * numpy.exp(-(b1 + b2) ** 2 / (2 * sigma ** 2)))
    numpy.testing.assert_allclose(wmap, ref, rtol=1e-5)


def test_unet_weight_map_balanced_default_has_mean_one():
    inst = numpy.zeros((10, 10), numpy.int32)
    inst[2:4, 2:4] = 1
    wc = balanced_class_weights((inst > 0).astype(numpy.int32), 2)
    # 4 cell pixels, 96 background: w = N / (2·n_c).
    numpy.testing.assert_allclose(wc, [100 / (2 * 96), 100 / (2 * 4)], rtol=1e-6)
    # One cell only: no second-nearest cell, so no border term.
    numpy.testing.assert_allclose(unet_weight_map(inst), wc[(inst > 0).astype(int)], rtol=1e-6)


def test_unet_weight_map_no_instances_and_custom_class_weights():
    empty = numpy.zeros((6, 7), numpy.int32)
    numpy.testing.assert_array_equal(unet_weight_map(empty), numpy.ones((6, 7), numpy.float32))
    numpy.testing.assert_allclose(unet_weight_map(empty, class_weights=(0.3, 4.0)), 0.3)
    inst = numpy.zeros((6, 7), numpy.int32)
    inst[0, 0] = 1
    inst[5, 6] = 2
    wmap = unet_weight_map(inst, w0=0, class_weights=(0.3, 4.0))
    numpy.testing.assert_allclose(wmap, numpy.where(inst > 0, 4.0, 0.3), rtol=1e-6)


def test_unet_weight_map_symmetric():
    inst = numpy.zeros((15, 15), numpy.int32)
    inst[3:6, 2:6] = 1
    inst[3:6, 9:13] = 2
    inst[10:13, 5:10] = 3
    wmap = unet_weight_map(inst)
    numpy.testing.assert_allclose(wmap, wmap[:, ::-1], rtol=1e-6)


def test_unet_weight_map_bad_inputs():
    with pytest.raises(ValueError, match='2-D'):
        unet_weight_map(numpy.zeros((1, 4, 4), numpy.int32))
    with pytest.raises(TypeError, match='integer'):
        unet_weight_map(numpy.zeros((4, 4), numpy.float32))
    with pytest.raises(ValueError, match='>= 0'):
        unet_weight_map(-numpy.ones((4, 4), numpy.int32))
    with pytest.raises(ValueError, match='sigma'):
        unet_weight_map(numpy.zeros((4, 4), numpy.int32), sigma=0)
    with pytest.raises(ValueError, match='length 2'):
        unet_weight_map(numpy.zeros((4, 4), numpy.int32), class_weights=(1, 2, 3))


def test_median_frequency_weights_hand_case():
    # Image A (4 px): class 0 ×3, class 1 ×1.
    # Image B (4 px, one ignored): class 0 ×1, class 2 ×2.
    a = numpy.array([[0, 0], [0, 1]], numpy.int32)
    b = numpy.array([[0, 2], [2, -1]], numpy.int32)
    w = median_frequency_weights([a, b], n_class=4)
    # freq0 = 4/7, freq1 = 1/4, freq2 = 2/3; median = 4/7; class 3 never present → 0.
    freq = numpy.array([4 / 7, 1 / 4, 2 / 3])
    numpy.testing.assert_allclose(w[:3], (4 / 7) / freq, rtol=1e-6)
    assert w[3] == 0.0 and w.dtype == numpy.float32
    numpy.testing.assert_allclose(median_frequency_weights(numpy.stack([a, a]), 4),
                                  median_frequency_weights([a], 4))
    numpy.testing.assert_allclose(median_frequency_weights(a, 4), median_frequency_weights([a], 4))


def test_median_frequency_weights_bad_inputs():
    with pytest.raises(ValueError, match='at least one'):
        median_frequency_weights([], 3)
    with pytest.raises(ValueError, match=r'\[0, 3\)'):
        median_frequency_weights(numpy.array([[0, 3]], numpy.int32), 3)
    with pytest.raises(TypeError, match='integer'):
        median_frequency_weights(numpy.zeros((2, 2), numpy.float32), 3)
