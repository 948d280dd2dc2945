"""Judging an answer: every case and property of an exercise, and :func:`check`.

The judge runs in the checker's process and never calls the learner's code directly: each call
goes through a :class:`~seglearn.exercises.sandbox.Answer` (a forked child on Linux, see
:mod:`seglearn.exercises.sandbox`), and what comes back is plain values. The reference, the
comparisons, the typical mistakes and the properties' own code all run here.
"""
import builtins
import contextlib
import sys
import warnings

import numpy

from seglearn.exercises import sandbox
from seglearn.exercises.core import (
    CRASHED, FAILED, NOT_ATTEMPTED, PASSED, REFERENCE, TIMED_OUT, CaseResult, Result, Skip,
    auto_compare, describe_error, format_value, get_exercise, report, wrap,
)
from seglearn.messages import exercise_text
from seglearn.messages import gettext as _


class _NotAttempted(Exception):
    pass


class _Stopped(BaseException):
    """The answer's process was stopped or died: nothing more can be checked (BaseException so
    that no property's ``except Exception`` hides it)."""

    def __init__(self, outcome):
        super().__init__(outcome.message)
        self.outcome = outcome


class AnswerError(Exception):
    """An exception the learner's answer raised, as a property sees it (the original type when
    it is a builtin exception, so that ``except ValueError`` still works)."""


def _raise_from(outcome):
    """Raise, in the checker, what the answer raised in its process."""
    error = outcome.error
    cls = getattr(builtins, error.get('builtin') or '', None)
    exc = None
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            exc = cls(*sandbox.decode(error['args']))
        except Exception:
            exc = None
    exc = exc or AnswerError(_where(error))
    exc.seglearn_answer_error = _raised_message(error)
    raise exc


def _where(error):
    """``'ZeroDivisionError: division by zero (line 3 of your code)'``."""
    return error['text'] + (_(' (line {} of your code)').format(error['line'])
                            if error.get('line') else '')


def _raised_message(error):
    if error.get('by') == 'checker':
        return _checker_error(error['text'])
    return _('your function raised {}').format(_where(error))


def _checker_error(what):
    return _('checker error (not your fault, please report it): {}').format(what)


def _property_label(prop):
    return _('property: {}').format(exercise_text(prop.description))


class _Proxy:
    """What a property's test calls in place of the learner's function."""

    def __init__(self, answer, gpu, seen):
        self._answer, self._gpu, self._seen = answer, gpu, seen
        self.last_value = None

    def __call__(self, *args, **kwargs):
        outcome = self._answer.call(list(args), kwargs, gpu=self._gpu, return_args=True)
        value = self._result(outcome)
        for mine, theirs in zip(list(args) + list(kwargs.values()),
                                outcome.args[0] + list(outcome.args[1].values())):
            if (isinstance(mine, numpy.ndarray) and isinstance(theirs, numpy.ndarray)
                    and mine.shape == theirs.shape and mine.flags.writeable):
                mine[...] = theirs      # the answer wrote into its input: the test sees it
        return value

    def probe(self, probe, *args, **kwargs):
        return self._result(self._answer.call(list(args), kwargs, probe=probe, gpu=self._gpu))

    def _result(self, outcome):
        self._seen.update(outcome.used)
        if outcome.stops:
            raise _Stopped(outcome)
        if outcome.kind == 'not_implemented':
            raise NotImplementedError
        if outcome.kind == 'exited':
            exc = AnswerError(outcome.message)
            exc.seglearn_answer_error = outcome.message
            raise exc
        if outcome.kind == 'raised':
            _raise_from(outcome)
        self.last_value = outcome.value
        return outcome.value


@contextlib.contextmanager
def _quiet():
    """Silence NumPy/Python warnings of code the learner did not write (reference, mistakes)."""
    with warnings.catch_warnings(), numpy.errstate(all='ignore'):
        warnings.simplefilter('ignore')
        yield


def _run_case(ex, answer, case, section, seen):
    label = case.describe(ex.name)
    show = ex.probe is None       # a probe's observations are judged, not printed
    try:
        with _quiet():
            expected = ex.expected(case)
    except Exception as e:
        return CaseResult(label, False, message=_checker_error(
            _('the reference raised {}').format(describe_error(e))), section=section), None
    args, kwargs = case.copy_args()
    outcome = answer.call(args, kwargs, probe='exercise' if ex.probe else None)
    seen.update(outcome.used)
    expected_text = format_value(expected) if show else None
    if outcome.kind == 'not_implemented':
        raise _NotAttempted
    if outcome.kind != 'returned':
        message = _raised_message(outcome.error) if outcome.kind == 'raised' else outcome.message
        return CaseResult(label, False, expected_text, None, message,
                          exercise_text(case.hint), section=section,
                          any_answer=ex.compare_inputs), outcome
    actual = outcome.value
    try:
        with _quiet():
            msg = ex.judge(expected, actual, case)
    except Exception as e:
        msg = _checker_error(_('{} while judging your value').format(describe_error(e)))
    hint = case.hint
    if msg:
        hint = _mistake_hint(ex, case, actual) or hint
    hint = exercise_text(hint)
    return CaseResult(label, not msg, expected_text, format_value(actual) if show else None,
                      msg or '', hint, section=section, any_answer=ex.compare_inputs,
                      expected_short=format_value(expected, short=True) if show else None), outcome


