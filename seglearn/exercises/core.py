"""The exercise machinery: specs, the registry, time-limited calls, comparisons and :func:`check`.

Chapter modules (``ch00.py`` …) only build :class:`Exercise` objects and :func:`register` them; the
package docstring (``seglearn.exercises``) is the guide for chapter authors.
"""
import contextlib
import copy
import difflib
import importlib
import pkgutil
import re
import signal
import sys
import threading
import time
import warnings

import numpy

from seglearn._checks import is_int

PASSED = 'passed'
FAILED = 'failed'
NOT_ATTEMPTED = 'not attempted'
MISSING = 'missing'

DEFAULT_TIMEOUT = 5.0
_SHOWN_FAILURES = 3


# --------------------------------------------------------------------------- specs

class Case:
    """One call of the learner's function: ``Case(7, 4, stride=2)`` calls ``fn(7, 4, stride=2)``.

    Args:
        *args, **kwargs: the call's arguments (deep-copied before each call, so a function that
            writes into its inputs cannot spoil the reference's answer).
        label (keyword ``_label``): shown instead of the call when the arguments are long.
        hint (keyword ``_hint``): shown when this case fails, in place of the exercise's hint.
    """

    def __init__(self, *args, _label=None, _hint=None, **kwargs):
        self.args = args
        self.kwargs = kwargs
        self.label = _label
        self.hint = _hint

    @classmethod
    def coerce(cls, obj):
        """A :class:`Case` from a Case, a tuple of positional arguments, a dict of keyword
        arguments, or a single argument."""
        if isinstance(obj, Case):
            return obj
        if isinstance(obj, tuple):
            return cls(*obj)
        if isinstance(obj, dict):
            return cls(**obj)
        return cls(obj)

    def copy_args(self):
        return copy.deepcopy(self.args), copy.deepcopy(self.kwargs)

    def describe(self, fname):
        if self.label:
            return self.label
        parts = [format_value(a, short=True) for a in self.args]
        parts += ['{}={}'.format(k, format_value(v, short=True)) for k, v in self.kwargs.items()]
        return '{}({})'.format(fname, ', '.join(parts))


class Property:
    """A check of what any correct answer must satisfy, beyond agreeing with the reference.

    Args:
        description (str): shown next to ✔/✘, e.g. ``'the kernel sums to s² (here s = 4)'``.
        test (callable): ``test(fn)`` calls the learner's ``fn`` and returns None (holds) or a
            message (str) saying what went wrong; an ``AssertionError``'s message counts the same.
        hint (str): shown when it fails, in place of the exercise's hint.
    """

    def __init__(self, description, test, hint=None):
        self.description = description
        self.test = test
        self.hint = hint


