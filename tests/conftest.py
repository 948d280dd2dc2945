"""Shared pytest set-up: seglearn before chainer, GPU tests skipped cleanly, the --answers option."""
import pytest

import seglearn  # noqa: F401  (applies seglearn._compat before any test imports chainer)
from seglearn.backend import cupy_available


def pytest_addoption(parser):
    parser.addoption('--answers', metavar='DIR', default=None,
                     help='grade the exercise cells of the notebooks in DIR (see make check)')


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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    results = getattr(config, '_seglearn_exercise_results', None)
    if results:
        from seglearn.exercises.grader import format_table
        terminalreporter.section('exercises')
        terminalreporter.write_line(format_table(results))
