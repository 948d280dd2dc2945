"""The exercise framework itself: check(), the type policy, the report, and where answers run
(seglearn.exercises.sandbox). The grader (make check) has its own module, test_grader.py."""
import argparse
import fractions
import os
import pickle
import signal
import sys
import threading
import time
import types
from pathlib import Path

import numpy
import pytest

import seglearn
from seglearn.exercises import (
    CRASHED, FAILED, NOT_ATTEMPTED, PASSED, TIMED_OUT, Case, Exercise, Property, allclose,
    auto_compare, call_with_timeout, check, equal, get_exercise, grade, register,
)
from seglearn.course import run_chapters
from seglearn.exercises import core, sandbox

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


def _finished_scale(x, factor=2):
    """Stands for the package's finished answer."""
    return factor * x


def _square(a):
    return (a * a).astype(numpy.float32)


def _property_of_the_checker(fn):
    return numpy.asarray(fn(3)) + 'text'     # the checker's own bug: int array + str


@pytest.fixture
def exercises():
    scale = Exercise('t99_scale', 'ch99', _scale, STUB, cases=[(3,), Case(4, factor=3)],
                     random_cases=lambda rng: [(int(v),) for v in rng.randint(0, 50, 5)],
                     properties=[Property('scale(-1) is -2',
                                          lambda fn: None if fn(-1) == -2 else 'no')],
                     hint='multiply', title='scale', timeout=0.5,
                     mistakes=[(lambda x, factor=2: x + factor, 'add is not multiply')],
                     forbidden=[_finished_scale])
    square = Exercise('t99_square', 'ch99', _square, ARRAY_STUB,
                      cases=[(numpy.arange(6, dtype=numpy.float32).reshape(2, 3),)],
                      hint='a * a', title='square', timeout=0.5)
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
    assert '✘' not in out and 'Hint' not in out and 'All 8 checks passed' in out


def test_check_reports_a_wrong_answer_with_values_and_hint(exercises, capsys):
    def wrong(x, factor=2):
        return x + factor
    result = check(wrong, name='ch99.t99_scale')
    out = capsys.readouterr().out
    assert result.status == FAILED and not result.passed
    assert '✘ t99_scale(4, factor=3)' in out
    assert 'expected:   12' in out and 'got:        7' in out
    assert 'Hint: add is not multiply' in out      # the matching mistake's hint
    assert result.details.strip() == out.strip()


def test_report_counts_failures_per_section(exercises):
    def t99_scale(x, factor=2):
        return x + 1
    details = check(t99_scale, verbose=False).details
    assert 'Failed: 2 of 2 fixed cases, 5 of 5 random cases, 1 of 1 properties.' in details
    assert '✘ 0/5 random cases' in details
    assert '… and 2 more failing random cases' in details     # 5 failing, 3 shown
    assert 'more failing fixed cases' not in details


def test_report_lines_are_wrapped_at_90_columns(exercises):
    long_hint = ' '.join(['a long hint that goes on'] * 12)
    ex = get_exercise('t99_scale')
    ex.hint = long_hint

    def t99_scale(x, factor=2):
        raise ValueError('x' * 150)
    details = check(t99_scale, verbose=False).details
    assert max(len(line) for line in details.splitlines()) <= core.WIDTH
    assert 'Hint: a long hint' in details and 'ValueError' in details

    def to_chw(img):           # an array's rows stay rows
        return img.transpose(2, 1, 0).astype(numpy.float32)
    details = check(to_chw, verbose=False).details
    assert max(len(line) for line in details.splitlines()) <= core.WIDTH
    assert 'expected:   array([[[ 0.,  3.],\n' + ' ' * 24 + '[ 6.,  9.]],' in details


def test_check_survives_an_exception(exercises, capsys):
    def t99_scale(x, factor=2):
        return {}[x]
    result = check(t99_scale)
    assert result.status == FAILED
    out = capsys.readouterr().out
    line = t99_scale.__code__.co_firstlineno + 1        # in a notebook: the cell's line
    assert 'your function raised KeyError: 3 (line {} of your code)'.format(line) in out


def test_check_stops_an_endless_loop(exercises, capsys):
    def t99_scale(x, factor=2):
        while True:
            pass
    start = time.monotonic()
    result = check(t99_scale)
    assert time.monotonic() - start < 3
    assert result.status == TIMED_OUT
    assert 'no answer within 0.5 s' in capsys.readouterr().out


