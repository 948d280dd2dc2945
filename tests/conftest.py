"""Shared pytest set-up: seglearn before chainer, GPU tests skipped cleanly, the --answers option."""
import pytest

import seglearn  # noqa: F401  (applies seglearn._compat before any test imports chainer)
from seglearn.backend import cupy_available


def pytest_addoption(parser):
    parser.addoption('--answers', metavar='DIR', default=None,
                     help='grade the exercise cells of the notebooks in DIR (see make check)')


def pytest_collection_modifyitems(config, items):
    if cupy_available():
        return
    skip = pytest.mark.skip(reason='needs CuPy and a CUDA device')
    for item in items:
        if 'gpu' in item.keywords:
            item.add_marker(skip)
