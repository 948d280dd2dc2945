import itertools
from fractions import Fraction

import chainer.functions as F
import numpy
import pytest
from hypothesis import example, assume, given, settings
from hypothesis import strategies as st

import seglearn  # noqa: F401
from seglearn.arithmetic import (
    Conv, Crop, Deconv, Pool, conv_output_size, coordinate_map, crop_offset, deconv_output_size,
    deconv_params_for_scale, jump, receptive_field, solve_deconv, stack_output_size)
from seglearn.models.fcn import FCN_UPSAMPLING, FCN_VGG16_LAYERS

sizes = st.integers(1, 40)
ksizes = st.integers(1, 9)
strides = st.integers(1, 6)
pads = st.integers(0, 6)


def _chainer_conv_size(n, k, s, p, cover_all, d):
    x = numpy.zeros((1, 1, n, n), numpy.float32)
    W = numpy.zeros((1, 1, k, k), numpy.float32)
    return F.convolution_2d(x, W, stride=s, pad=p, cover_all=cover_all, dilate=d).shape[2]


def test_conv_output_size_matches_chainer_convolution():
    for n, k, s, p, cover_all, d in itertools.product(
            range(1, 8), range(1, 5), range(1, 4), range(3), (False, True), (1, 2)):
        try:
            ours = conv_output_size(n, k, s, p, cover_all=cover_all, dilate=d)
        except ValueError:
            with pytest.raises(Exception):  # Chainer asserts a positive output size
                _chainer_conv_size(n, k, s, p, cover_all, d)
        else:
            assert ours == _chainer_conv_size(n, k, s, p, cover_all, d), (n, k, s, p, cover_all, d)


def test_conv_output_size_matches_chainer_max_pooling():
    for n, k, s, cover_all in itertools.product(range(1, 10), range(1, 4), range(1, 4),
                                                (False, True)):
        for p in range(k):
            x = numpy.zeros((1, 1, n, n), numpy.float32)
            try:
                ours = conv_output_size(n, k, s, p, cover_all=cover_all)
            except ValueError:
                with pytest.raises(Exception):
                    F.max_pooling_2d(x, k, s, p, cover_all=cover_all)
            else:
                assert ours == F.max_pooling_2d(x, k, s, p, cover_all=cover_all).shape[2]


def test_conv_output_size_floor_and_ceil():
    assert conv_output_size(224, 3, pad=1) == 224
    assert conv_output_size(7, 2, 2) == 3
    assert conv_output_size(7, 2, 2, cover_all=True) == 4
    assert conv_output_size(5, 3, dilate=2) == 1


@pytest.mark.parametrize('kwargs, error, word', [
    (dict(size=0, ksize=3), ValueError, 'size'),
    (dict(size=5, ksize=0), ValueError, 'ksize'),
    (dict(size=5, ksize=3, stride=0), ValueError, 'stride'),
    (dict(size=5, ksize=3, pad=-1), ValueError, 'pad'),
    (dict(size=5, ksize=3, dilate=0), ValueError, 'dilate'),
    (dict(size=5.0, ksize=3), TypeError, 'size'),
    (dict(size=True, ksize=3), TypeError, 'size'),
    (dict(size=5, ksize='3'), TypeError, 'ksize'),
    (dict(size=5, ksize=3, cover_all=1), TypeError, 'cover_all'),
    (dict(size=2, ksize=5), ValueError, 'larger than the padded input'),
])
def test_conv_output_size_bad_input(kwargs, error, word):
    with pytest.raises(error, match=word):
        conv_output_size(**kwargs)


def test_sizes_accept_numpy_ints():
    assert conv_output_size(numpy.int64(9), numpy.int32(3)) == 7
    assert deconv_output_size(numpy.int64(4), 4, 2, 1) == 8


def test_deconv_output_size_matches_chainer_deconvolution():
    for n, k, s, p in itertools.product(range(1, 7), range(1, 6), range(1, 4), range(3)):
        x = numpy.zeros((1, 1, n, n), numpy.float32)
        W = numpy.zeros((1, 1, k, k), numpy.float32)
        try:
            ours = deconv_output_size(n, k, s, p)
        except ValueError:
            with pytest.raises(Exception):
                F.deconvolution_2d(x, W, stride=s, pad=p)
        else:
            assert ours == F.deconvolution_2d(x, W, stride=s, pad=p).shape[2], (n, k, s, p)