def test_time_limit_survives_a_bare_except(exercises):
    """The reproduction of the issue: the loop swallows every exception, yet it is stopped."""
    def t99_scale(x, factor=2):
        while True:
            try:
                while True:
                    pass
            except:  # noqa: E722
                pass
    start = time.monotonic()
    result = check(t99_scale, verbose=False)
    assert time.monotonic() - start < 3 and result.status == TIMED_OUT


@pytest.mark.parametrize('how', ['sys.exit(3)', 'exit()', 'raise SystemExit'])
def test_exit_is_reported_and_does_not_escape(exercises, how):
    namespace = {'sys': sys}
    exec('def t99_scale(x, factor=2):\n    {}\n'.format(how), namespace)
    result = check(namespace['t99_scale'], verbose=False)      # does not raise SystemExit
    assert result.status == FAILED
    assert 'called sys.exit' in result.details


@pytest.mark.parametrize('how, why', [('os._exit(0)', 'exit code 0'),
                                      ('os.abort()', 'SIGABRT')])
def test_os_exit_and_abort_end_only_the_child(exercises, how, why):
    namespace = {'os': os}
    exec('def t99_scale(x, factor=2):\n    {}\n'.format(how), namespace)
    result = check(namespace['t99_scale'], verbose=False)
    assert result.status == CRASHED and why in result.details
    assert check(t99_scale, verbose=False).passed          # this process goes on


@pytest.mark.parametrize('message, status, why', [
    ('struct.pack("!i", 1 << 20)', TIMED_OUT, 'did not arrive in full within 0.5 s'),
    ('struct.pack("!i", 2) + b"xy"', CRASHED, 'sent an unreadable answer'),
    ('struct.pack("!iQ", -1, 1 << 40)', CRASHED, 'sent an unreadable answer')])
def test_an_answer_that_writes_into_the_checker_s_pipe_is_stopped(exercises, message, status,
                                                                 why):
    """A length header that promises 1 MiB and sends none of it kept check() waiting for good;
    a short message that is no reply made it raise; a reply of 1 TiB is not read."""
    namespace = {}
    exec('import struct, sys\n'
         'def t99_scale(x, factor=2):\n'
         '    frame = sys._getframe()\n'
         '    while "conn" not in frame.f_locals:     # up to the loop that serves the checker\n'
         '        frame = frame.f_back\n'
         '    frame.f_locals["conn"]._send({})\n'
         '    return x * factor\n'.format(message), namespace)
    start = time.monotonic()
    result = check(namespace['t99_scale'], verbose=False)
    assert time.monotonic() - start < 5
    assert result.status == status and why in result.details
    assert check(t99_scale, verbose=False).passed          # this process goes on


def test_a_raised_keyboard_interrupt_is_reported(exercises):
    def t99_scale(x, factor=2):
        raise KeyboardInterrupt
    result = check(t99_scale, verbose=False)
    assert result.status == FAILED and 'raised KeyboardInterrupt' in result.details


class _BadRepr:
    def __repr__(self):
        raise RuntimeError('no repr for you')


def test_repr_errors_are_contained(exercises):
    def t99_scale(x, factor=2):
        return _BadRepr()
    for isolate in (True, False):
        result = grade(get_exercise('t99_scale'), t99_scale, isolate=isolate)
        assert result.status == FAILED
        assert 'whose repr raised RuntimeError' in result.details
    assert 'whose repr raised' in core.format_value(_BadRepr())
    assert core.describe_error(RuntimeError(_BadRepr())) == 'RuntimeError'


def test_errors_of_a_property_are_the_checkers(exercises):
    ex = get_exercise('t99_scale')
    ex.properties = [Property('a property with a bug', _property_of_the_checker)]
    details = check(t99_scale, verbose=False).details
    assert 'checker error (not your fault' in details and 'your last value was 6' in details
    assert 'your function raised' not in details

    def raises_in_property(x, factor=2):
        if x == 3 and factor == 2 and ex.properties:
            return [][0]
        return x * factor
    ex.cases = [Case(4)]
    ex.properties = [Property('calls it', lambda fn: fn(3))]
    details = check(raises_in_property, name='t99_scale', verbose=False).details
    assert 'your function raised IndexError' in details and 'checker error' not in details


def test_a_property_sees_what_the_answer_wrote_into_its_input():
    def to_chw(img):
        out = img.transpose(2, 0, 1).astype(numpy.float32)
        img[...] = 0
        return out
    result = check(to_chw, verbose=False)
    assert result.status == FAILED
    assert 'changed the image it was given' in result.details


