"""seglearn.functions.concat / crop / dropout / relu against Chainer's, gradient checks, layouts,
dispatch."""
import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer import gradient_check

from seglearn import config, functions
from seglearn.functions import _patches, activation, array


def _channel_last(shape, seed):
    b, c, h, w = shape
    return _patches.nchw(numpy.random.RandomState(seed).randn(b, h, w, c))


def _run(fn, inputs, gy):
    variables = [chainer.Variable(a.astype(numpy.float32)) for a in inputs]
    y = fn(variables)
    y.grad = gy.astype(numpy.float32)
    y.backward()
    return [y.array] + [v.grad for v in variables]


def test_concat_matches_chainer_and_is_channel_last():
    inputs = [_channel_last((2, 3, 4, 5), 0), numpy.random.RandomState(1).randn(2, 2, 4, 5),
              _channel_last((2, 1, 4, 5), 2)]
    gy = _channel_last((2, 6, 4, 5), 3)
    ours = _run(lambda v: functions.concat(v, axis=1), inputs, gy)
    theirs = _run(lambda v: F.concat(v, axis=1), inputs, gy)
    for a, b in zip(ours, theirs):
        numpy.testing.assert_array_equal(a, b)
    assert _patches.nhwc(ours[0]).flags.c_contiguous


def test_concat_gradient_checks():
    rng = numpy.random.RandomState(4)
    inputs = (rng.randn(2, 3, 3, 2), rng.randn(2, 1, 3, 2))
    gy = rng.randn(2, 4, 3, 2)

    def f(a, b):
        return functions.concat((a, b))

    gradient_check.check_backward(f, inputs, gy, dtype=numpy.float64)
    gradient_check.check_double_backward(f, inputs, gy, tuple(rng.randn(*a.shape)
                                                              for a in inputs),
                                         dtype=numpy.float64)


def test_concat_with_one_unused_gradient():
    a, b = (chainer.Variable(numpy.ones((1, c, 2, 2), numpy.float32)) for c in (2, 3))
    y = functions.concat((a, b))
    gb, = chainer.grad([F.sum(y[:, 3:])], [b], enable_double_backprop=True)
    numpy.testing.assert_array_equal(gb.array, [[[[0, 0], [0, 0]], [[1, 1], [1, 1]],
                                                 [[1, 1], [1, 1]]]])
    gga, = chainer.grad([F.sum(gb * gb)], [a])  # through the split's backward
    assert gga is None or not gga.array.any()


@pytest.mark.parametrize('layout', ['nchw', 'nhwc'])
def test_crop_matches_chainer(layout):
    x = _channel_last((2, 3, 9, 8), 5)
    x = numpy.ascontiguousarray(x) if layout == 'nchw' else x
    gy = numpy.random.RandomState(6).randn(2, 3, 4, 5)
    ours = _run(lambda v: functions.crop(v[0], (2, 1), (4, 5)), [x], gy)
    theirs = _run(lambda v: v[0][:, :, 2:6, 1:6], [x], gy)
    for a, b in zip(ours, theirs):
        numpy.testing.assert_array_equal(a, b)


def test_crop_gradient_checks_and_gradient_layout():
    rng = numpy.random.RandomState(7)
    x = rng.randn(1, 2, 6, 5)
    gy = rng.randn(1, 2, 3, 2)

    def f(x):
        return functions.crop(x, (1, 2), (3, 2))

    gradient_check.check_backward(f, x, gy, dtype=numpy.float64)
    gradient_check.check_double_backward(f, x, gy, rng.randn(*x.shape), dtype=numpy.float64)
    gx = array.CropGrad((1, 2), (1, 2, 6, 5)).apply((_channel_last((1, 2, 3, 2), 8),))[0]
    assert _patches.nhwc(gx.array).flags.c_contiguous


def test_dispatch():
    x = numpy.ones((1, 2, 3, 3), numpy.float32)
    assert isinstance(functions.concat((x, x)).creator, array.ChannelConcat)
    assert isinstance(functions.crop(x, (0, 1), (2, 2)).creator, array.Crop)
    for xs, axis in (((x, x), 2), ((x[0], x[0]), 0)):  # another axis, 3-D
        assert not isinstance(functions.concat(xs, axis).creator, array.ChannelConcat)
    assert isinstance(functions.relu(x).creator, activation.ReLU)
    assert not isinstance(functions.relu(x[0]).creator, activation.ReLU)  # 3-D: Chainer's
    with config.using_fast_cpu(False):
        assert not isinstance(functions.concat((x, x)).creator, array.ChannelConcat)
        assert not isinstance(functions.crop(x, (0, 1), (2, 2)).creator, array.Crop)
        assert not isinstance(functions.relu(x).creator, activation.ReLU)


@pytest.mark.parametrize('layout', ['nchw', 'nhwc'])
def test_dropout_draws_chainers_mask_in_the_inputs_layout(layout):
    x = _channel_last((2, 3, 4, 5), 9).astype(numpy.float32)
    x = numpy.ascontiguousarray(x) if layout == 'nchw' else x
    gy = _channel_last((2, 3, 4, 5), 10).astype(numpy.float32)
    results = []
    for fn in (functions.dropout, F.dropout):
        numpy.random.seed(11)
        xv = chainer.Variable(x)
        y = fn(xv, 0.3)
        y.grad = gy
        y.backward()
        results.append((y.array, xv.grad))
    for a, b in zip(*results):
        numpy.testing.assert_array_equal(a, b)
    dropped = results[0][0] == 0
    assert 0.15 < dropped.mean() < 0.45  # 120 values, ratio 0.3
    if layout == 'nhwc':
        assert _patches.nhwc(results[0][0]).flags.c_contiguous
    with chainer.using_config('train', False):
        assert functions.dropout(x, 0.3).array is x


def test_relu_matches_chainer_and_keeps_channel_last(kernels):
    x = _channel_last((2, 5, 4, 3), 12).astype(numpy.float32)
    x[0, 0, 0, 0] = 0  # the kink: no gradient, as Chainer's
    gy = _channel_last((2, 5, 4, 3), 13).astype(numpy.float32)
    ours = _run(lambda v: functions.relu(v[0]), [x], gy)
    theirs = _run(lambda v: F.relu(v[0]), [x], gy)
    for a, b in zip(ours, theirs):
        numpy.testing.assert_array_equal(a, b)
        assert _patches.nhwc(a).flags.c_contiguous


def test_relu_gradient_checks(kernels):
    rng = numpy.random.RandomState(14)
    x = rng.uniform(0.2, 1, (2, 3, 4, 5)) * rng.choice([-1, 1], (2, 3, 4, 5))  # away from 0
    x = x.astype(kernels.dtype)
    gy = rng.randn(*x.shape).astype(kernels.dtype)
    tolerance = dict(atol=kernels.atol, rtol=kernels.rtol)
    gradient_check.check_backward(functions.relu, x, gy, dtype=numpy.float64, **tolerance)
    gradient_check.check_double_backward(functions.relu, x, gy,
                                         rng.randn(*x.shape).astype(kernels.dtype),
                                         dtype=numpy.float64, **tolerance)