def _mistake_hint(ex, case, actual):
    for wrong, hint in ex.mistakes:
        args, kwargs = case.copy_args()
        try:
            same = auto_compare if ex.compare_inputs else ex.compare
            with _quiet():
                wrong_value = (ex.probe(wrong, *args, **kwargs) if ex.probe
                               else wrong(*args, **kwargs))
                if same(wrong_value, actual) is None:
                    return hint
        except Exception:
            continue
    return None


def _run_property(ex, answer, prop, seen):
    label = _property_label(prop)
    fn = _Proxy(answer, prop.gpu, seen)
    try:
        with _quiet():
            msg = prop.test(fn)
    except Skip as e:
        return CaseResult(label, True, message=str(e), section='property', skipped=True)
    except AssertionError as e:
        msg = str(e) or _('does not hold')
    except NotImplementedError:
        raise
    except Exception as e:
        msg = getattr(e, 'seglearn_answer_error', None) or _checker_error(
            _('{}; your last value was {}').format(describe_error(e),
                                                   format_value(fn.last_value, short=True)))
    return CaseResult(label, not msg, message=msg or '',
                      hint=exercise_text(prop.hint) if msg else None, section='property')


def _forbidden_result(seen):
    return CaseResult(
        _('written without the package\'s finished answer'), False,
        message=_('your code calls {}: that is the answer itself; write it with NumPy/Chainer '
                  'building blocks').format(', '.join(sorted(seen))), section='property')


def _reference_result(ex):
    return CaseResult(
        _('written without the checker\'s reference'), False,
        message=_('your answer is the checker\'s own reference (get_exercise({!r}).reference), '
                  'derives from it or runs its code: write the answer yourself').format(ex.name),
        section='property')


def judge(ex, answer, seed=0):
    """Run every case and property of ``ex`` on ``answer`` (a
    :class:`~seglearn.exercises.sandbox.Answer`); a :class:`Result`, nothing printed."""
    results, seen, stopped = [], set(), None
    try:
        for case, is_random in ex.all_cases(seed):
            result, outcome = _run_case(ex, answer, case, 'random' if is_random else 'fixed',
                                        seen)
            results.append(result)
            if outcome is not None and outcome.stops:
                stopped = outcome
                break
        else:
            for prop in ex.properties:
                try:
                    results.append(_run_property(ex, answer, prop, seen))
                except _Stopped as e:
                    results.append(CaseResult(_property_label(prop), False,
                                              message=e.outcome.message, section='property'))
                    stopped = e.outcome
                    break
    except (_NotAttempted, NotImplementedError):
        if not results:
            return Result(ex.qualname, NOT_ATTEMPTED, [], wrap(
                _('○ {}: not attempted yet (the stub raises NotImplementedError). Write your '
                  'answer in the cell and run check() again.').format(ex.qualname)))
        results.append(CaseResult(_('(a later case)'), False,
                                  message=_('your function raised NotImplementedError')))
    if REFERENCE in seen:      # the package code it reaches is the reference's: say that alone
        results.append(_reference_result(ex))
    elif seen:
        results.append(_forbidden_result(seen))
    if stopped is not None:
        status = TIMED_OUT if stopped.kind == 'timed_out' else CRASHED
        note = _('Stopped: {}. The remaining checks were not run.').format(stopped.message)
    else:
        status = PASSED if all(r.ok for r in results) else FAILED
        note = ''
    return Result(ex.qualname, status, results, report(ex, status, results, note))


def grade(ex, fn, seed=0, isolate=None):
    """Judge ``fn`` on ``ex``; the answer runs in a forked child when ``isolate`` (default: where
    forking is safe, see :func:`seglearn.exercises.sandbox.fork_is_safe`)."""
    with sandbox.answer_for(ex, fn, isolate) as answer:
        return judge(ex, answer, seed)


def check(fn, name=None, seed=0, verbose=True):
    """Check a learner's function (or class) against its exercise and print ✔/✘ per case.

    Args:
        fn (callable): the learner's function; its ``__name__`` finds the exercise.
        name (str): the exercise name when the function is named differently
            (``'round_trip_sizes'`` or ``'ch03.round_trip_sizes'``).
        seed (int): seed of the random cases.
        verbose (bool): print the report.

    Returns:
        Result: ``.passed``, ``.status``, ``.cases``, ``.details``. It never raises because of
        the learner's function: exceptions, ``sys.exit()``, endless loops (a time limit per call)
        and wrong types become ✘; on Linux the answer runs in a forked process, so that
        ``os._exit()``, ``os.abort()`` or a loop inside a bare ``except:`` end that process only
        (README, "Exercises", says what holds where).

    Raises:
        LookupError: no exercise of that name.
        TypeError: ``fn`` is not callable.
    """
    if not callable(fn):
        raise TypeError(_('check() needs the function itself, e.g. check(my_function); got {!r}')
                        .format(fn))
    ex = get_exercise(name or getattr(fn, '__name__', ''))
    result = grade(ex, fn, seed=seed)
    if verbose:
        print(result.details)
        sys.stdout.flush()
    return result