def test_deconv_output_size_bad_input():
    with pytest.raises(ValueError, match='pad is too large'):
        deconv_output_size(1, 2, 1, 1)
    with pytest.raises(ValueError, match='stride'):
        deconv_output_size(3, 2, 0)
    with pytest.raises(TypeError, match='ksize'):
        deconv_output_size(3, None)


@given(sizes, ksizes, strides, pads)
def test_deconv_inverts_conv_when_windows_tile_exactly(n, k, s, p):
    assume(n + 2 * p >= k and (n + 2 * p - k) % s == 0)
    assert deconv_output_size(conv_output_size(n, k, s, p), k, s, p) == n


@given(sizes, ksizes, strides, pads)
def test_conv_inverts_deconv(n, k, s, p):
    assume(s * (n - 1) + k - 2 * p >= 1)
    assert conv_output_size(deconv_output_size(n, k, s, p), k, s, p) == n


@given(st.integers(1, 64), st.integers(1, 50))
def test_deconv_params_for_scale_upsample_exactly(scale, n):
    k, s, p = deconv_params_for_scale(scale)
    assert s == scale
    assert deconv_output_size(n, k, s, p) == scale * n
    if scale % 2 == 0:
        assert (k, p) == (2 * scale, scale // 2)


def test_deconv_params_for_scale_fcn_values():
    assert deconv_params_for_scale(32) == (64, 32, 16)
    assert deconv_params_for_scale(2) == (4, 2, 1)
    assert deconv_params_for_scale(1) == (1, 1, 0)


@pytest.mark.parametrize('scale, error', [(0, ValueError), (-2, ValueError), (2.0, TypeError),
                                          (True, TypeError), ('2', TypeError)])
def test_deconv_params_for_scale_bad_input(scale, error):
    with pytest.raises(error, match='scale'):
        deconv_params_for_scale(scale)


@given(sizes, ksizes, strides, pads)
def test_solve_deconv_round_trips(n, k, s, p):
    assume(s * (n - 1) + k - 2 * p >= 1)
    out = deconv_output_size(n, k, s, p)
    assert solve_deconv(n, out, stride=s, pad=p) == k
    assert solve_deconv(n, out, ksize=k, stride=s) == p
    if n > 1:
        assert solve_deconv(n, out, ksize=k, pad=p) == s


def test_solve_deconv_fcn_question():
    # "which stride and pad upsample 16 -> 512 with k=64?"
    assert solve_deconv(16, 512, ksize=64, pad=16) == 32
    assert solve_deconv(16, 512, ksize=64, stride=32) == 16


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_size=4, out_size=8, ksize=3, stride=2), 'odd'),
    (dict(in_size=4, out_size=20, ksize=3, stride=2), 'pad'),
    (dict(in_size=4, out_size=3, stride=2, pad=0), 'ksize'),
    (dict(in_size=4, out_size=9, ksize=4, pad=1), 'stride'),
    (dict(in_size=4, out_size=3, ksize=4, pad=1), 'stride'),
    (dict(in_size=1, out_size=4, ksize=4, pad=0), 'in_size=1'),
    (dict(in_size=4, out_size=8, ksize=4), 'exactly one'),
    (dict(in_size=4, out_size=8, ksize=4, stride=2, pad=1), 'exactly one'),
    (dict(in_size=0, out_size=8, ksize=4, stride=2), 'in_size'),
    (dict(in_size=4, out_size=8, ksize=0, stride=2), 'ksize'),
    (dict(in_size=4, out_size=8, ksize=4, stride=2.5), 'stride'),
])
def test_solve_deconv_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        solve_deconv(**kwargs)


def test_solve_deconv_error_names_the_values():
    with pytest.raises(ValueError, match='in_size=4, out_size=8, ksize=3, stride=2'):
        solve_deconv(4, 8, ksize=3, stride=2)