class Exercise:
    """What :func:`check` needs to grade one exercise.

    Args:
        name (str): the function name the learner defines (unique over the course).
        chapter (str): ``'ch03'`` …; the qualified name is ``'ch03.deconv_output_size'``.
        reference (callable): a correct implementation, usually the seglearn function.
        stub (str): the source of the exercise cell as committed (defines ``name`` and raises
            ``NotImplementedError``).
        cases (list): fixed cases (:class:`Case`, tuple of args, dict of kwargs), shown one by one.
        random_cases (callable): ``random_cases(rng) -> list`` of cases, ``rng`` a
            ``numpy.random.RandomState``; reported as a group, failures shown.
        compare (callable): ``compare(expected, actual) -> None | str`` (a message when they
            differ); default :func:`auto_compare`.
        compare_inputs (bool): call ``compare(expected, actual, *args, **kwargs)`` with the
            case's arguments too (for answers that may legitimately differ from the reference,
            e.g. tie-breaks, and are judged against the input).
        properties (list[Property]): extra checks.
        hint (str): points to the idea, not the answer; shown on failure.
        mistakes (list[tuple[callable, str]]): typical wrong answers and a hint for each; when
            the learner's answer matches one on a failing case, that hint is shown.
        timeout (float): seconds allowed per call.
        title (str): one line saying what the function does (shown in tables).
    """

    def __init__(self, name, chapter, reference, stub, cases=(), random_cases=None,
                 compare=None, properties=(), hint='', mistakes=(), timeout=DEFAULT_TIMEOUT,
                 title='', compare_inputs=False):
        if not re.match(r'^ch\d\d$', chapter):
            raise ValueError("chapter must look like 'ch03'; got {!r}".format(chapter))
        if not name.isidentifier():
            raise ValueError('name must be a Python identifier; got {!r}'.format(name))
        if not callable(reference):
            raise TypeError('reference must be callable; got {!r}'.format(reference))
        if 'def {}('.format(name) not in stub:
            raise ValueError('stub of {} must define {}()'.format(name, name))
        self.name = name
        self.chapter = chapter
        self.reference = reference
        self.stub = stub.strip('\n')
        self.cases = [Case.coerce(c) for c in cases]
        self.random_cases = random_cases
        self.compare = compare or auto_compare
        self.compare_inputs = compare_inputs
        self.properties = list(properties)
        self.hint = hint
        self.mistakes = list(mistakes)
        self.timeout = timeout
        self.title = title

    @property
    def qualname(self):
        return '{}.{}'.format(self.chapter, self.name)

    def stub_function(self):
        """The function the committed stub cell defines."""
        namespace = exercise_namespace()
        exec(compile(self.stub, '<stub {}>'.format(self.qualname), 'exec'), namespace)
        return namespace[self.name]

    def all_cases(self, seed=0):
        """Fixed cases, then the random ones drawn with ``seed``; list of (Case, is_random)."""
        out = [(c, False) for c in self.cases]
        if self.random_cases is not None:
            rng = numpy.random.RandomState(seed)
            out += [(Case.coerce(c), True) for c in self.random_cases(rng)]
        return out

    def judge(self, expected, actual, case):
        """None when ``actual`` is a right answer to ``case``, else a message."""
        if self.compare_inputs:
            args, kwargs = case.copy_args()
            return self.compare(expected, actual, *args, **kwargs)
        return self.compare(expected, actual)

    def __repr__(self):
        return '<Exercise {}>'.format(self.qualname)


def exercise_namespace():
    """The names an exercise cell may use without importing them (the grader runs exercise cells
    alone, in a fresh namespace): ``seglearn``, ``numpy``/``np``, ``chainer``, ``F``, ``L``,
    ``math``."""
    import math

    import chainer
    import chainer.functions as F
    import chainer.links as L

    import seglearn
    return {'__name__': '__exercise__', 'seglearn': seglearn, 'numpy': numpy, 'np': numpy,
            'chainer': chainer, 'F': F, 'L': L, 'math': math}


# --------------------------------------------------------------------------- registry

_REGISTRY = {}
_LOADED = [False]


def register(*exercises):
    """Add exercises to the registry (called at import time by each ``chNN`` module).

    Raises:
        ValueError: a function name is already registered by another exercise.
    """
    for ex in exercises:
        old = _REGISTRY.get(ex.name)
        if old is not None and old.chapter != ex.chapter:
            raise ValueError('exercise name {!r} is used by both {} and {}; names must be unique '
                             'over the course'.format(ex.name, old.chapter, ex.chapter))
        _REGISTRY[ex.name] = ex
    return exercises[0] if len(exercises) == 1 else exercises


def chapter_modules():
    """Names of the ``chNN`` spec modules in this package, sorted."""
    import seglearn.exercises as pkg
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if re.match(r'^ch\d\d$', m.name))


def load_all():
    """Import every chapter spec module (once)."""
    if not _LOADED[0]:
        for mod in chapter_modules():
            importlib.import_module('seglearn.exercises.' + mod)
        _LOADED[0] = True


def all_exercises(chapter=None):
    """Registered exercises, sorted by chapter then definition order.

    Args:
        chapter (str): ``'ch03'`` to keep one chapter's exercises only.
    """
    load_all()
    exs = [e for e in _REGISTRY.values() if chapter is None or e.chapter == chapter]
    order = {name: i for i, name in enumerate(_REGISTRY)}
    return sorted(exs, key=lambda e: (e.chapter, order[e.name]))


def get_exercise(name):
    """The exercise for ``'deconv_output_size'`` or ``'ch03.deconv_output_size'``.

    Raises:
        LookupError: no such exercise (the message lists close names).
    """
    load_all()
    chapter, _, short = name.rpartition('.')
    ex = _REGISTRY.get(short)
    if ex is None or (chapter and ex.chapter != chapter):
        close = difflib.get_close_matches(short, list(_REGISTRY), n=3)
        raise LookupError('no exercise named {!r}{}. check() finds the exercise by the function '
                       'name: keep the name of the stub, or pass name=.'.format(
                           name, '; did you mean {}?'.format(', '.join(close)) if close else ''))
    return ex


