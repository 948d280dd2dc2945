"""The grader (make check): each chapter in a child process of its own, nothing an answer or a
cell does reaches another chapter or the grader, and the output is the table and one line.

The notebooks here hold answers to chapter 00's exercises (to_chw, class_counts) and chapter
01's (confusion_matrix, mean_iou): the grader's children know the real exercises only."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import seglearn  # noqa: F401
from seglearn.course import grader
from seglearn.exercises import (CRASHED, FAILED, MISSING, NOT_ATTEMPTED, PASSED, TIMED_OUT,
                                all_exercises, get_exercise)

TO_CHW = 'def to_chw(img):\n    return img.transpose(2, 0, 1).astype(numpy.float32)'
TO_CHW_WRONG = 'def to_chw(img):\n    return img.transpose(2, 0, 1).astype(numpy.float32) / 255'
CLASS_COUNTS = ('def class_counts(label, n_class):\n'
                '    return numpy.bincount(label[label >= 0], minlength=n_class)')
CONFUSION_WRONG = ('def confusion_matrix(pred, gt, n_class):\n'
                   '    keep = gt >= 0\n'
                   '    return numpy.bincount(pred[keep] * n_class + gt[keep],\n'
                   '                          minlength=n_class ** 2).reshape(n_class, n_class)')
MEAN_IOU = '''def mean_iou(pred, gt, n_class):
    keep = gt >= 0
    p, g = pred[keep], gt[keep]
    ious = []
    for c in range(n_class):
        union = numpy.logical_or(p == c, g == c).sum()
        if union:
            ious.append(numpy.logical_and(p == c, g == c).sum() / union)
    return float(numpy.mean(ious))'''


# Cells that write into the pipe to the grader (the audit's reproduction, which found the pipe
# with gc): a length header that promises 1 MiB and sends none of it, and a short message that
# is no reply.
FAKE_HEADER = ('import struct, sys\n'
               'frame = sys._getframe()\n'
               'while "conn" not in frame.f_locals:\n'
               '    frame = frame.f_back\n'
               'frame.f_locals["conn"]._send({})\n')
PROMISE = FAKE_HEADER.format('struct.pack("!i", 1 << 20)')
GARBAGE = FAKE_HEADER.format('struct.pack("!i", 2) + b"xy"')


def _notebook(directory, name, cells):
    nb = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata['tags'] = tags
        nb.cells.append(cell)
    path = directory / name
    nbformat.write(nb, str(path))
    return path


def _exercise_cells(directory, name, *sources):
    return _notebook(directory, name, [(s, ['exercise']) for s in sources])


def _statuses(results):
    return {r.name: r.status for r in results}


def test_answers_stubs_and_missing_cells(tmp_path):
    answer = TO_CHW.replace('\n', '\n    print("noise")\n', 1)
    path = _notebook(tmp_path, '00_test.ipynb', [
        ('x = undefined_name', None),             # untagged cells are not run
        (answer, ['exercise']),
        ('check(to_chw)', None),
    ])
    assert _statuses(grader.grade_notebook(path)) == {'ch00.to_chw': PASSED,
                                                      'ch00.class_counts': MISSING}
    stubs = [get_exercise(n).stub for n in ('to_chw', 'class_counts')]
    path = _exercise_cells(tmp_path, '00_stubs.ipynb', *stubs)
    assert [r.status for r in grader.grade_notebook(path)] == [NOT_ATTEMPTED, NOT_ATTEMPTED]
    assert grader.exercise_cells(path) == stubs
    assert [r.status for r in grader.grade_notebook(tmp_path / '00_none.ipynb')] == [MISSING] * 2


def test_a_syntax_error_is_its_exercises_with_its_line(tmp_path):
    broken = 'def to_chw(img):\n    return img.transpose(2, 0, 1.astype(numpy.float32)'
    path = _exercise_cells(tmp_path, '00_x.ipynb', broken, CLASS_COUNTS)
    results = {r.name: r for r in grader.grade_notebook(path)}
    assert results['ch00.to_chw'].status == FAILED
    assert 'SyntaxError' in results['ch00.to_chw'].details
    assert '(line 2)' in results['ch00.to_chw'].first_failure()
    assert results['ch00.class_counts'].status == PASSED
    assert 'SyntaxError' not in results['ch00.class_counts'].details


def test_a_cell_error_is_noted_on_its_own_exercise_only(tmp_path):
    path = _exercise_cells(tmp_path, '00_x.ipynb', TO_CHW + '\nundefined_name', CLASS_COUNTS)
    results = {r.name: r for r in grader.grade_notebook(path)}
    assert results['ch00.to_chw'].status == PASSED       # it was defined before the error
    assert 'NameError' in results['ch00.to_chw'].details
    assert 'NameError' not in results['ch00.class_counts'].details


def test_ipython_magics_are_skipped(tmp_path):
    source = '%load_ext autoreload\n' + TO_CHW.replace('\n', '\n    %time y = 1\n', 1)
    path = _exercise_cells(tmp_path, '00_x.ipynb', source)
    assert _statuses(grader.grade_notebook(path))['ch00.to_chw'] == PASSED


@pytest.mark.parametrize('cell', ['while True:\n    try:\n        pass\n    except:\n        pass',
                                  'import os\nos._exit(0)', 'import sys\nsys.exit()',
                                  'raise KeyboardInterrupt', PROMISE, GARBAGE])
def test_a_cell_that_hangs_or_ends_the_process_spoils_nothing_else(tmp_path, monkeypatch, cell):
    monkeypatch.setattr(grader, '_CELL_TIMEOUT', 0.5)
    path = _exercise_cells(tmp_path, '00_x.ipynb', cell, TO_CHW, CLASS_COUNTS)
    assert _statuses(grader.grade_notebook(path)) == {'ch00.to_chw': PASSED,
                                                      'ch00.class_counts': PASSED}


@pytest.mark.parametrize('body, status, why', [
    ('import sys\n    sys.exit()', FAILED, 'called sys.exit'),
    ('exit()', FAILED, 'called sys.exit'),
    ('import os\n    os._exit(0)', CRASHED, 'exit code 0'),
    ('import os\n    os.abort()', CRASHED, 'SIGABRT'),
    ('raise KeyboardInterrupt', FAILED, 'raised KeyboardInterrupt'),
    ('while True:\n        try:\n            pass\n        except:\n            pass', TIMED_OUT,
     'no answer within 0.5 s'),
    (PROMISE.replace('\n', '\n    '), TIMED_OUT, 'did not arrive in full within 0.5 s'),
    (GARBAGE.replace('\n', '\n    '), CRASHED, 'sent an unreadable answer'),
])
def test_an_answer_that_exits_crashes_or_hangs_fails_alone(tmp_path, monkeypatch, body, status,
                                                           why):
    monkeypatch.setattr(get_exercise('to_chw'), 'timeout', 0.5)
    answer = 'def to_chw(img):\n    {}\n'.format(body)
    path = _exercise_cells(tmp_path, '00_x.ipynb', answer, CLASS_COUNTS)
    results = {r.name: r for r in grader.grade_notebook(path)}
    assert results['ch00.to_chw'].status == status and why in results['ch00.to_chw'].details
    assert results['ch00.class_counts'].status == PASSED     # graded in a new child


def test_no_state_leaks_between_chapters_or_into_the_judge(tmp_path):
    """The issue's reproduction: a cell that makes every judgement pass and breaks numpy.abs."""
    patch = ('import seglearn.exercises.core, seglearn.exercises.judge\n'
             'seglearn.exercises.core.Exercise.judge = lambda *a: None\n'
             'seglearn.exercises.core.auto_compare = lambda *a: None\n'
             'numpy.abs = lambda x: x * 0 + 1e9\n')
    _exercise_cells(tmp_path, '00_a.ipynb', patch + TO_CHW_WRONG, CLASS_COUNTS)
    _exercise_cells(tmp_path, '01_b.ipynb', CONFUSION_WRONG, MEAN_IOU)
    results = _statuses(r for r in grader.grade_directory(tmp_path)
                        if r.name.startswith(('ch00', 'ch01')))
    assert results == {'ch00.to_chw': FAILED, 'ch00.class_counts': PASSED,
                       'ch01.resize_label_nearest': MISSING, 'ch01.confusion_matrix': FAILED,
                       'ch01.mean_iou': PASSED}