@pytest.fixture
def ipython_shell(monkeypatch):
    shell = types.SimpleNamespace(exit_now=False)
    monkeypatch.setitem(sys.modules, 'IPython', types.SimpleNamespace(get_ipython=lambda: shell))
    return shell


def test_ipython_exit_is_reported_and_undone(exercises, ipython_shell):
    """In a kernel, exit() does not raise: it asks the kernel to stop after the cell."""
    def t99_scale(x, factor=2):
        ipython_shell.exit_now = True     # what IPython's exit() does
        return x * factor
    result = grade(get_exercise('t99_scale'), t99_scale, isolate=False)
    assert result.status == FAILED and 'called exit()' in result.details
    assert ipython_shell.exit_now is False


def test_in_process_fallback_contains_what_it_can(exercises):
    ex = get_exercise('t99_scale')

    def exits(x, factor=2):
        sys.exit()
    assert grade(ex, exits, isolate=False).status == FAILED

    def loops(x, factor=2):
        while True:
            pass
    start = time.monotonic()
    assert grade(ex, loops, isolate=False).status == TIMED_OUT
    assert time.monotonic() - start < 3

    def swallows_then_returns(x, factor=2):
        try:
            time.sleep(5)
        except:  # noqa: E722
            pass
        return x * factor
    assert grade(ex, swallows_then_returns, isolate=False).status == TIMED_OUT

    def interrupted(x, factor=2):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):   # in the kernel itself it is the user's interrupt
        grade(ex, interrupted, isolate=False)


def test_calling_the_forbidden_answer_fails_one_check(exercises):
    def t99_scale(x, factor=2):
        return 2 * _finished_scale(x, factor) // 2
    result = check(t99_scale, verbose=False)
    assert result.status == FAILED
    assert [c.label for c in result.cases if not c.ok] == [
        "written without the package's finished answer"]
    assert 'test_exercises_core._finished_scale' in result.details


def test_the_reference_is_no_answer_nor_anything_that_runs_its_code(exercises):
    """The reference itself, a wrapper and a copy of its code fail one check of their own, in
    the forked child and in the kernel; every other check, against the reference, passes."""
    def t99_scale(x, factor=2):
        return get_exercise('t99_scale').reference(x, factor)
    copy = types.FunctionType(_scale.__code__, {}, 't99_scale', _scale.__defaults__)
    for answer in (_scale, t99_scale, copy):
        for isolate in (True, False):
            result = grade(exercises[0], answer, isolate=isolate)
            assert result.status == FAILED
            assert [c.label for c in result.cases if not c.ok] == [
                "written without the checker's reference"], result.details
            assert "get_exercise('t99_scale').reference" in ' '.join(result.details.split())


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
    result = check(exercises[0].stub_function())
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
    assert Exercise('Net', 'ch03', _scale, 'class Net(object):\n    pass').name == 'Net'


# --------------------------------------------------------------------------- the policy

def test_the_type_policy():
    assert equal(3, 3) is None and equal(3, numpy.int64(3)) is None
    assert 'expected an int' in equal(3, 3.0)
    assert 'expected an int' in equal(3, True)
    assert equal((64, 32, 16), [64, 32, 16]) is None and equal([1, 2], (1, 2)) is None
    assert 'item 2' in equal((64, 32, 16), (64, 32, 17))
    assert 'tuple or list' in equal((1, 2), numpy.array([1, 2]))
    assert allclose()(1.0, 1.0 + 1e-9) is None and allclose()(1.0, 1.1)
    assert allclose()(0.5, fractions.Fraction(1, 2)) is None and allclose()(2.0, 2) is None
    assert 'expected a number' in allclose()(1.0, True)
    assert allclose()(float('nan'), float('nan')) is None
    ints = numpy.zeros(2, numpy.int64)
    assert 'integer array' in auto_compare(ints, numpy.zeros(2))
    assert auto_compare(ints, numpy.zeros(2, numpy.int32)) is None
    floats = numpy.zeros(2, numpy.float32)
    assert 'expected dtype float32, got float64' in auto_compare(floats, numpy.zeros(2))
    assert 'integer array' in auto_compare(ints, numpy.zeros(2, bool))
    assert auto_compare({'a': 1.0, 'b': floats}, {'a': 1.0, 'b': floats}) is None
    assert "['b']" in auto_compare({'a': 1.0, 'b': floats}, {'a': 1.0, 'b': floats + 1})
    assert 'missing keys' in auto_compare({'a': 1.0}, {})
    assert 'first at index (1,)' in auto_compare(numpy.array([1., 2.], numpy.float32),
                                                 numpy.array([1., 3.], numpy.float32))


