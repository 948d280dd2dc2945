"""Tests for seglearn.inference: predict, sliding windows, overlap-tile."""

import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F

from seglearn import inference
from seglearn.inference import (coverage, overlap_tile_predict, predict, sliding_window_predict,
                                window_origins)
from small import PixelNet, image as _img


class Shrinking(PixelNet):
    """Output smaller than the input, and no predict_logits: predict must refuse it."""

    def forward(self, x):
        return super().forward(x)[:, :, 1:-1, 1:-1]


def _full_probs(model, img):
    with chainer.using_config('train', False):
        return F.softmax(model.forward(img[None]), axis=1).array[0]


def test_predict_matches_forward():
    numpy.random.seed(0)
    model, img = PixelNet(), _img()
    label, probs = predict(model, img, return_probs=True)
    ref = _full_probs(model, img)
    numpy.testing.assert_allclose(probs, ref, rtol=1e-5, atol=1e-7)
    assert label.dtype == numpy.int32 and label.shape == img.shape[1:]
    numpy.testing.assert_array_equal(label, ref.argmax(axis=0))
    numpy.testing.assert_array_equal(predict(model, img, device='@numpy'), label)


def test_predict_pads_for_fcdensenet():
    from seglearn.models import FCDenseNet
    numpy.random.seed(0)
    model = FCDenseNet(n_class=3, in_channels=3, n_layers_per_block=1, growth_rate=2,
                       first_channels=4)
    img = _img(h=21, w=35)  # not multiples of 32: the model pads and crops back
    label, probs = predict(model, img, return_probs=True)
    assert label.shape == (21, 35) and probs.shape == (3, 21, 35)
    numpy.testing.assert_allclose(probs, _full_probs(model, img), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_array_equal(label, model.predict([img])[0])


def test_predict_bad_inputs():
    model = PixelNet()
    with pytest.raises(ValueError, match='CHW'):
        predict(model, _img(c=1))
    with pytest.raises(ValueError, match='CHW'):
        predict(model, numpy.zeros((1, 3, 4, 4), numpy.float32))
    with pytest.raises(ValueError, match='input size'):
        predict(Shrinking(), _img())


def test_window_origins_and_coverage_brute_force():
    assert window_origins(10, 4, 3) == [0, 3, 6]
    assert window_origins(11, 4, 3) == [0, 3, 6, 7]
    assert window_origins(4, 4, 2) == [0]
    with pytest.raises(ValueError, match='exceed'):
        window_origins(3, 4, 1)
    h, w, win, stride = 11, 14, (4, 5), (3, 2)
    counts = numpy.zeros((h, w), numpy.int32)
    for y in range(h):
        for x in range(w):
            for oy in range(h - win[0] + 1):
                for ox in range(w - win[1] + 1):
                    on_grid_y = oy % stride[0] == 0 or oy == h - win[0]
                    on_grid_x = ox % stride[1] == 0 or ox == w - win[1]
                    if on_grid_y and on_grid_x and oy <= y < oy + win[0] and ox <= x < ox + win[1]:
                        counts[y, x] += 1
    numpy.testing.assert_array_equal(coverage((h, w), win, stride), counts)
    assert coverage((h, w), win, stride).min() >= 1


@pytest.mark.parametrize('window,stride', [(5, 3), ((4, 7), (2, 5)), (6, 6), (40, 10)])
def test_sliding_window_equals_full_forward_for_pixelwise_model(window, stride):
    numpy.random.seed(1)
    model, img = PixelNet(), _img(h=13, w=17)
    label, probs = sliding_window_predict(model, img, window, stride, return_probs=True)
    numpy.testing.assert_allclose(probs, _full_probs(model, img), rtol=1e-5, atol=1e-6)
    numpy.testing.assert_array_equal(label, predict(model, img))


def test_sliding_window_averages_overlaps():
    # A model that sees only its window's mean colour differs between windows; each pixel must
    # get the mean of the probabilities of the windows covering it.
    class MeanNet(PixelNet):
        def forward(self, x):
            y = super().forward(x)
            return F.broadcast_to(F.mean(y, axis=(2, 3), keepdims=True), y.shape)

    numpy.random.seed(2)
    model, img = MeanNet(), _img(h=9, w=7)
    _, probs = sliding_window_predict(model, img, (4, 7), (3, 7), return_probs=True)
    expected = numpy.zeros_like(probs)
    for y in window_origins(9, 4, 3):
        expected[:, y:y + 4] += _full_probs(model, img[:, y:y + 4])
    expected /= coverage((9, 7), (4, 7), (3, 7))[None]
    numpy.testing.assert_allclose(probs, expected, rtol=1e-5, atol=1e-7)


def test_sliding_window_bad_inputs():
    model, img = PixelNet(), _img()
    with pytest.raises(ValueError, match='window'):
        sliding_window_predict(model, img, 0, 1)
    with pytest.raises(ValueError, match='stride'):
        sliding_window_predict(model, img, 4, (1, 2, 3))
    with pytest.raises(ValueError, match='must not exceed window'):
        sliding_window_predict(model, img, 4, 5)


def _small_unet(depth=2):
    from seglearn.models import UNet
    numpy.random.seed(3)
    return UNet(n_class=3, in_channels=1, depth=depth, base=4, dropout=0.0)


@pytest.mark.parametrize('depth,tile', [(2, 8), (2, (12, 16)), (2, None), (3, None), (3, 12)])
def test_overlap_tile_equals_forward_of_mirrored_image(depth, tile):
    from seglearn.models.unet import nearest_valid_input_size, unet_output_size
    from seglearn.transforms import mirror_pad
    unet = _small_unet(depth)
    img = _img(c=1, h=21, w=26, seed=4)
    label, probs = overlap_tile_predict(unet, img, tile=tile, return_probs=True)
    assert label.shape == (21, 26) and probs.shape == (3, 21, 26)
    # The whole mirrored image in one forward pass, independently sized: margin m on each side,
    # then enough extra at the bottom/right to reach a valid input size.
    smallest = nearest_valid_input_size(1, depth, 'up')
    m = (smallest - unet_output_size(smallest, depth)) // 2
    assert inference.unet_margin(depth) == m
    sizes = [nearest_valid_input_size(s + 2 * m, depth, 'up') for s in (21, 26)]
    whole = mirror_pad(img, (m, sizes[0] - 21 - m, m, sizes[1] - 26 - m))
    ref = _full_probs(unet, whole)[:, :21, :26]
    numpy.testing.assert_allclose(probs, ref, rtol=1e-4, atol=1e-6)
    numpy.testing.assert_array_equal(label, probs.argmax(axis=0))


def test_predict_routes_valid_unet_to_overlap_tile():
    unet = _small_unet()
    img = _img(c=1, h=10, w=9, seed=5)
    numpy.testing.assert_array_equal(predict(unet, img), overlap_tile_predict(unet, img))
    numpy.testing.assert_array_equal(predict(unet, img), unet.predict([img])[0])


def test_overlap_tile_bad_inputs():
    unet = _small_unet()
    with pytest.raises(ValueError, match='not a valid U-Net output size'):
        overlap_tile_predict(unet, _img(c=1), tile=7)
    with pytest.raises(ValueError, match='tile'):
        overlap_tile_predict(unet, _img(c=1), tile=(8, 8, 8))
    with pytest.raises(ValueError, match='padding="valid"'):
        overlap_tile_predict(PixelNet(n_class=3, in_channels=1), _img(c=1))


def test_module_docstring_mentions_every_public_function():
    for name in ('predict', 'sliding_window_predict', 'overlap_tile_predict'):
        assert name in inference.__doc__


# --- error types that name the argument (issue 16) -----------------------------------------------

def test_bad_arguments_are_clear_errors():
    model = PixelNet(n_class=3)
    img = _img()
    with pytest.raises(TypeError, match='model must be a chainer.Link'):
        predict(None, img)  # was AttributeError: 'NoneType' object has no attribute 'device'
    with pytest.raises(TypeError, match='img must be a NumPy or CuPy array'):
        predict(model, None)
    with pytest.raises(ValueError, match='at least one pixel'):
        predict(model, numpy.zeros((3, 0, 5), numpy.float32))  # was IndexError
    with pytest.raises(ValueError, match='window must be an int'):
        sliding_window_predict(model, img, 2.5, 2)
    with pytest.raises(ValueError, match='n_class is 5 but the model gives 3'):
        sliding_window_predict(model, img, 8, 4, n_class=5)  # was a broadcast error
    assert sliding_window_predict(model, img, 8, 4, n_class=3).shape == img.shape[1:]
