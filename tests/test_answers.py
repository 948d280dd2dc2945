"""Every exercise of the course, and the grading path of ``make check``.

Every registered exercise passes every check on its reference but the one that refuses the
reference as an answer, is "not attempted" on its stub and fails on each typical mistake of its
spec; the type policy is the same in every exercise; the committed notebooks hold exactly the
stubs in their ``exercise`` cells, each followed by its ``check()`` cell; and the grader, run as
``make check`` runs it, finds every exercise "not attempted" in the committed chapters and, in a
copy whose exercise cells hold the references, failing that one check only.
"""
import json
import re
import shutil
from pathlib import Path

import numpy
import pytest

import seglearn  # noqa: F401
from seglearn.course import grader
from seglearn.exercises import FAILED, NOT_ATTEMPTED, all_exercises, grade

CHAPTERS = Path(__file__).resolve().parent.parent / 'chapters'
EXERCISES = all_exercises()
IDS = [ex.qualname for ex in EXERCISES]
EXERCISE_CHAPTERS = sorted({ex.chapter for ex in EXERCISES})


def _notebook(directory, chapter):
    found = sorted(Path(directory).glob('{}_*.ipynb'.format(chapter[2:])))
    return found[0] if found else None


REFERENCE_ROW = "written without the checker's reference"


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_reference_passes_every_check_but_is_no_answer(ex):
    result = grade(ex, ex.reference)
    assert [c.label for c in result.cases if not c.ok] == [REFERENCE_ROW], result.details


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_stub_is_not_attempted(ex):
    assert grade(ex, ex.stub_function()).status == NOT_ATTEMPTED


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_spec_mistakes_fail(ex):
    for wrong, hint in ex.mistakes:
        result = grade(ex, wrong)
        assert result.status == FAILED, 'mistake "{}" passed'.format(hint)


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_spec_is_complete(ex):
    assert ex.hint and ex.title
    assert len(ex.cases) >= 2
    assert 'raise NotImplementedError' in ex.stub


def _variants(value):
    """What the policy says about other spellings of a right answer: (variant, accepted)."""
    out = []
    if isinstance(value, numpy.ndarray) and value.dtype == numpy.float32:
        out.append((value.astype(numpy.float64), False))
    if isinstance(value, numpy.ndarray) and value.dtype.kind in 'iu':
        out.append((value.astype(numpy.int32 if value.dtype.itemsize == 8 else numpy.int64),
                    True))
    if isinstance(value, int) and not isinstance(value, bool):
        out += [(float(value), False), (numpy.int64(value), True)]
    if isinstance(value, (tuple, list)) and value:
        other = list if isinstance(value, tuple) else tuple
        out.append((other(value), True))
        for i, item in enumerate(value):
            for variant, accepted in _variants(item):
                changed = list(value)
                changed[i] = variant
                out.append((type(value)(changed), accepted))
    return out


@pytest.mark.parametrize('ex', [ex for ex in EXERCISES if ex.probe is None],
                         ids=[ex.qualname for ex in EXERCISES if ex.probe is None])
def test_the_type_policy_is_the_same_in_every_exercise(ex):
    """float64 for float32 fails, int32 for int64 passes, 4.0 for 4 fails, a list for a tuple
    passes (and the other way round), in every exercise, whatever its comparison."""
    checked = 0
    for case in ex.cases:
        expected = ex.expected(case)
        assert ex.judge(expected, expected, case) is None
        for variant, accepted in _variants(expected):
            verdict = ex.judge(expected, variant, case)
            assert (verdict is None) == accepted, (case.describe(ex.name), variant, verdict)
            checked += 1
        if isinstance(expected, numpy.ndarray):
            assert expected.dtype in (numpy.float32,) or expected.dtype.kind in 'iu', (
                'float arrays of the course are float32: {}'.format(expected.dtype))
    assert checked or isinstance(ex.expected(ex.cases[0]), float)


@pytest.mark.parametrize('chapter', EXERCISE_CHAPTERS)
def test_committed_notebook_starts_from_stubs(chapter):
    import nbformat
    path = _notebook(CHAPTERS, chapter)
    assert path is not None, 'no notebook for {} in {}'.format(chapter, CHAPTERS)
    nb = nbformat.read(str(path), as_version=4)
    stubs = [ex.stub for ex in all_exercises(chapter)]
    assert [s.strip('\n') for s in grader.exercise_cells(nb)] == stubs
    cells = nb.cells
    for i, cell in enumerate(cells):
        if 'exercise' in cell.get('metadata', {}).get('tags', []):
            name = re.search(r'^(?:def|class) (\w+)\b', cell.source, re.M).group(1)
            after = cells[i + 1].source if i + 1 < len(cells) else ''
            assert 'check({})'.format(name) in after, 'no check({}) below the stub'.format(name)
        if cell.cell_type == 'code':
            assert not cell.get('outputs') and cell.get('execution_count') is None, path.name


def test_every_exercise_cell_has_a_spec():
    for path in sorted(CHAPTERS.glob('[0-9][0-9]_*.ipynb')):
        if grader.exercise_cells(path):
            assert grader.chapter_of(path) in EXERCISE_CHAPTERS, path.name


def test_make_check_on_the_committed_chapters(capsys):
    assert grader.main([str(CHAPTERS)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == '{0} exercises: {0} not attempted'.format(len(EXERCISES))


def test_make_check_on_the_references(tmp_path, capsys):
    """A copy of the chapters whose exercise cells hold the references: every check passes but
    the one that refuses the reference as an answer."""
    for path in sorted(CHAPTERS.glob('[0-9][0-9]_*.ipynb')):
        nb = json.loads(path.read_text(encoding='utf-8'))
        for cell in nb['cells']:
            if 'exercise' in cell.get('metadata', {}).get('tags', []):
                name = re.search(r'^(?:def|class) (\w+)', ''.join(cell['source']), re.M).group(1)
                cell['source'] = ['from seglearn.exercises import get_exercise\n',
                                  '{0} = get_exercise({0!r}).reference'.format(name)]
        (tmp_path / path.name).write_text(json.dumps(nb), encoding='utf-8')
    assert grader.main([str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == '{0} exercises: {0} failed'.format(len(EXERCISES))
    assert all(REFERENCE_ROW in line for line in lines[2:-1]), lines   # all else passed
    shutil.rmtree(tmp_path)