# --------------------------------------------------------------------------- time limit

class Timeout(Exception):
    """A call ran past its time limit."""


class _Alarm(BaseException):
    # BaseException so that a learner's ``except Exception`` cannot swallow the time limit.
    pass


def call_with_timeout(fn, args=(), kwargs=None, timeout=DEFAULT_TIMEOUT):
    """Call ``fn(*args, **kwargs)``; raise :class:`Timeout` after ``timeout`` seconds.

    On the main thread of a POSIX process (scripts, pytest, a Jupyter kernel) SIGALRM interrupts
    Python code and any timer set before is restored afterwards. Elsewhere the call runs in a
    daemon thread that is abandoned if it overruns (it cannot be killed; it ends with the process).
    Exceptions raised by ``fn`` propagate unchanged.
    """
    kwargs = kwargs or {}
    if timeout is None:
        return fn(*args, **kwargs)
    if hasattr(signal, 'setitimer') and threading.current_thread() is threading.main_thread():
        return _call_with_alarm(fn, args, kwargs, timeout)
    return _call_in_thread(fn, args, kwargs, timeout)


def _call_with_alarm(fn, args, kwargs, timeout):
    def handler(signum, frame):
        raise _Alarm()

    old_handler = signal.signal(signal.SIGALRM, handler)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.monotonic()
    try:
        return fn(*args, **kwargs)
    except _Alarm:
        raise Timeout('no answer within {:g} s (an endless loop?)'.format(timeout)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            left = old_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_interval)


def _call_in_thread(fn, args, kwargs, timeout):
    box = {}

    def target():
        try:
            box['value'] = fn(*args, **kwargs)
        except BaseException as e:  # handed to the caller below
            box['error'] = e

    worker = threading.Thread(target=target, daemon=True, name='seglearn-exercise')
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise Timeout('no answer within {:g} s (an endless loop?)'.format(timeout))
    if 'error' in box:
        raise box['error']
    return box['value']


# --------------------------------------------------------------------------- formatting

def to_numpy(x):
    """The NumPy array of a chainer Variable or a CuPy array; any other value unchanged (lists,
    numbers and tuples keep their type, so that a comparison can still tell them apart)."""
    if hasattr(x, 'array') and type(x).__name__ == 'Variable':
        x = x.array
    if type(x).__module__.startswith('cupy') and hasattr(x, 'get'):
        x = x.get()
    return x


def format_value(value, short=False):
    """A readable, bounded-length text for a value (arrays are summarised when large)."""
    value = to_numpy(value)
    if isinstance(value, numpy.ndarray):
        limit = 16 if short else 64
        if value.size <= limit and (value.ndim <= 2 or (value.size <= 12 and not short)):
            body = numpy.array2string(value, separator=', ', precision=4, suppress_small=True,
                                      max_line_width=100)
            if short:
                body = re.sub(r'\n\s*', ' ', body)
            else:  # continuation lines under the first bracket of '    expected: array('
                body = ('\n' + ' ' * 20).join(line for line in body.splitlines() if line.strip())
            return 'array({}, dtype={})'.format(body, value.dtype)
        text = 'array(shape={}, dtype={}'.format(value.shape, value.dtype)
        if value.size and value.dtype.kind in 'biuf':
            text += ', min={:.4g}, max={:.4g}'.format(float(value.min()), float(value.max()))
        return text + ')'
    if isinstance(value, (list, tuple)) and any(isinstance(to_numpy(v), numpy.ndarray)
                                                for v in value):
        inner = ', '.join(format_value(v, short=True) for v in value[:4])
        more = ', …' if len(value) > 4 else ''
        return ('[{}{}]' if isinstance(value, list) else '({}{})').format(inner, more)
    if isinstance(value, dict):
        inner = ', '.join('{!r}: {}'.format(k, format_value(v, short=True)) for k, v in value.items())
        text = '{' + inner + '}'
    elif isinstance(value, (float, numpy.floating)):
        text = '{:.6g}'.format(float(value))
    else:
        text = repr(value)
    limit = 80 if short else 300
    return text if len(text) <= limit else text[:limit - 1] + '…'


