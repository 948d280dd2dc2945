"""Exercise grading.

CI mode (plain ``pytest``): every registered exercise passes on its reference, is "not attempted" on
its stub and fails on each typical mistake of its spec; the committed notebooks hold exactly the
stubs in their ``exercise`` cells, each followed by its ``check()`` cell.

Learner mode (``make check`` = ``pytest tests/test_answers.py --answers chapters``): the exercise
cells of the learner's notebooks are graded; a table (chapter | exercise | status) is printed at
the end (tests/conftest.py). Not attempted or missing exercises are skipped, wrong ones fail.
"""
import re
from pathlib import Path

import pytest

import seglearn  # noqa: F401
from seglearn.exercises import FAILED, MISSING, NOT_ATTEMPTED, PASSED, all_exercises, grade
from seglearn.course import grader

CHAPTERS = Path(__file__).resolve().parent.parent / 'chapters'
EXERCISES = all_exercises()
IDS = [ex.qualname for ex in EXERCISES]
EXERCISE_CHAPTERS = sorted({ex.chapter for ex in EXERCISES})
_GRADED = {}


@pytest.fixture
def ci_mode(request):
    if request.config.getoption('--answers') is not None:
        pytest.skip('CI check; left out when grading answers (--answers)')


def _notebook(directory, chapter):
    found = sorted(Path(directory).glob('{}_*.ipynb'.format(chapter[2:])))
    return found[0] if found else None


def _graded(directory, chapter):
    if chapter not in _GRADED:
        path = _notebook(directory, chapter) or Path(directory) / '{}_missing.ipynb'.format(chapter[2:])
        _GRADED[chapter] = {r.name: r for r in grader.grade_notebook(path, chapter=chapter)}
    return _GRADED[chapter]


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_answer(ex, request):
    directory = request.config.getoption('--answers')
    if directory is None:
        pytest.skip('grades answers only with --answers DIR (make check)')
    result = _graded(directory, ex.chapter)[ex.qualname]
    config = request.config
    if not hasattr(config, '_seglearn_exercise_results'):
        config._seglearn_exercise_results = []
    config._seglearn_exercise_results.append(result)
    if result.status in (NOT_ATTEMPTED, MISSING):
        pytest.skip(result.status)
    assert result.status == PASSED, result.details


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_reference_passes(ex, ci_mode):
    result = grade(ex, ex.reference)
    assert result.status == PASSED, result.details


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_stub_is_not_attempted(ex, ci_mode):
    assert grade(ex, ex.stub_function()).status == NOT_ATTEMPTED


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_spec_mistakes_fail(ex, ci_mode):
    for wrong, hint in ex.mistakes:
        result = grade(ex, wrong)
        assert result.status == FAILED, 'mistake "{}" passed'.format(hint)


@pytest.mark.parametrize('ex', EXERCISES, ids=IDS)
def test_spec_is_complete(ex, ci_mode):
    assert ex.hint and ex.title
    assert len(ex.cases) >= 2
    assert 'raise NotImplementedError' in ex.stub


@pytest.mark.parametrize('chapter', EXERCISE_CHAPTERS)
def test_committed_notebook_starts_from_stubs(chapter, ci_mode):
    import nbformat
    path = _notebook(CHAPTERS, chapter)
    assert path is not None, 'no notebook for {} in {}'.format(chapter, CHAPTERS)
    nb = nbformat.read(str(path), as_version=4)
    stubs = [ex.stub for ex in all_exercises(chapter)]
    assert [s.strip('\n') for s in grader.exercise_cells(nb)] == stubs
    cells = nb.cells
    for i, cell in enumerate(cells):
        if 'exercise' in cell.get('metadata', {}).get('tags', []):
            name = re.search(r'^def (\w+)\(', cell.source, re.M).group(1)
            after = cells[i + 1].source if i + 1 < len(cells) else ''
            assert 'check({})'.format(name) in after, 'no check({}) cell below the stub'.format(name)
    results = grader.grade_notebook(path, chapter=chapter)
    assert [r.status for r in results] == [NOT_ATTEMPTED] * len(stubs)


def test_every_exercise_cell_has_a_spec(ci_mode):
    for path in sorted(CHAPTERS.glob('[0-9][0-9]_*.ipynb')):
        if grader.exercise_cells(path):
            assert grader.chapter_of(path) in EXERCISE_CHAPTERS, path.name
