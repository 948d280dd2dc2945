"""Every chapter notebook executes top to bottom headless (the same runner as ``make chapters``).

Each chapter runs once, on the fake device of :mod:`seglearn.course.fake_device`: the CPU with its
arrays marked as device arrays, the same kernels and numbers as ``DEVICE = '@numpy'``, refusing any
cell that mixes host and device arrays or runs a model it never placed. One run proves both that
the chapter executes on the CPU and that its cells would run on a GPU (``make chapters`` runs the
chapters as a learner has them, on ``'@numpy'``).

The Japanese edition (``chapters/ja/``) is not executed chapter by chapter: its code cells are the
English ones character for character (``tests/test_editions.py``), so running them again would
double the suite's longest part to prove nothing new. What differs is its first cell, which
switches the messages to Japanese; one short chapter with exercises, :data:`JA_SAMPLE`, runs here
to prove that cell and the Japanese ``check()`` output.
"""
from pathlib import Path

import nbformat
import pytest

import seglearn  # noqa: F401
from seglearn.course.run_chapters import HEAVY_MINUTES, chapter_paths, execute_notebook

CHAPTERS = Path(__file__).resolve().parent.parent / 'chapters'
PATHS = chapter_paths(CHAPTERS)
JA_SAMPLE = CHAPTERS / 'ja' / '04_bilinear_kernel.ipynb'


def _param(path):
    minutes = HEAVY_MINUTES.get(path.name[:2])  # the heavy marks put them first, longest first
    marks = [pytest.mark.heavy(minutes)] if minutes else []
    return pytest.param(path, marks=marks, id=path.stem)


def test_there_are_chapters():
    assert PATHS, 'no NN_name.ipynb notebooks in {}'.format(CHAPTERS)


def test_every_heavy_chapter_exists():
    missing = set(HEAVY_MINUTES) - {path.name[:2] for path in PATHS}
    assert not missing, 'HEAVY_MINUTES names chapters that are not there: {}'.format(
        sorted(missing))


@pytest.mark.slow
@pytest.mark.parametrize('path', [_param(p) for p in PATHS])
def test_chapter_executes(path, tmp_path):
    seconds, error = execute_notebook(path, tmp_path / path.name, timeout=600, device='fake')
    assert error is None, '{} failed on the fake device after {:.0f} s: {}'.format(
        path.name, seconds, error)


@pytest.mark.slow
def test_a_japanese_chapter_executes_in_japanese(tmp_path):
    out = tmp_path / JA_SAMPLE.name
    seconds, error = execute_notebook(JA_SAMPLE, out, timeout=600, device='fake')
    assert error is None, '{} failed on the fake device after {:.0f} s: {}'.format(
        JA_SAMPLE, seconds, error)
    printed = ''.join(output.get('text', '') for cell in nbformat.read(str(out), 4).cells
                      if cell.cell_type == 'code' for output in cell.get('outputs', []))
    assert 'ch04.bilinear_kernel: まだ解答されていません' in printed, printed