def test_format_value_keeps_big_arrays_short():
    text = core.format_value(numpy.zeros((3, 500, 500), numpy.float32))
    assert text.startswith('array(shape=(3, 500, 500), dtype=float32') and len(text) < 100
    assert '1, 2' in core.format_value(numpy.array([1, 2]))
    assert len(core.format_value('x' * 1000)) <= 300


# --------------------------------------------------------------------------- what crosses processes

def test_replies_carry_plain_values_only():
    import chainer
    array = numpy.arange(6, dtype=numpy.float32).reshape(2, 3)
    values = [None, True, 3, 2.5, 1 + 2j, 'text', b'bytes', fractions.Fraction(3, 4),
              numpy.int64(7), numpy.float32(0.5), (1, [2.0, {'k': array}])]
    for value in values:
        back = sandbox.decode(sandbox.loads_reply(sandbox.dumps_reply(sandbox.encode(value))))
        assert type(back) is type(value) or isinstance(value, tuple)
        assert repr(back) == repr(value)
    back = sandbox.decode(sandbox.encode(chainer.Variable(array)))
    assert isinstance(back, numpy.ndarray) and numpy.array_equal(back, array)
    opaque = sandbox.decode(sandbox.encode(threading.Lock()))
    assert isinstance(opaque, sandbox.Opaque) and opaque.type_name == 'lock'
    assert 'expected an int, got lock' in equal(1, opaque)


def test_a_reply_cannot_rebuild_a_class():
    """A pickle that would call something (here os.getcwd) is refused by the checker."""
    with pytest.raises(pickle.UnpicklingError, match='plain values only'):
        sandbox.loads_reply(pickle.dumps(os.getcwd))
    with pytest.raises(pickle.UnpicklingError):
        sandbox.loads_reply(pickle.dumps(numpy.zeros(2)))


def test_call_with_timeout_returns_raises_and_stops():
    assert call_with_timeout(lambda a, b=1: a + b, (2,), {'b': 5}, 1) == 7
    with pytest.raises(ZeroDivisionError):
        call_with_timeout(lambda: 1 / 0, timeout=1)
    with pytest.raises(sandbox.Timeout):
        call_with_timeout(time.sleep, (5,), timeout=0.2)


def test_call_with_timeout_raises_again_after_a_swallowed_alarm():
    caught = []

    def swallow_twice():
        while len(caught) < 2:
            try:
                time.sleep(1)
            except BaseException:  # noqa: B036 -- what a bare except does
                caught.append(1)
        while True:
            time.sleep(0.01)
    start = time.monotonic()
    with pytest.raises(sandbox.Timeout):
        call_with_timeout(swallow_twice, timeout=0.2)
    assert len(caught) == 2 and time.monotonic() - start < 2


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
        except sandbox.Timeout as e:
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


def test_forking_is_used_on_linux_only():
    assert sandbox.fork_is_safe() == sys.platform.startswith('linux')


def test_exercise_namespace_has_the_documented_names():
    ns = core.exercise_namespace()
    assert ns['seglearn'] is seglearn and ns['np'] is numpy
    assert {'chainer', 'F', 'L', 'math', 'numpy'} <= set(ns)


# ------------------------------------------------------------- run_chapters (seglearn.course)

def _notebook(tmp_path, name, cells):
    import nbformat
    nb = nbformat.v4.new_notebook()
    for source, tags in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tags:
            cell.metadata['tags'] = tags
        nb.cells.append(cell)
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


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


