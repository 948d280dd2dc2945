"""Device choice, array-module helpers and a GPU-aware timer.

Every chapter has one ``DEVICE`` line; this module turns it into a Chainer device:

>>> get_device('@numpy')
<CpuDevice (numpy)>

Accepted specifiers: ``None`` (auto: CuPy GPU 0 when usable, else NumPy), ``-1`` (CPU), a GPU id
``0, 1, …``, Chainer's strings ``'@numpy'`` and ``'@cupy:N'``, the words ``'cpu'`` and ``'gpu'``,
and Chainer device objects.
"""
import time

import chainer
import numpy
from chainer import backend as chainer_backend

from seglearn._checks import is_int


def cupy_available():
    """Whether CuPy imports and sees at least one CUDA device.

    Returns:
        bool: True when ``'@cupy:0'`` can be used.
    """
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # ImportError, or CUDA errors when no driver or device is present
        return False


def _gpu_unavailable(spec):
    try:
        import cupy  # noqa: F401
    except ImportError:
        reason = 'CuPy is not installed (README: "GPU set-up")'
    else:
        reason = 'CuPy is installed but sees no usable CUDA device'
    return RuntimeError('device {!r} needs a GPU, but {}. Use DEVICE = "@numpy" '
                        'to run on the CPU.'.format(spec, reason))


def get_device(spec=None):
    """Turn a device specifier into a Chainer device.

    Args:
        spec: None (auto), int (-1 = CPU, N = GPU N), str ('@numpy', '@cupy:N', 'cpu', 'gpu')
            or a ``chainer.backend.Device``.

    Returns:
        chainer.backend.Device: the device.

    Raises:
        RuntimeError: a GPU was asked for and CuPy or a CUDA device is missing.
        ValueError: the specifier is not understood.
    """
    if isinstance(spec, chainer_backend.Device):
        return spec
    if spec is None:
        spec = '@cupy:0' if cupy_available() else '@numpy'
    if not (is_int(spec) or isinstance(spec, str)):
        raise ValueError('device must be None, an int, a string such as "@numpy" or '
                         '"@cupy:0", or a chainer Device; got {!r}'.format(spec))
    if is_int(spec):
        if spec < -1:
            raise ValueError('device id must be -1 (CPU) or a GPU id >= 0; got {}'.format(spec))
        spec = '@numpy' if spec == -1 else '@cupy:{}'.format(int(spec))
    words = {'cpu': '@numpy', 'numpy': '@numpy', 'gpu': '@cupy:0', 'cupy': '@cupy:0'}
    spec = words.get(spec.strip().lower(), spec.strip())
    if spec.startswith('@cupy'):
        if not cupy_available():
            raise _gpu_unavailable(spec)
    elif spec != '@numpy':
        raise ValueError('unknown device {!r}: use "@numpy" (CPU) or "@cupy:N" (GPU N)'.format(spec))
    return chainer.get_device(spec)


def is_gpu(device):
    """Whether a device specifier names a CuPy device.

    Args:
        device: anything :func:`get_device` accepts.

    Returns:
        bool
    """
    return get_device(device).xp is not numpy


def get_xp(x):
    """The array module (numpy or cupy) of an array or Variable.

    Args:
        x: numpy/cupy array or chainer.Variable.

    Returns:
        module: ``numpy`` or ``cupy``.
    """
    return chainer_backend.get_array_module(x)


def to_device(obj, device):
    """Move an array, a Variable or a Link to a device.

    Args:
        obj: numpy/cupy array, chainer.Variable or chainer.Link (moved in place and returned).
        device: anything :func:`get_device` accepts.

    Returns:
        The moved object.
    """
    device = get_device(device)
    if isinstance(obj, chainer.Link):
        return obj.to_device(device)
    if isinstance(obj, chainer.Variable):
        obj.to_device(device)
        return obj
    return device.send(obj)


def to_numpy(x):
    """A NumPy copy (or view) of an array or Variable on any device.

    Args:
        x: numpy/cupy array or chainer.Variable.

    Returns:
        numpy.ndarray
    """
    if isinstance(x, chainer.Variable):
        x = x.array
    if not hasattr(x, 'dtype'):  # lists, tuples, scalars
        return numpy.asarray(x)
    return chainer_backend.CpuDevice().send(x)


def synchronize(device=None):
    """Wait until queued GPU work on ``device`` has finished (no-op on the CPU)."""
    if device is not None and get_device(device).xp is numpy:
        return
    try:
        import cupy
    except ImportError:
        return
    if cupy_available():
        cupy.cuda.Device().synchronize()


class Timer:
    """Wall-clock timer that synchronises the GPU at start and stop.

    GPU kernels run asynchronously: without a synchronisation the clock stops before the work
    does. Use as a context manager:

    >>> with Timer('@numpy') as t:
    ...     _ = numpy.ones(10).sum()
    >>> t.seconds >= 0
    True

    Args:
        device: the device whose queue is synchronised; None = the current CUDA device if any.
    """

    def __init__(self, device=None):
        self.device = device
        self.seconds = None
        self._start = None

    def __enter__(self):
        synchronize(self.device)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        synchronize(self.device)
        self.seconds = time.perf_counter() - self._start
        return False
