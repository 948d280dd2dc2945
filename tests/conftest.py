"""Shared pytest set-up: seglearn before chainer, GPU tests skipped cleanly, the ``spy`` and
``kernels`` fixtures, and what a parallel run (``pytest -n``, as ``make test`` runs) needs: one
OpenMP thread per worker and the longest tests first."""
import collections
import os

import numpy
import pytest

import seglearn  # noqa: F401  (applies seglearn._compat before any test imports chainer)
from seglearn import config as seglearn_config
from seglearn.backend import cupy_available
from seglearn.functions import normalization, onednn


@pytest.fixture
def spy(monkeypatch):
    """``spy(module, name)`` wraps ``module.name`` for the test and returns the list it fills with
    the positional arguments of every call (the original still runs)."""
    def install(module, name):
        calls = []
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls.append(args)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)
        return calls

    return install


CpuKernels = collections.namedtuple('CpuKernels', 'name dtype atol rtol')
CpuKernels.__doc__ = """A CPU backend under test: its name (``config.fast_cpu``), the dtype its
gradient checks run in, and their tolerances. oneDNN's CPU kernels are float32 only: its
analytic float32 gradients are checked against numerical ones taken in float64 (``dtype=`` of
``chainer.gradient_check``; the NumPy kernels compute those), i.e. against the exact derivative."""
_CPU_KERNELS = {'numpy': CpuKernels('numpy', numpy.float64, 1e-6, 1e-5),
                'onednn': CpuKernels('onednn', numpy.float32, 1e-4, 1e-3)}


@pytest.fixture(params=sorted(_CPU_KERNELS))
def kernels(request, monkeypatch):
    """Runs the test once per CPU backend of seglearn's functions, with ``config.fast_cpu`` set
    to it (oneDNN is skipped where ``libdnnl.so`` does not load); yields its :class:`CpuKernels`.

    On oneDNN, batch normalization takes oneDNN's kernels for every shape (not only where its
    one-off timing says they pay, :func:`seglearn.functions.normalization._onednn_pays`), so
    that what is tested does not depend on the machine's speed."""
    if request.param == 'onednn':
        if not onednn.available():
            pytest.skip('oneDNN (libdnnl.so) did not load: {}'.format(
                seglearn_config.describe()))
        monkeypatch.setattr(normalization, '_onednn_pays', lambda shape, eps, relu: True)
    with seglearn_config.using_fast_cpu(request.param):
        yield _CPU_KERNELS[request.param]


def pytest_configure(config):
    """Under pytest-xdist (``-n``), each worker and every chapter kernel it starts gets one OpenMP
    thread unless ``OMP_NUM_THREADS`` is set: on 2 cores two processes side by side on one thread
    each train 1.55-1.70x as many steps as one on two threads, two on two threads each only
    1.24-1.34x (benchmarks/RESULTS.md, "make test in parallel"). The controller sets it before it
    starts the workers, which inherit it."""
    if getattr(config.option, 'numprocesses', None):
        os.environ.setdefault('OMP_NUM_THREADS', '1')


def heavy_minutes(item):
    """The minutes of the item's ``heavy`` mark (0 without one)."""
    mark = item.get_closest_marker('heavy')
    return mark.args[0] if mark is not None else 0


def pytest_collection_modifyitems(config, items):
    """Every fast CPU test also runs in the modern-stack smoke run (``-m modern``; slow tests opt in
    with ``@pytest.mark.modern``); ``gpu`` tests skip cleanly without CuPy and a device. The
    ``heavy`` tests come first, longest first (the others keep their order): pytest-xdist's work
    stealing hands out the queue's tail, so a long test collected late would run last, alone."""
    items.sort(key=lambda item: -heavy_minutes(item))
    gpu = cupy_available()
    skip = pytest.mark.skip(reason='needs CuPy and a CUDA device')
    for item in items:
        is_gpu = item.get_closest_marker('gpu') is not None  # not item.keywords: a parametrize
        if item.get_closest_marker('slow') is None and not is_gpu:  # id 'gpu' is a keyword too
            item.add_marker(pytest.mark.modern)
        if is_gpu and not gpu:
            item.add_marker(skip)
