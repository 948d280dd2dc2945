"""Shared pytest set-up: seglearn before chainer, GPU tests skipped cleanly, the ``spy`` fixture."""
import pytest

import seglearn  # noqa: F401  (applies seglearn._compat before any test imports chainer)
from seglearn.backend import cupy_available


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


def pytest_collection_modifyitems(config, items):
    """Every fast CPU test also runs in the modern-stack smoke run (``-m modern``; slow tests opt in
    with ``@pytest.mark.modern``); ``gpu`` tests skip cleanly without CuPy and a device."""
    gpu = cupy_available()
    skip = pytest.mark.skip(reason='needs CuPy and a CUDA device')
    for item in items:
        is_gpu = item.get_closest_marker('gpu') is not None  # not item.keywords: a parametrize
        if item.get_closest_marker('slow') is None and not is_gpu:  # id 'gpu' is a keyword too
            item.add_marker(pytest.mark.modern)
        if is_gpu and not gpu:
            item.add_marker(skip)
