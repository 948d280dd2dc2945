"""seglearn.functions.max_pooling_2d against Chainer's, gradient checks, dispatch."""
import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer import gradient_check

from seglearn import config, functions
from seglearn.functions import _patches, pooling


def _input(shape, layout, dtype=numpy.float32, seed=0):
    x = numpy.random.RandomState(seed).randn(*shape).astype(dtype)
    x[:, :, :3, :3] = 0  # ties inside windows: the first maximum must win, as in Chainer
    if layout == 'nhwc':
        x = _patches.nchw(numpy.ascontiguousarray(_patches.nhwc(x)))
    return x


def _run(fn, x, **kwargs):
    xv = chainer.Variable(x.copy(order='K'))
    y = fn(xv, **kwargs)
    y.grad = numpy.random.RandomState(1).randn(*y.shape).astype(x.dtype)
    y.backward()
    return y, xv.grad


@pytest.mark.parametrize('layout', ['nchw', 'nhwc'])
@pytest.mark.parametrize('shape, ksize, cover_all', [
    ((2, 3, 8, 8), 2, True), ((2, 3, 7, 9), 2, True), ((2, 3, 7, 9), 2, False),
    ((1, 4, 9, 10), 3, True), ((1, 2, 5, 6), (2, 3), False), ((3, 1, 1, 1), 2, True)])
def test_max_pooling_matches_chainer(layout, shape, ksize, cover_all, kernels):
    x = _input(shape, layout)
    y, gx = _run(functions.max_pooling_2d, x, ksize=ksize, cover_all=cover_all)
    assert isinstance(y.creator, pooling.MaxPooling2D)
    y_ref, gx_ref = _run(F.max_pooling_2d, x, ksize=ksize, cover_all=cover_all)
    numpy.testing.assert_array_equal(y.array, y_ref.array)
    numpy.testing.assert_array_equal(gx, gx_ref)
    if layout == 'nhwc':  # channel-last in, channel-last out
        assert _patches.nhwc(y.array).flags.c_contiguous


@pytest.mark.parametrize('cover_all', [True, False])
def test_max_pooling_gradient_checks(cover_all, kernels):
    rng = numpy.random.RandomState(2)
    x = rng.permutation(2 * 3 * 5 * 7).reshape(2, 3, 5, 7).astype(kernels.dtype)  # no ties

    def f(x):
        return functions.max_pooling_2d(x, 2, cover_all=cover_all)

    gy = rng.randn(*f(x).shape).astype(kernels.dtype)
    tolerance = dict(atol=kernels.atol, rtol=kernels.rtol)
    gradient_check.check_backward(f, x, gy, dtype=numpy.float64, eps=0.1, **tolerance)
    gradient_check.check_double_backward(f, x, gy, rng.randn(*x.shape).astype(kernels.dtype),
                                         dtype=numpy.float64, eps=0.1, **tolerance)


def test_other_poolings_use_chainer(monkeypatch, kernels):
    calls = []
    original = F.max_pooling_2d
    monkeypatch.setattr(F, 'max_pooling_2d', lambda *a, **k: calls.append(a) or original(*a, **k))
    x = _input((1, 2, 6, 6), 'nchw')
    for x_in, kwargs in ((x, dict(ksize=3, stride=2)), (x, dict(ksize=2, pad=1)),
                         (x.astype(numpy.float16), dict(ksize=2))):
        y = functions.max_pooling_2d(x_in, **kwargs)
        assert not isinstance(y.creator, pooling.MaxPooling2D)
    y, idx = functions.max_pooling_2d(x, 2, return_indices=True)
    with config.using_fast_cpu(False):
        functions.max_pooling_2d(x, 2)
    assert len(calls) == 5


def test_bad_input_raises():
    with pytest.raises(ValueError, match='output size'):
        functions.max_pooling_2d(numpy.ones((1, 1, 1, 1), numpy.float32), 2, cover_all=False)
    with pytest.raises(chainer.utils.type_check.InvalidType):
        pooling.MaxPooling2D((2, 2), True).apply((numpy.ones((2, 4, 4), numpy.float32),))