def test_main_prints_the_table_and_one_line_and_exits_from_the_results(tmp_path, capsys):
    _exercise_cells(tmp_path, '00_x.ipynb', TO_CHW_WRONG, CLASS_COUNTS)
    assert grader.main([str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    n = len(seglearn.exercises.all_exercises())
    assert len(lines) == 2 + n + 1
    assert lines[0].split() == ['chapter', 'exercise', 'status', 'first', 'failing', 'case']
    row = [line for line in lines if ' to_chw ' in line][0]
    assert row.split()[:3] == ['ch00', 'to_chw', 'failed'] and 'to_chw(2×2×3 ramp)' in row
    assert lines[-1] == '{} exercises: 1 passed, 1 failed, {} missing'.format(n, n - 2)

    _exercise_cells(tmp_path, '00_x.ipynb', get_exercise('to_chw').stub, CLASS_COUNTS)
    assert grader.main([str(tmp_path)]) == 0           # not attempted and missing are fine
    assert capsys.readouterr().out.splitlines()[-1].endswith('1 passed, 1 not attempted, '
                                                             '{} missing'.format(n - 2))


def test_the_exit_status_comes_from_the_results_not_from_a_child(tmp_path, capsys):
    _exercise_cells(tmp_path, '00_x.ipynb', 'def to_chw(img):\n    import os\n    os._exit(0)')
    assert grader.main([str(tmp_path)]) == 1            # the child ended with exit code 0
    assert 'ch00     to_chw' in capsys.readouterr().out


@pytest.mark.skipif(shutil.which('make') is None, reason='needs make')
def test_make_check_prints_only_the_table_and_the_summary(tmp_path):
    """Not make's echo of the command before the table (the recipe is silent); then the same for
    the Japanese edition, in Japanese, under one heading line."""
    (tmp_path / 'chapters').mkdir()         # every exercise "missing": nothing to run
    makefile = Path(__file__).resolve().parent.parent / 'Makefile'
    done = subprocess.run(['make', '--no-print-directory', '-f', str(makefile), '-C',
                           str(tmp_path), 'check', 'STAMP=', 'PYTHON=' + sys.executable,
                           'PY311=', 'PY312='], capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert lines[0].split() == ['chapter', 'exercise', 'status', 'first', 'failing', 'case']
    n = len(all_exercises())
    assert lines[n + 2].endswith(' missing') and len(lines) == 2 * (n + 3) + 2, done.stdout
    assert lines[n + 3:n + 5] == ['', 'chapters/ja/ (日本語版)'], done.stdout
    assert lines[n + 5].split() == ['章', '演習', '状態', '最初の不合格']
    assert lines[-1] == '演習 {} 件: 見つからない {}'.format(n, n)


def test_table_and_summary():
    from seglearn.exercises.core import CaseResult, Result
    results = [Result('ch99.a', PASSED), Result('ch99.bb', FAILED, [
        CaseResult('bb(1)', True), CaseResult('bb(2)', False, message='values ' * 30)])]
    table = grader.format_table(results).splitlines()
    assert table[2].split() == ['ch99', 'a', 'passed']
    assert table[3].split()[:5] == ['ch99', 'bb', 'failed', 'bb(2):', 'values']
    assert table[3].endswith('…') and len(table[3].split('failed  ')[1]) == 70
    assert grader.summary_line(results) == '2 exercises: 1 passed, 1 failed'
    assert grader.exit_status(results) == 1 and grader.exit_status(results[:1]) == 0


def test_chapter_of():
    assert grader.chapter_of('chapters/03_transposed_convolution.ipynb') == 'ch03'
    assert grader.chapter_of('notes.ipynb') is None
    with pytest.raises(ValueError, match='03_name'):
        grader.grade_notebook('notes.ipynb')