def test_layer_specs():
    assert Pool(2) == (2, 2, 0)
    assert Pool(3, 2, 1).stride == 2
    assert Conv(3) == (3, 1, 0)
    assert Deconv(4, 2, 1).pad == 1
    assert Crop(5).offset == 5
    for bad, error in [(lambda: Conv(0), ValueError), (lambda: Conv(3, 0), ValueError),
                       (lambda: Pool(2, pad=-1), ValueError), (lambda: Deconv(3.0), TypeError),
                       (lambda: Crop(-1), ValueError), (lambda: Conv(True), TypeError)]:
        with pytest.raises(error):
            bad()


def test_receptive_field_known_stacks():
    assert receptive_field([]) == 1
    assert receptive_field([Conv(3)] * 3) == 7
    assert receptive_field(FCN_VGG16_LAYERS['pool5']) == 212
    assert receptive_field([Conv(3), Pool(2), Conv(3)]) == 8
    assert jump(FCN_VGG16_LAYERS['pool5']) == 32
    assert jump(FCN_VGG16_LAYERS['score_fr'] + FCN_UPSAMPLING['fcn8s'][:1]) == 16
    assert jump([Deconv(4, 2, 1)]) == Fraction(1, 2)


def test_layer_functions_reject_bad_layers():
    for fn in (receptive_field, coordinate_map, jump, crop_offset):
        with pytest.raises(TypeError, match='layers'):
            fn([Conv(3), (3, 1, 0)])
        with pytest.raises(TypeError, match='layers'):
            fn(3)


layer_specs = st.one_of(
    st.builds(Conv, st.integers(1, 5), st.integers(1, 3), st.integers(0, 2)),
    st.builds(Pool, st.integers(1, 3), st.integers(1, 3), st.integers(0, 1)),
)


def _jacobian(layers, n):
    """Dependency matrix J[x_out, x_in] of a stack of 1-D box convolutions (Chainer)."""
    x = numpy.eye(n, dtype=numpy.float64).reshape(n, 1, 1, n)
    for layer in layers:
        if isinstance(layer, Deconv):
            W = numpy.ones((1, 1, 1, layer.ksize))
            x = F.deconvolution_2d(x, W, stride=(1, layer.stride), pad=(0, layer.pad)).array
        else:
            W = numpy.ones((1, 1, 1, layer.ksize))
            x = F.convolution_2d(x, W, stride=(1, layer.stride), pad=(0, layer.pad)).array
    return x[:, 0, 0, :].T


@settings(max_examples=60, deadline=None)
@given(st.lists(layer_specs, min_size=1, max_size=4))
def test_receptive_field_and_coordinate_map_brute_force(layers):
    n = 80
    try:
        stack_output_size(layers, n, cover_all=False)
    except ValueError:
        assume(False)
    J = _jacobian(layers, n)
    a, b = coordinate_map(layers)
    r = receptive_field(layers)
    interior = 0
    for x_out, row in enumerate(J):
        lo, hi = a * x_out + b - Fraction(r - 1, 2), a * x_out + b + Fraction(r - 1, 2)
        if lo < 0 or hi > n - 1:
            continue  # the field hangs over the border
        interior += 1
        touched = numpy.flatnonzero(row)
        assert (touched.min(), touched.max()) == (lo, hi), (x_out, layers)
    assume(interior > 0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(layer_specs, st.builds(
    lambda s, extra, p: Deconv(s + extra, s, p), st.integers(1, 3), st.integers(0, 3),
    st.integers(0, 2))), min_size=1, max_size=4))
@example(layers=[Conv(1, 3, 0), Deconv(3, 3, 0), Conv(1, 2, 0), Conv(3, 2, 0)])  # widths 4, 4, 7, …
def test_receptive_field_with_deconvolutions_brute_force(layers):
    n = 400
    try:
        stack_output_size(layers, n, cover_all=False)
    except ValueError:
        assume(False)
    # a crude upper bound on any field; a row touching nothing closer than that to the border
    # cannot be clipped by it
    bound = 1 + sum(layer.ksize for layer in layers if not isinstance(layer, Crop)) * int(
        numpy.prod([layer.stride for layer in layers if isinstance(layer, (Conv, Pool))]))
    widths = []
    for row in _jacobian(layers, n):
        touched = numpy.flatnonzero(row)
        if len(touched) and touched.min() >= bound and touched.max() <= n - 1 - bound:
            widths.append(touched.max() - touched.min() + 1)
    # the widths repeat with a period that divides the product of all strides (each layer's
    # phase repeats with its stride); jump.denominator alone is too short a period when a
    # deconvolution's phase mixes with later strides, e.g. Conv(1,3), Deconv(3,3), Conv(1,2), Conv(3,2)
    assume(len(widths) >= int(numpy.prod([layer.stride for layer in layers
                                          if not isinstance(layer, Crop)])))
    assert max(widths) == receptive_field(layers), layers


