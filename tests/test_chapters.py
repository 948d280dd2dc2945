"""Every chapter notebook executes top to bottom headless (the same runner as ``make chapters``).

Each chapter runs once, on the fake device of :mod:`seglearn.course.fake_device`: the CPU with its
arrays marked as device arrays, the same kernels and numbers as ``DEVICE = '@numpy'``, refusing any
cell that mixes host and device arrays or runs a model it never placed. One run proves both that
the chapter executes on the CPU and that its cells would run on a GPU (``make chapters`` runs the
chapters as a learner has them, on ``'@numpy'``).
"""
from pathlib import Path

import pytest

import seglearn  # noqa: F401
from seglearn.course.run_chapters import chapter_paths, execute_notebook

CHAPTERS = Path(__file__).resolve().parent.parent / 'chapters'
PATHS = chapter_paths(CHAPTERS)


def test_there_are_chapters():
    assert PATHS, 'no NN_name.ipynb notebooks in {}'.format(CHAPTERS)


@pytest.mark.slow
@pytest.mark.parametrize('path', PATHS, ids=[p.stem for p in PATHS])
def test_chapter_executes(path, tmp_path):
    seconds, error = execute_notebook(path, tmp_path / path.name, timeout=600, device='fake')
    assert error is None, '{} failed on the fake device after {:.0f} s: {}'.format(
        path.name, seconds, error)