@pytest.mark.slow
def test_run_chapters_side_by_side_keeps_the_order_and_limits_the_threads(tmp_path, capsys,
                                                                          monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)   # make test's workers set it
    src = tmp_path / 'src'
    src.mkdir()
    write = 'import os, time\nopen("{0}.txt", "w").write(os.environ.get("OMP_NUM_THREADS", "-"))'
    # 00 ends only after 01 has run: side by side, or it fails after 60 s
    wait = ('\nstart = time.time()\nwhile not os.path.exists("01.txt"):\n'
            '    assert time.time() < start + 60\n    time.sleep(0.1)\ntime.sleep(2)')
    _notebook(src, '00_slow.ipynb', [(write.format('00') + wait, None)])
    _notebook(src, '01_quick.ipynb', [(write.format('01'), None)])
    _notebook(src, '02_bad.ipynb', [('1 / 0', None)])
    status = run_chapters.main([str(src), str(tmp_path / 'out'), '--jobs', '2'])
    out = capsys.readouterr().out
    assert status == 1 and '1 failed' in out and 'of wall-clock time' in out
    threads = str(max(1, run_chapters.cpu_cores() // 2))
    assert [(src / name).read_text() for name in ('00.txt', '01.txt')] == [threads, threads]
    # the quick chapter finished first, but the table keeps the chapters' order
    assert out.index('01_quick.ipynb passed') < out.index('00_slow.ipynb passed')
    table = out[out.index('chapter  '):]
    assert table.index('00_slow') < table.index('01_quick') < table.index('02_bad')
    assert 'ZeroDivisionError' in table
    assert all((tmp_path / 'out' / name).exists() for name in ('00_slow.ipynb', '02_bad.ipynb'))
    monkeypatch.setenv('OMP_NUM_THREADS', '3')            # a setting of the user's is kept
    assert run_chapters.main([str(src), str(tmp_path / 'out'), '--jobs', '2', '--only', '01']) == 0
    assert (src / '01.txt').read_text() == '3'


@pytest.mark.slow
def test_run_chapters_side_by_side_starts_nothing_more_after_an_error(tmp_path):
    src = tmp_path / 'src'
    src.mkdir()
    (src / '00_broken.ipynb').write_text('not a notebook')   # execute_notebook raises at once
    for i in range(1, 6):
        _notebook(src, '0{}_ok.ipynb'.format(i), [('x = 1', None)])
    with pytest.raises(ValueError, match='Notebook does not appear to be JSON'):
        run_chapters.run_chapters(src, tmp_path / 'out', jobs=2, verbose=False)
    ran = sorted(p.name for p in (tmp_path / 'out').glob('*.ipynb'))
    # the one that ran beside it, and the next one if the freed thread took it before the pool
    # was shut down; none after those
    assert set(ran) <= {'01_ok.ipynb', '02_ok.ipynb'}, ran


def test_longest_first_puts_the_trainings_first_in_their_order():
    names = ['00_a', '06_b', '07_c', '08_d', '09_e', '11_f', '12_g']
    assert [Path(p).name for p in run_chapters.longest_first(names)] == [
        '07_c', '12_g', '11_f', '06_b', '09_e', '00_a', '08_d']
    assert run_chapters.longest_first(['03_x', '01_y']) == ['03_x', '01_y']   # stable


def test_jobs_and_the_kernel_environment(monkeypatch):
    assert run_chapters.jobs_arg('3') == 3 and run_chapters.jobs_arg('auto') == run_chapters.cpu_cores()
    for bad in ('0', '-2', 'two', '1.5'):
        with pytest.raises(argparse.ArgumentTypeError, match='number >= 1 or auto'):
            run_chapters.jobs_arg(bad)
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.setattr(run_chapters, 'cpu_cores', lambda: 8)
    assert run_chapters.kernel_env(1) is None
    assert run_chapters.kernel_env(2)['OMP_NUM_THREADS'] == '4'
    assert run_chapters.kernel_env(16)['OMP_NUM_THREADS'] == '1'
    assert run_chapters.kernel_env(2)['PATH'] == os.environ['PATH']
    monkeypatch.setenv('OMP_NUM_THREADS', '2')
    assert run_chapters.kernel_env(4) is None


@pytest.mark.slow
def test_check_in_a_jupyter_kernel_survives_what_an_answer_does(tmp_path):
    """In a real kernel (threads, IPython's own exit()), check() reports and the kernel lives."""
    import nbclient
    import nbformat
    cells = ['import seglearn, os, sys, numpy as np\nfrom seglearn import check']
    for body in ('exit()', 'sys.exit(1)', 'os._exit(0)', 'os.abort()',
                 'while True:\n        try:\n            while True:\n                pass\n'
                 '        except:\n            pass'):
        cells.append('def to_chw(img):\n    {}\nprint(check(to_chw, verbose=False).status)'.format(
            body))
    cells.append('print("kernel alive")')
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=120, kernel_name='python3',
                            resources={'metadata': {'path': str(tmp_path)}}).execute()
    printed = [''.join(o.get('text', '') for o in c.outputs).strip() for c in nb.cells[1:]]
    assert printed == ['failed', 'failed', 'crashed', 'crashed', 'timed out', 'kernel alive']