def test_coordinate_map_single_layers():
    assert coordinate_map([]) == (1, 0)
    assert coordinate_map([Conv(3, 1, 100)]) == (1, -99)
    assert coordinate_map([Pool(2)]) == (2, Fraction(1, 2))
    assert coordinate_map([Deconv(64, 32)]) == (Fraction(1, 32), Fraction(-63, 64))
    assert coordinate_map([Crop(19)]) == (1, 19)
    a, b = coordinate_map([Deconv(4, 2, 1)])
    # x2 upsampling with k=4, p=1: output pixel 0 lies a quarter pixel before input pixel 0
    assert a * 0 + b == Fraction(-1, 4)


def test_coordinate_map_shift_equivariance():
    # shifting the input by a*t shifts the output by t: check on a stride-2 conv with Chainer
    rng = numpy.random.RandomState(0)
    x = rng.rand(1, 1, 1, 40)
    W = rng.rand(1, 1, 1, 5)
    a, b = coordinate_map([Conv(5, 2, 1)])
    y = F.convolution_2d(x, W, stride=(1, 2), pad=(0, 1)).array[0, 0, 0]
    y_shift = F.convolution_2d(x[..., int(a) * 3:], W, stride=(1, 2), pad=(0, 1)).array[0, 0, 0]
    numpy.testing.assert_allclose(y_shift[1:10], y[4:13])


def test_stack_output_size():
    vgg_no_pad = [Conv(3, 1, 1) if isinstance(layer, Conv) else layer
                  for layer in FCN_VGG16_LAYERS['pool5']]
    assert stack_output_size(vgg_no_pad, 224) == 7
    assert stack_output_size([Pool(2)], 7) == 4
    assert stack_output_size([Pool(2)], 7, cover_all=False) == 3
    assert stack_output_size([Conv(3), Deconv(4, 2, 1)], 10) == 16
    with pytest.raises(ValueError, match='Crop'):
        stack_output_size([Conv(3), Crop(1)], 10)
    with pytest.raises(ValueError, match='size'):
        stack_output_size([Conv(3)], 0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(layer_specs, st.builds(Deconv, st.integers(1, 4), st.integers(1, 3),
                                                 st.integers(0, 1))), min_size=1, max_size=4),
       st.integers(5, 30), st.booleans())
def test_stack_output_size_matches_chainer(layers, n, cover_all):
    try:
        ours = stack_output_size(layers, n, cover_all=cover_all)
    except ValueError:
        assume(False)
    x = numpy.zeros((1, 1, n, n), numpy.float32)
    for layer in layers:
        k, s, p = layer
        W = numpy.zeros((1, 1, k, k), numpy.float32)
        if isinstance(layer, Conv):
            x = F.convolution_2d(x, W, stride=s, pad=p)
        elif isinstance(layer, Pool):
            x = F.max_pooling_2d(x, k, s, p, cover_all=cover_all)
        else:
            x = F.deconvolution_2d(x, W, stride=s, pad=p)
    assert x.shape[2:] == (ours, ours)


def test_crop_offset():
    assert crop_offset([Conv(3, 1, 2)]) == 1
    assert crop_offset([Conv(3)], reference=[Conv(3)]) == 0
    with pytest.raises(ValueError, match='offset would be -1'):
        crop_offset([Conv(3)])
    with pytest.raises(ValueError, match='offset would be'):
        crop_offset([Conv(2)])
    with pytest.raises(ValueError, match='jump'):
        crop_offset([Pool(2)])
