"""seglearn.sanity: the baselines and the blank/shuffled-pixel checks of the training chapters."""
import chainer
import numpy
import pytest

import seglearn  # noqa: F401
from seglearn import metrics, sanity
from seglearn.models import SegmentationModel


class _Brightness(SegmentationModel):
    """Calls a pixel class 1 where its red channel is above 100: looks at each pixel only."""
    n_class = 2
    in_channels = 3

    def forward(self, x):
        red = x[:, :1] - 100.0
        return chainer.functions.concat((-red, red), axis=1)


class _Fixed(SegmentationModel):
    """Predicts the same mask whatever the image: class 1 in the top rows."""
    n_class = 2
    in_channels = 3

    def forward(self, x):
        xp = chainer.backend.get_array_module(x)
        score = xp.zeros((x.shape[0], 2) + x.shape[2:], xp.float32)
        score[:, 1, :2] = 1.0
        score[:, 0, 2:] = 1.0
        return chainer.Variable(score)


def _images(n=3, size=6):
    rng = numpy.random.RandomState(0)
    images = [(rng.rand(3, size, size) * 255).astype(numpy.float32) for _ in range(n)]
    return images, [(img[0] > 100).astype(numpy.int32) for img in images]


def test_baselines_score_background_and_the_majority_mask():
    train = [numpy.array([[1, 0], [0, 0]]), numpy.array([[1, 1], [0, 0]]),
             numpy.array([[1, 0], [0, 1]])]
    gts = [numpy.array([[1, 0], [0, 0]])]
    scores = sanity.baselines(train, gts, 2)
    assert list(scores) == ['all background', 'fixed mask (position prior)']
    # the majority mask is [[1, 0], [0, 0]]: exactly the ground truth
    assert scores['fixed mask (position prior)']['miou'] == 1.0
    assert scores['all background']['miou'] == pytest.approx(
        metrics.evaluate(numpy.zeros((2, 2), int), gts[0], 2)['miou'])
    assert scores['all background']['miou'] == pytest.approx((0.75 + 0) / 2)


def test_shuffle_pixels_keeps_the_values_and_moves_them_alike_in_every_channel():
    img = numpy.arange(3 * 4 * 5, dtype=numpy.float32).reshape(3, 4, 5)
    out = sanity.shuffle_pixels(img, seed=1)
    assert out.shape == img.shape and out.dtype == numpy.float32
    assert not numpy.array_equal(out, img)
    for c in range(3):
        assert sorted(out[c].ravel()) == sorted(img[c].ravel())
    # one permutation for all channels: channel c is channel 0 plus 20·c everywhere
    assert numpy.array_equal(out[1] - out[0], numpy.full((4, 5), 20.0))
    assert numpy.array_equal(sanity.shuffle_pixels(img, seed=1), out)
    assert not numpy.array_equal(sanity.shuffle_pixels(img, seed=2), out)
    with pytest.raises(ValueError, match=r'\(C, H, W\)'):
        sanity.shuffle_pixels(img[0])


def test_input_checks_tell_a_model_that_looks_from_one_that_does_not():
    images, gts = _images()
    looks = sanity.input_checks(_Brightness(), images, gts, 2)
    # a per-pixel rule follows the shuffled pixels (scored against the unshuffled truth), and a
    # grey 128 is above its threshold
    moved = [(img[0] > 100).astype(numpy.int32) for img in looks['shuffled_images']]
    assert looks['shuffled']['miou'] == pytest.approx(metrics.evaluate(moved, gts, 2)['miou'])
    assert looks['shuffled']['miou'] < 0.8 and looks['blank'] == 1.0
    for i, img in enumerate(images):
        assert numpy.array_equal(looks['shuffled_images'][i], sanity.shuffle_pixels(img, i))
    fixed = sanity.input_checks(_Fixed(), images, gts, 2)
    assert fixed['blank'] == pytest.approx(2 / 6)          # its two top rows, on any image
    expected = metrics.evaluate([numpy.repeat([[1], [1], [0], [0], [0], [0]], 6, 1)] * 3, gts, 2)
    assert fixed['shuffled']['miou'] == pytest.approx(expected['miou'])
    assert len(fixed['shuffled_images']) == 3 and fixed['blank_image'].shape == (3, 6, 6)
    assert numpy.all(fixed['blank_image'] == sanity.BLANK_VALUE)
    with pytest.raises(ValueError, match='at least one image'):
        sanity.input_checks(_Fixed(), [], [], 2)