def describe_error(error):
    """``'ZeroDivisionError: division by zero'``, one line."""
    text = '{}: {}'.format(type(error).__name__, error) if str(error) else type(error).__name__
    text = text.splitlines()[0] if text else text
    return text if len(text) <= 200 else text[:199] + '…'


# --------------------------------------------------------------------------- comparisons

def _is_real(x):
    return isinstance(x, (int, float, numpy.integer, numpy.floating)) and not isinstance(
        x, (bool, numpy.bool_))


def equal(expected, actual):
    """Exact equality; ints must come back as ints (1 == 1.0 is not accepted as an integer size)."""
    if is_int(expected):
        if not is_int(actual):
            return 'expected an int, got {} {}'.format(type(actual).__name__, format_value(actual))
        return None if int(actual) == int(expected) else 'values differ'
    if isinstance(expected, tuple) and isinstance(actual, (tuple, list)):
        if len(actual) != len(expected):
            return 'expected {} values, got {}'.format(len(expected), len(actual))
        for i, (e, a) in enumerate(zip(expected, actual)):
            msg = equal(e, a)
            if msg:
                return 'item {}: {}'.format(i, msg)
        return None
    return None if actual == expected else 'values differ'


def allclose(rtol=1e-5, atol=1e-6, dtype=None, equal_nan=True):
    """A comparison for arrays (or numbers): same shape, values within ``atol + rtol·|expected|``.

    Args:
        dtype: None (any), a kind string such as ``'f'`` (any float) or ``'iu'`` (any
            integer), or a dtype that must match exactly.
        equal_nan (bool): NaN where expected is NaN counts as equal.

    Accepts NumPy arrays, CuPy arrays and Chainer Variables from the learner; lists are refused
    (the exercise asks for an array).
    """
    def compare(expected, actual):
        actual = to_numpy(actual)
        expected = to_numpy(expected)
        if not isinstance(expected, numpy.ndarray):
            if not _is_real(actual) and not (isinstance(actual, numpy.ndarray) and actual.ndim == 0):
                return 'expected a number, got {}'.format(type(actual).__name__)
            e, a = float(expected), float(actual)
            if numpy.isnan(e) and numpy.isnan(a) and equal_nan:
                return None
            return None if abs(a - e) <= atol + rtol * abs(e) else 'values differ'
        if not isinstance(actual, numpy.ndarray):
            return 'expected an array, got {}'.format(type(actual).__name__)
        if actual.shape != expected.shape:
            return 'expected shape {}, got shape {}'.format(expected.shape, actual.shape)
        if dtype is not None:
            if isinstance(dtype, str) and all(c in 'biufc' for c in dtype):
                if actual.dtype.kind not in dtype:
                    return 'expected a dtype of kind {!r}, got {}'.format(dtype, actual.dtype)
            elif actual.dtype != numpy.dtype(dtype):
                return 'expected dtype {}, got {}'.format(numpy.dtype(dtype), actual.dtype)
        if actual.dtype.kind not in 'biuf':
            return 'expected numbers, got dtype {}'.format(actual.dtype)
        e = expected.astype(numpy.float64)
        a = actual.astype(numpy.float64)
        ok = numpy.abs(a - e) <= atol + rtol * numpy.abs(e)
        if equal_nan:
            ok |= numpy.isnan(e) & numpy.isnan(a)
        if ok.all():
            return None
        bad = numpy.argwhere(~ok)
        first = tuple(int(i) for i in bad[0])
        return '{} of {} values differ; first at index {}: expected {:.6g}, got {:.6g}'.format(
            len(bad), ok.size, first, e[first], a[first])
    return compare


