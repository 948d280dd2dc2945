import chainer
import numpy
import pytest

from seglearn import backend


@pytest.mark.parametrize('spec', [-1, '@numpy', 'cpu', 'CPU', numpy.int64(-1)])
def test_cpu_specifiers(spec):
    device = backend.get_device(spec)
    assert device.xp is numpy


def test_auto_is_numpy_without_gpu():
    expected = 'cupy' if backend.cupy_available() else 'numpy'
    assert backend.get_device(None).xp.__name__ == expected


def test_device_object_passes_through():
    device = chainer.get_device('@numpy')
    assert backend.get_device(device) is device


@pytest.mark.parametrize('spec', [0, '@cupy:0', 'gpu'])
def test_gpu_request_without_gpu_is_a_clear_error(spec):
    if backend.cupy_available():
        pytest.skip('a GPU is available here')
    with pytest.raises(RuntimeError, match='needs a GPU'):
        backend.get_device(spec)


@pytest.mark.parametrize('spec', ['@tpu', 'cuda', -2, 1.5, True, [0]])
def test_bad_specifiers(spec):
    with pytest.raises(ValueError, match='device'):
        backend.get_device(spec)


def test_to_device_and_to_numpy_on_cpu():
    x = numpy.arange(6, dtype=numpy.float32)
    assert backend.to_device(x, '@numpy') is x
    numpy.testing.assert_array_equal(backend.to_device(x, -1), x)
    v = chainer.Variable(x)
    numpy.testing.assert_array_equal(backend.to_numpy(v), x)
    link = chainer.links.Linear(3, 2)
    assert backend.to_device(link, '@numpy') is link
    assert backend.get_xp(v) is numpy and backend.get_xp(x) is numpy
    assert not backend.is_gpu('@numpy')


def test_timer_measures_elapsed_time():
    import time
    with backend.Timer('@numpy') as t:
        time.sleep(0.01)
    assert 0.009 < t.seconds < 1.0


@pytest.mark.gpu
def test_gpu_round_trip():
    import cupy
    x = numpy.arange(6, dtype=numpy.float32)
    y = backend.to_device(x, '@cupy:0')
    assert isinstance(y, cupy.ndarray) and backend.get_xp(y) is cupy
    numpy.testing.assert_array_equal(backend.to_numpy(y), x)
    with backend.Timer('@cupy:0') as t:
        (y * 2).sum()
    assert t.seconds > 0
