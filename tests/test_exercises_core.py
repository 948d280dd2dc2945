"""The exercise framework itself: check(), time limits, comparisons, the registry, the grader."""
import signal
import threading
import time

import nbformat
import numpy
import pytest

import seglearn
from seglearn.exercises import (
    FAILED, MISSING, NOT_ATTEMPTED, PASSED, Case, Exercise, Property, allclose, auto_compare,
    call_with_timeout, check, equal, get_exercise, register,
)
from seglearn.course import grader, run_chapters
from seglearn.exercises import core

STUB = '''
def t99_scale(x, factor=2):
    """x times factor."""
    raise NotImplementedError
'''

ARRAY_STUB = '''
def t99_square(a):
    """Elementwise square of a float32 array."""
    raise NotImplementedError
'''


def _scale(x, factor=2):
    return x * factor


def _square(a):
    return (a * a).astype(numpy.float32)


@pytest.fixture
def exercises():
    scale = Exercise('t99_scale', 'ch99', _scale, STUB, cases=[(3,), Case(4, factor=3)],
                     random_cases=lambda rng: [(int(v),) for v in rng.randint(0, 50, 5)],
                     properties=[Property('scale(-1) is -2', lambda fn: None if fn(-1) == -2 else 'no')],
                     hint='multiply', title='scale', timeout=0.5,
                     mistakes=[(lambda x, factor=2: x + factor, 'add is not multiply')])
    square = Exercise('t99_square', 'ch99', _square, ARRAY_STUB,
                      cases=[(numpy.arange(6, dtype=numpy.float32).reshape(2, 3),)],
                      hint='a * a', title='square', timeout=0.5,
                      compare=allclose(dtype=numpy.float32))
    register(scale, square)
    yield scale, square
    core._REGISTRY.pop('t99_scale')
    core._REGISTRY.pop('t99_square')


def t99_scale(x, factor=2):
    return factor * x


def test_check_passes_a_correct_answer(exercises, capsys):
    result = check(t99_scale)
    out = capsys.readouterr().out
    assert result.passed and result.status == PASSED and bool(result)
    assert len(result.cases) == 2 + 5 + 1
    assert '✔ t99_scale(3)  →  6' in out and '✔ 5/5 random cases' in out
    assert '✘' not in out and 'Hint' not in out


def test_check_reports_a_wrong_answer_with_values_and_hint(exercises, capsys):
    def wrong(x, factor=2):
        return x + factor
    result = check(wrong, name='ch99.t99_scale')
    out = capsys.readouterr().out
    assert result.status == FAILED and not result.passed
    assert '✘ t99_scale(4, factor=3)' in out
    assert 'expected: 12' in out and 'got:      7' in out
    assert 'Hint: add is not multiply' in out      # the matching mistake's hint
    assert result.details.strip() == out.strip()


def test_check_survives_an_exception(exercises, capsys):
    def t99_scale(x, factor=2):
        return {}[x]
    result = check(t99_scale)
    assert result.status == FAILED
    assert 'your function raised KeyError' in capsys.readouterr().out


def test_check_stops_an_endless_loop(exercises, capsys):
    def t99_scale(x, factor=2):
        while True:
            pass
    start = time.monotonic()
    result = check(t99_scale)
    assert time.monotonic() - start < 3
    assert result.status == FAILED
    assert 'no answer within 0.5 s' in capsys.readouterr().out


def test_time_limit_cannot_be_swallowed_by_except_exception(exercises):
    def t99_scale(x, factor=2):
        while True:
            try:
                time.sleep(0.01)
            except Exception:
                pass
    assert check(t99_scale, verbose=False).status == FAILED


def test_check_reports_wrong_types_shapes_and_dtypes(exercises, capsys):
    def t99_scale(x, factor=2):
        return float(x * factor)
    assert check(t99_scale).status == FAILED
    assert 'expected an int, got float' in capsys.readouterr().out

    def t99_square(a):
        return (a * a).tolist()
    assert check(t99_square).status == FAILED
    assert 'expected an array, got list' in capsys.readouterr().out

    def t99_square(a):
        return (a * a).astype(numpy.float64)
    assert check(t99_square).status == FAILED
    assert 'expected dtype float32, got float64' in capsys.readouterr().out

    def t99_square(a):
        return (a * a).T
    assert check(t99_square).status == FAILED
    assert 'expected shape (2, 3), got shape (3, 2)' in capsys.readouterr().out


def test_check_on_a_stub_is_not_attempted(exercises, capsys):
    result = exercises[0].stub_function()
    result = check(result)
    assert result.status == NOT_ATTEMPTED and not result.passed
    assert 'not attempted' in capsys.readouterr().out