def auto_compare(expected, actual):
    """The default comparison: arrays and floats with :func:`allclose` (same dtype kind for
    arrays), ints/tuples/others with :func:`equal`, dicts key by key."""
    expected = to_numpy(expected)
    if isinstance(expected, numpy.ndarray):
        kind = 'iu' if expected.dtype.kind in 'iu' else ('f' if expected.dtype.kind == 'f' else None)
        return allclose(dtype=kind)(expected, actual)
    if isinstance(expected, (float, numpy.floating)):
        return allclose()(expected, actual)
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return 'expected a dict, got {}'.format(type(actual).__name__)
        missing = [k for k in expected if k not in actual]
        if missing:
            return 'missing keys {}'.format(missing)
        for k in expected:
            msg = auto_compare(expected[k], actual[k])
            if msg:
                return '[{!r}]: {}'.format(k, msg)
        return None
    if isinstance(expected, (list, tuple)) and any(
            isinstance(to_numpy(v), numpy.ndarray) or isinstance(v, float) for v in expected):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            return 'expected a {} of {} items, got {}'.format(
                type(expected).__name__, len(expected), format_value(actual, short=True))
        for i, (e, a) in enumerate(zip(expected, actual)):
            msg = auto_compare(e, a)
            if msg:
                return 'item {}: {}'.format(i, msg)
        return None
    return equal(expected, actual)


# --------------------------------------------------------------------------- results

class CaseResult:
    """The outcome of one case or property: ``ok``, and what to show."""

    def __init__(self, label, ok, expected=None, actual=None, message='', hint=None,
                 is_random=False, is_property=False):
        self.label = label
        self.ok = ok
        self.expected = expected
        self.actual = actual
        self.message = message
        self.hint = hint
        self.is_random = is_random
        self.is_property = is_property
        self.timed_out = False
        self.any_answer = False
        self.expected_short = None

    def lines(self):
        mark = '✔' if self.ok else '✘'
        out = ['{} {}'.format(mark, self.label)]
        if not self.ok:
            if self.expected is not None:
                out.append('    {} {}'.format('one answer:' if self.any_answer else 'expected:',
                                              self.expected))
            if self.actual is not None:
                out.append('    got:      {}'.format(self.actual))
            if self.message:
                out.append('    {}'.format(self.message))
        elif self.expected_short is not None and not self.is_random and not self.is_property:
            out[0] += '  →  {}'.format(self.expected_short)
        return out


class Result:
    """What :func:`check` found.

    Attributes:
        name (str): qualified exercise name (``'ch03.deconv_output_size'``).
        status (str): ``'passed'``, ``'failed'``, ``'not attempted'`` (a stub: the function
            raised NotImplementedError) or ``'missing'`` (the grader found no such function).
        passed (bool): status is ``'passed'``.
        cases (list[CaseResult]): one per case and property that ran.
        details (str): the report as printed.
    """

    def __init__(self, name, status, cases=(), details=''):
        self.name = name
        self.status = status
        self.cases = list(cases)
        self.details = details

    @property
    def passed(self):
        return self.status == PASSED

    @property
    def n_ok(self):
        return sum(c.ok for c in self.cases)

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return '<Result {}: {} ({}/{} checks)>'.format(self.name, self.status, self.n_ok,
                                                        len(self.cases))

    def _ipython_display_(self):
        # check() has already printed the report; a notebook shows nothing more.
        pass


# --------------------------------------------------------------------------- check

@contextlib.contextmanager
def _quiet():
    """Silence NumPy/Python warnings of code the learner did not write (reference, mistakes)."""
    with warnings.catch_warnings(), numpy.errstate(all='ignore'):
        warnings.simplefilter('ignore')
        yield


def _run_case(ex, fn, case, is_random):
    label = case.describe(ex.name)
    args, kwargs = case.copy_args()
    with _quiet():
        expected = ex.reference(*args, **kwargs)
    args, kwargs = case.copy_args()
    try:
        actual = call_with_timeout(fn, args, kwargs, ex.timeout)
    except NotImplementedError:
        raise
    except Timeout as e:
        result = CaseResult(label, False, format_value(expected), None, str(e), None, is_random)
        result.timed_out = True
        return result
    except Exception as e:
        return CaseResult(label, False, format_value(expected), None,
                          'your function raised ' + describe_error(e), None, is_random)
    try:
        msg = ex.judge(expected, actual, case)
    except Exception as e:  # a return value the comparison cannot even read
        msg = 'cannot compare the answer: ' + describe_error(e)
    hint = case.hint
    if msg:
        hint = _mistake_hint(ex, case, actual) or hint
    result = CaseResult(label, not msg, format_value(expected), format_value(actual), msg or '',
                        hint, is_random)
    result.any_answer = ex.compare_inputs
    result.expected_short = format_value(expected, short=True)
    return result


def _mistake_hint(ex, case, actual):
    for wrong, hint in ex.mistakes:
        args, kwargs = case.copy_args()
        try:
            same = auto_compare if ex.compare_inputs else ex.compare
            with _quiet():
                if same(wrong(*args, **kwargs), actual) is None:
                    return hint
        except Exception:
            continue
    return None


def _run_property(ex, fn, prop):
    label = 'property: ' + prop.description
    try:
        msg = call_with_timeout(prop.test, (fn,), {}, ex.timeout * 4)
    except NotImplementedError:
        raise
    except AssertionError as e:
        msg = str(e) or 'does not hold'
    except Timeout as e:
        msg = str(e)
    except Exception as e:
        msg = 'your function raised ' + describe_error(e)
    return CaseResult(label, not msg, message=msg or '', hint=prop.hint if msg else None,
                      is_property=True)


def grade(ex, fn, seed=0):
    """Run every case and property of ``ex`` on ``fn``; a :class:`Result` (nothing printed)."""
    results = []
    try:
        for case, is_random in ex.all_cases(seed):
            results.append(_run_case(ex, fn, case, is_random))
            if results[-1].timed_out:
                break
        else:
            for prop in ex.properties:
                results.append(_run_property(ex, fn, prop))
    except NotImplementedError:
        if not results:
            return Result(ex.qualname, NOT_ATTEMPTED, [],
                          '○ {}: not attempted yet (the stub raises NotImplementedError). Write '
                          'your answer in the cell and run check() again.'.format(ex.qualname))
        results.append(CaseResult('(a later case)', False,
                                  message='your function raised NotImplementedError'))
    status = PASSED if all(r.ok for r in results) else FAILED
    report = _report(ex, status, results)
    if results[-1].timed_out:
        report += '\nThe remaining checks were not run after the time limit.'
    return Result(ex.qualname, status, results, report)


def _report(ex, status, results):
    lines = ['{}{}'.format(ex.qualname, ': ' + ex.title if ex.title else '')]
    fixed = [r for r in results if not r.is_random]
    randoms = [r for r in results if r.is_random]
    n_bad = sum(not r.ok for r in results)
    shown = 0
    for r in fixed:
        if r.ok:
            lines += r.lines()
        elif shown < _SHOWN_FAILURES:
            lines += r.lines()
            shown += 1
    if randoms:
        bad = [r for r in randoms if not r.ok]
        lines.append('{} {}/{} random cases'.format('✔' if not bad else '✘',
                                                   len(randoms) - len(bad), len(randoms)))
        for r in bad[:max(1, _SHOWN_FAILURES - shown)]:
            lines += ['  ' + line for line in r.lines()]
            shown += 1
    if shown < n_bad:
        lines.append('  … and {} more failing'.format(n_bad - shown))
    n_ok = sum(r.ok for r in results)
    if status == PASSED:
        lines.append('All {} checks passed. ✔'.format(len(results)))
    else:
        lines.append('{} of {} checks failed.'.format(len(results) - n_ok, len(results)))
        hints = []
        for r in results:
            if not r.ok and r.hint and r.hint not in hints:
                hints.append(r.hint)
        if ex.hint and ex.hint not in hints:
            hints.append(ex.hint)
        for h in hints[:2]:
            lines.append('Hint: ' + h)
    return '\n'.join(lines)


def check(fn, name=None, seed=0, verbose=True):
    """Check a learner's function against its exercise and print ✔/✘ per case.

    Args:
        fn (callable): the learner's function; its ``__name__`` finds the exercise.
        name (str): the exercise name when the function is named differently
            (``'deconv_output_size'`` or ``'ch03.deconv_output_size'``).
        seed (int): seed of the random cases.
        verbose (bool): print the report (the grader passes False).

    Returns:
        Result: ``.passed``, ``.status``, ``.cases``, ``.details``. It never raises because of
        the learner's function (exceptions, endless loops and wrong types become ✘).

    Raises:
        LookupError: no exercise of that name.
        TypeError: ``fn`` is not callable.
    """
    if not callable(fn):
        raise TypeError('check() needs the function itself, e.g. check(my_function); got {!r}'
                        .format(fn))
    ex = get_exercise(name or getattr(fn, '__name__', ''))
    result = grade(ex, fn, seed=seed)
    if verbose:
        print(result.details)
        sys.stdout.flush()
    return result