def test_hints_from_mistakes_do_not_leak_warnings_into_the_notebook():
    import warnings

    def softmax(x, axis=1):
        return numpy.zeros_like(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert check(softmax, verbose=False).status == FAILED   # its mistakes overflow exp()
    assert not caught


def test_failing_property_is_reported(exercises):
    def t99_scale(x, factor=2):
        return abs(x) * factor
    result = check(t99_scale, verbose=False)
    assert result.status == FAILED
    assert [c.label for c in result.cases if not c.ok] == ['property: scale(-1) is -2']


def test_inputs_are_copied_so_a_mutating_answer_cannot_fool_the_reference(exercises):
    def t99_square(a):
        a *= a
        return a
    assert check(t99_square, verbose=False).passed


def test_check_accepts_variables_for_arrays(exercises):
    import chainer

    def t99_square(a):
        return chainer.Variable(a) * chainer.Variable(a)
    assert check(t99_square, verbose=False).passed


def test_unknown_name_and_bad_fn(exercises):
    def t99_scal(x):
        return x
    with pytest.raises(LookupError, match='did you mean t99_scale'):
        check(t99_scal)
    with pytest.raises(LookupError):
        get_exercise('ch98.t99_scale')
    with pytest.raises(TypeError, match='needs the function itself'):
        check('t99_scale')


def test_registry_rejects_a_name_used_by_another_chapter(exercises):
    other = Exercise('t99_scale', 'ch98', _scale, STUB, cases=[(1,), (2,)])
    with pytest.raises(ValueError, match='unique'):
        register(other)


def test_exercise_rejects_bad_specs():
    with pytest.raises(ValueError, match='chapter'):
        Exercise('f', 'chapter3', _scale, 'def f(): pass')
    with pytest.raises(ValueError, match='must define'):
        Exercise('f', 'ch03', _scale, 'def g(): pass')
    with pytest.raises(TypeError, match='callable'):
        Exercise('f', 'ch03', 3, 'def f(): pass')


def test_call_with_timeout_returns_raises_and_stops():
    assert call_with_timeout(lambda a, b=1: a + b, (2,), {'b': 5}, 1) == 7
    with pytest.raises(ZeroDivisionError):
        call_with_timeout(lambda: 1 / 0, timeout=1)
    with pytest.raises(core.Timeout):
        call_with_timeout(time.sleep, (5,), timeout=0.2)


def test_call_with_timeout_restores_an_outer_timer():
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        call_with_timeout(time.sleep, (0.1,), timeout=1)
        delay, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < delay <= 0.41
        time.sleep(0.6)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_call_with_timeout_off_the_main_thread_uses_a_worker_thread():
    box = {}

    def run():
        try:
            call_with_timeout(time.sleep, (3,), timeout=0.2)
        except core.Timeout as e:
            box['timeout'] = e
        box['value'] = call_with_timeout(lambda: 5, timeout=1)
        try:
            call_with_timeout(lambda: [][1], timeout=1)
        except IndexError as e:
            box['error'] = e
    t = threading.Thread(target=run)
    t.start()
    t.join(5)
    assert set(box) == {'timeout', 'value', 'error'} and box['value'] == 5


def test_comparisons():
    assert equal(3, 3) is None and equal(3, numpy.int64(3)) is None
    assert 'expected an int' in equal(3, 3.0)
    assert 'expected an int' in equal(3, True)
    assert equal((64, 32, 16), [64, 32, 16]) is None
    assert 'item 2' in equal((64, 32, 16), (64, 32, 17))
    assert allclose()(1.0, 1.0 + 1e-9) is None and allclose()(1.0, 1.1)
    assert allclose()(float('nan'), float('nan')) is None
    assert 'kind' in allclose(dtype='iu')(numpy.zeros(2, numpy.int64), numpy.zeros(2))
    assert allclose(dtype='iu')(numpy.zeros(2, numpy.int64), numpy.zeros(2, numpy.int32)) is None
    assert auto_compare({'a': 1.0, 'b': numpy.ones(2)}, {'a': 1.0, 'b': numpy.ones(2)}) is None
    assert "['b']" in auto_compare({'a': 1.0, 'b': numpy.ones(2)}, {'a': 1.0, 'b': numpy.zeros(2)})
    assert 'missing keys' in auto_compare({'a': 1.0}, {})
    assert 'first at index (1,)' in auto_compare(numpy.array([1., 2.]), numpy.array([1., 3.]))


def test_format_value_keeps_big_arrays_short():
    text = core.format_value(numpy.zeros((3, 500, 500), numpy.float32))
    assert text.startswith('array(shape=(3, 500, 500), dtype=float32') and len(text) < 100
    assert '1, 2' in core.format_value(numpy.array([1, 2]))
    assert len(core.format_value('x' * 1000)) <= 300


# --------------------------------------------------------------------------- the grader (seglearn.course)

def _notebook(tmp_path, name, cells):
    nb = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata['tags'] = tags
        nb.cells.append(cell)
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def test_grader_answers_stubs_and_missing_cells(exercises, tmp_path):
    answer = 'def t99_scale(x, factor=2):\n    print("noise")\n    return numpy.multiply(x, factor).item()'
    path = _notebook(tmp_path, '99_test.ipynb', [
        ('x = undefined_name', None),             # untagged cells are not run
        (answer, ['exercise']),
        ('check(t99_scale)', None),
    ])
    results = {r.name: r for r in grader.grade_notebook(path)}
    assert results['ch99.t99_scale'].status == PASSED
    assert results['ch99.t99_square'].status == MISSING

    path = _notebook(tmp_path, '99_stubs.ipynb', [(STUB, ['exercise']), (ARRAY_STUB, ['exercise'])])
    assert [r.status for r in grader.grade_notebook(path)] == [NOT_ATTEMPTED, NOT_ATTEMPTED]
    assert grader.exercise_cells(path) == [STUB, ARRAY_STUB]

    wrong = 'def t99_square(a):\n    return a'
    broken = 'def t99_scale(x, factor=2:\n    return x'
    path = _notebook(tmp_path, '99_wrong.ipynb', [(broken, ['exercise']), (wrong, ['exercise'])])
    results = {r.name: r for r in grader.grade_notebook(path)}
    assert results['ch99.t99_square'].status == FAILED
    assert results['ch99.t99_scale'].status == MISSING
    assert 'SyntaxError' in results['ch99.t99_scale'].details

    assert [r.status for r in grader.grade_notebook(tmp_path / '99_nothing.ipynb')] == [MISSING] * 2


def test_grader_skips_ipython_magics(exercises):
    source = '%load_ext autoreload\ndef t99_scale(x, factor=2):\n    %time y = 1\n    return x * factor'
    namespace, errors = grader.run_cells([source])
    assert errors == [] and namespace['t99_scale'](2) == 4


def test_grader_survives_a_cell_that_loops_forever(exercises, tmp_path, monkeypatch):
    monkeypatch.setattr(grader, '_CELL_TIMEOUT', 0.3)
    path = _notebook(tmp_path, '99_loop.ipynb', [
        ('while True:\n    pass', ['exercise']),
        ('def t99_scale(x, factor=2):\n    return x * factor', ['exercise']),
    ])
    namespace, errors = grader.run_cells(grader.exercise_cells(path), timeout=0.3)
    assert len(errors) == 1 and 'no answer within' in errors[0]
    assert callable(namespace['t99_scale'])


def test_grade_directory_and_table(exercises, tmp_path):
    _notebook(tmp_path, '99_x.ipynb', [('def t99_scale(x, factor=2):\n    return x * factor',
                                        ['exercise'])])
    results = [r for r in grader.grade_directory(tmp_path) if r.name.startswith('ch99')]
    assert [r.status for r in results] == [PASSED, MISSING]
    table = grader.format_table(results)
    assert 'ch99     t99_scale   passed' in table and '1 missing, 1 passed' in table


def test_chapter_of():
    assert grader.chapter_of('chapters/03_transposed_convolution.ipynb') == 'ch03'
    assert grader.chapter_of('notes.ipynb') is None
    with pytest.raises(ValueError, match='03_name'):
        grader.grade_notebook('notes.ipynb')


def test_exercise_namespace_has_the_documented_names():
    ns = core.exercise_namespace()
    assert ns['seglearn'] is seglearn and ns['np'] is numpy
    assert {'chainer', 'F', 'L', 'math', 'numpy'} <= set(ns)


# --------------------------------------------------------------------------- run_chapters (seglearn.course)

def test_format_rows_marks_failures_and_budget():
    text = run_chapters.format_rows([('00_a.ipynb', 1.0, None), ('01_b.ipynb', 200.0, None),
                                     ('02_c.ipynb', 3.0, 'ValueError: x')])
    assert '00_a.ipynb' in text and 'FAIL  ValueError: x' in text
    assert 'over the 180 s budget' in text and '1 failed' in text


@pytest.mark.slow
def test_run_chapters_executes_and_reports(tmp_path, capsys):
    src = tmp_path / 'src'
    src.mkdir()
    _notebook(src, '00_ok.ipynb', [('import seglearn, os\nopen("here.txt", "w").write(os.getcwd())',
                                    None)])
    _notebook(src, '01_bad.ipynb', [('1 / 0', None)])
    (src / 'notes.ipynb').write_text('not a chapter')
    status = run_chapters.main([str(src), str(tmp_path / 'out'), '--timeout', '60'])
    out = capsys.readouterr().out
    assert status == 1
    assert (src / 'here.txt').read_text() == str(src.resolve())   # cwd = the chapters folder
    assert (tmp_path / 'out' / '00_ok.ipynb').exists()
    assert 'ZeroDivisionError' in out and '1 failed' in out
    assert run_chapters.main([str(src), str(tmp_path / 'out'), '--only', '00']) == 0
