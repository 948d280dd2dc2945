"""The exercise specs, the registry, the course's one type policy, and how results read.

Chapter modules (``ch00.py`` …) only build :class:`Exercise` objects and :func:`register` them; the
package docstring (``seglearn.exercises``) is the guide for chapter authors. Nothing here runs a
learner's code: :mod:`seglearn.exercises.sandbox` does that, in a process it can stop, and
:mod:`seglearn.exercises.judge` judges what comes back.
"""
import copy
import difflib
import fractions
import importlib
import numbers
import pkgutil
import re
import sys
import textwrap
import types

import numpy

from seglearn._checks import is_int
from seglearn.messages import exercise_text
from seglearn.messages import gettext as _
from seglearn.messages import gettext_noop as N_
from seglearn.messages.width import ljust, width, wrap as wrap_wide

# Result.status is one of these English words; reports show it translated (gettext(status)).
PASSED = N_('passed')
FAILED = N_('failed')
NOT_ATTEMPTED = N_('not attempted')
MISSING = N_('missing')
TIMED_OUT = N_('timed out')
CRASHED = N_('crashed')

DEFAULT_TIMEOUT = 5.0
REFERENCE = "the exercise's reference"   # the name the sandbox reports the reference's code by
WIDTH = 90               # check()'s report is wrapped to this many columns
_LABEL_COLUMNS = 11      # the widest label, 'one answer:' (正解の一例:); values start at column 16
_SHOWN_FAILURES = 3      # failing cases shown in full per section


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
        """The case as a report shows it: its label (in the current language), else the call."""
        if self.label:
            return exercise_text(self.label)
        parts = [format_value(a, short=True) for a in self.args]
        parts += ['{}={}'.format(k, format_value(v, short=True)) for k, v in self.kwargs.items()]
        return '{}({})'.format(fname, ', '.join(parts))


class Skip(Exception):
    """Raised by a property that cannot run here (e.g. its GPU path without a GPU): shown as ○."""


class Property:
    """A check of what any correct answer must satisfy, beyond agreeing with the reference.

    Args:
        description (str): shown next to ✔/✘, e.g. ``'the kernel sums to s² (here s = 4)'``.
        test (callable): ``test(fn)`` returns None (holds) or a message (str) saying what went
            wrong; an ``AssertionError``'s message counts the same, :class:`Skip` marks it as not
            run. ``fn`` stands for the learner's function: calling it runs the answer where the
            checker can stop it (the test itself runs in the checker's process), and
            ``fn.probe(probe, *args)`` runs ``probe(answer, *args)`` there instead and returns
            what the probe returns (plain values and arrays). ``probe`` must be a module-level
            function.
        hint (str): shown when it fails, in place of the exercise's hint.
        gpu (bool): the test runs the answer on CuPy arrays; it then runs where CUDA can be used
            (inside a forked process it cannot: :mod:`seglearn.exercises.sandbox`).
    """

    def __init__(self, description, test, hint=None, gpu=False):
        self.description = description
        self.test = test
        self.hint = hint
        self.gpu = gpu


class Exercise:
    """What :func:`~seglearn.exercises.check` needs to grade one exercise.

    Args:
        name (str): the function (or class) name the learner defines, unique over the course.
        chapter (str): ``'ch03'`` …; the qualified name is ``'ch03.round_trip_sizes'``.
        reference (callable): a correct implementation.
        stub (str): the source of the exercise cell as committed (defines ``name`` and raises
            ``NotImplementedError``).
        cases (list): fixed cases (:class:`Case`, tuple of args, dict of kwargs), shown one by one.
        random_cases (callable): ``random_cases(rng) -> list`` of cases, ``rng`` a
            ``numpy.random.RandomState``; reported as a group, failures shown.
        compare (callable): ``compare(expected, actual) -> None | str`` (a message when they
            differ); default :func:`auto_compare`, the course's type policy.
        compare_inputs (bool): call ``compare(expected, actual, *args, **kwargs)`` with the
            case's arguments too (for answers that may legitimately differ from the reference,
            e.g. tie-breaks, and are judged against the input).
        properties (list[Property]): extra checks.
        hint (str): points to the idea, not the answer; shown on failure.
        mistakes (list[tuple[callable, str]]): typical wrong answers and a hint for each; when
            the learner's answer matches one on a failing case, that hint is shown.
        timeout (float): seconds allowed per call.
        title (str): one line saying what the function does (shown in tables).
        probe (callable): for answers that are not plain functions (a ``chainer.Chain`` class, a
            loss): a module-level ``probe(answer, *args, **kwargs)`` that exercises the answer
            and returns what it observed (plain values and arrays). Each case then compares
            ``probe(learner's answer, …)``, run where the answer runs, with
            ``probe(reference, …)``.
        forbidden (tuple): functions and classes of the package (or of Chainer) whose use would
            be the whole answer; an answer that calls any of them fails one extra check. An
            answer that is the reference, derives from it or runs its code
            (:func:`reference_codes`) fails one of its own.
    """

    def __init__(self, name, chapter, reference, stub, cases=(), random_cases=None,
                 compare=None, properties=(), hint='', mistakes=(), timeout=DEFAULT_TIMEOUT,
                 title='', compare_inputs=False, probe=None, forbidden=()):
        if not re.match(r'^ch\d\d$', chapter):
            raise ValueError("chapter must look like 'ch03'; got {!r}".format(chapter))
        if not name.isidentifier():
            raise ValueError('name must be a Python identifier; got {!r}'.format(name))
        if not callable(reference):
            raise TypeError('reference must be callable; got {!r}'.format(reference))
        if not re.search(r'^(def|class) {}\b'.format(name), stub, re.M):
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
        self.probe = probe
        self.forbidden = tuple(forbidden)

    @property
    def qualname(self):
        return '{}.{}'.format(self.chapter, self.name)

    def stub_function(self):
        """The function (or class) the committed stub cell defines."""
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

    def expected(self, case):
        """The reference's answer to ``case`` (through the probe when there is one)."""
        args, kwargs = case.copy_args()
        if self.probe is not None:
            return self.probe(self.reference, *args, **kwargs)
        return self.reference(*args, **kwargs)

    def judge(self, expected, actual, case):
        """None when ``actual`` is a right answer to ``case``, else a message."""
        if self.compare_inputs:
            args, kwargs = case.copy_args()
            return self.compare(expected, actual, *args, **kwargs)
        return self.compare(expected, actual)

    def watched_codes(self):
        """What the sandbox watches an answer for: code object (or builtin) → the name a report
        gives it; those of :attr:`forbidden` under their own names, the reference's
        (:func:`reference_codes`) under :data:`REFERENCE`."""
        names = {code: forbidden_name(obj) for obj in self.forbidden
                 for code in code_objects(obj)}
        names.update(dict.fromkeys(reference_codes(self.reference), REFERENCE))
        return names

    def __repr__(self):
        return '<Exercise {}>'.format(self.qualname)


def code_objects(obj):
    """What the sandbox watches for a forbidden function or class: the code objects it runs (a
    class: those of the functions it defines itself), or a builtin itself."""
    members = vars(obj).values() if isinstance(obj, type) else [obj]
    out = set()
    for member in members:
        member = getattr(member, '__func__', member)     # staticmethod, classmethod
        code = getattr(member, '__code__', None)
        if code is not None:
            out.add(code)
        elif not isinstance(obj, type) and callable(member):
            out.add(member)
    return out


def reference_codes(reference):
    """The code objects of a reference, which no answer may run: its own (a class: its methods'
    and those of its bases defined in its module), those of the functions and classes of its
    module that they name, theirs in turn, and the functions nested in any of them. The
    reference itself, a subclass, a wrapper around it or a copy of its methods runs some of
    them; an answer of the learner's own runs none (they are the checker's code)."""
    module = getattr(reference, '__module__', None)
    scope = vars(sys.modules[module]) if module in sys.modules else {}
    todo, done, codes = [reference], set(), set()
    while todo:
        obj = todo.pop()
        if obj in done:
            continue
        done.add(obj)
        if isinstance(obj, type):
            todo += [base for base in obj.__mro__[1:] if base.__module__ == module]
        pending = list(code_objects(obj))
        while pending:
            code = pending.pop()
            if code in codes:
                continue
            codes.add(code)
            if isinstance(code, types.CodeType):
                pending += [c for c in code.co_consts if isinstance(c, types.CodeType)]
                todo += [scope[name] for name in code.co_names
                         if isinstance(scope.get(name), (type, types.FunctionType))
                         and scope[name].__module__ == module]
    return codes


def forbidden_name(obj):
    """``'seglearn.arithmetic.conv_output_size'`` for a function or class."""
    return '{}.{}'.format(getattr(obj, '__module__', '?'), getattr(obj, '__qualname__', obj))


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
    return sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)
                  if re.match(r'^ch\d\d$', m.name))


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
    """The exercise for ``'round_trip_sizes'`` or ``'ch03.round_trip_sizes'``.

    Raises:
        LookupError: no such exercise (the message lists close names).
    """
    load_all()
    chapter, _dot, short = name.rpartition('.')
    ex = _REGISTRY.get(short)
    if ex is None or (chapter and ex.chapter != chapter):
        close = difflib.get_close_matches(short, list(_REGISTRY), n=3)
        raise LookupError(_('no exercise named {!r}{}. check() finds the exercise by the function '
                            'name: keep the name of the stub, or pass name=.').format(
                           name, _('; did you mean {}?').format(', '.join(close)) if close else ''))
    return ex


# --------------------------------------------------------------------------- the type policy
# One policy for every exercise, stated in chapter 00 (section 5):
# * an integer is a Python int or a NumPy integer; 4.0 is not, and neither is True;
# * a float may be any real number (int, float, NumPy number, Fraction), never a bool;
# * an array is a NumPy array, or a CuPy array or chainer.Variable holding one; float arrays
#   must be float32 (the course's dtype: Chainer's layers reject float64), integer arrays may
#   have any integer dtype (NumPy's default integer differs between Linux and Windows);
# * tuples and lists are interchangeable, an array is neither.

def to_numpy(x):
    """The NumPy array of a chainer Variable or a CuPy array; any other value unchanged (lists,
    numbers and tuples keep their type, so that a comparison can still tell them apart)."""
    if hasattr(x, 'array') and type(x).__name__ == 'Variable':
        x = x.array
    if type(x).__module__.startswith('cupy') and hasattr(x, 'get'):
        x = x.get()
    return x


def type_name(value):
    """The name of a value's type as a learner would write it (``'float'``, ``'ndarray'``)."""
    return getattr(value, 'type_name', None) or type(value).__name__


def is_real(x):
    """A real number that is not a bool (int, float, NumPy number, Fraction)."""
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, numpy.bool_))


def expect_int(value):
    """None when ``value`` is an integer under the policy, else the message."""
    if is_int(value):
        return None
    return _('expected an int, got {} {}').format(type_name(value),
                                                  format_value(value, short=True))


def expect_sequence(value, length=None):
    """None when ``value`` is a tuple or list (of ``length`` items), else the message."""
    if not isinstance(value, (tuple, list)):
        return _('expected a tuple or list, got {} {}').format(type_name(value),
                                                              format_value(value, short=True))
    if length is not None and len(value) != length:
        return _('expected {} values, got {}: {}').format(length, len(value),
                                                         format_value(value, short=True))
    return None


def expect_array(value, shape=None, expected_dtype=None):
    """None when ``value`` is an array (see :func:`to_numpy`) of ``shape`` whose dtype obeys the
    policy for ``expected_dtype`` (float32 exactly; any integer dtype for an integer), else the
    message."""
    value = to_numpy(value)
    if not isinstance(value, numpy.ndarray):
        return _('expected an array, got {}').format(type_name(value))
    if shape is not None and value.shape != tuple(shape):
        return _('expected shape {}, got shape {}').format(tuple(shape), value.shape)
    if expected_dtype is None:
        return None if value.dtype.kind in 'iuf' else _('expected numbers, got dtype {}').format(
            value.dtype)
    expected_dtype = numpy.dtype(expected_dtype)
    if expected_dtype.kind in 'iu':
        if value.dtype.kind not in 'iu':
            return _('expected an integer array, got dtype {}').format(value.dtype)
    elif expected_dtype.kind == 'b':
        if value.dtype.kind != 'b':
            return _('expected a boolean array, got dtype {}').format(value.dtype)
    elif value.dtype != expected_dtype:
        return _('expected dtype {}, got {}').format(expected_dtype, value.dtype)
    return None


def allclose(rtol=1e-5, atol=1e-6, equal_nan=True):
    """The policy's comparison with these tolerances: arrays (same shape, dtype by the policy)
    and floats within ``atol + rtol·|expected|``, ints exactly, tuples/lists and dicts item by
    item.

    Args:
        equal_nan (bool): NaN where expected is NaN counts as equal.
    """
    def compare(expected, actual):
        return _compare(expected, actual, rtol, atol, equal_nan)
    return compare


def _compare(expected, actual, rtol, atol, equal_nan):
    expected = to_numpy(expected)
    if isinstance(expected, numpy.ndarray):
        msg = expect_array(actual, expected.shape, expected.dtype)
        if msg:
            return msg
        return _compare_arrays(expected, to_numpy(actual), rtol, atol, equal_nan)
    if isinstance(expected, (bool, numpy.bool_)):
        if not isinstance(actual, (bool, numpy.bool_)):
            return _('expected True or False, got {}').format(format_value(actual, short=True))
        return None if bool(actual) == bool(expected) else _('values differ')
    if is_int(expected):
        return expect_int(actual) or (None if int(actual) == int(expected) else _('values differ'))
    if is_real(expected):
        actual = to_numpy(actual)
        if isinstance(actual, numpy.ndarray) and actual.ndim == 0 and actual.dtype.kind in 'iuf':
            actual = actual[()]
        if not is_real(actual):
            return _('expected a number, got {} {}').format(type_name(actual),
                                                            format_value(actual, short=True))
        e, a = float(expected), float(actual)
        if numpy.isnan(e) and numpy.isnan(a) and equal_nan:
            return None
        return None if abs(a - e) <= atol + rtol * abs(e) else _('values differ')
    if isinstance(expected, (tuple, list)):
        msg = expect_sequence(actual, len(expected))
        if msg:
            return msg
        for i, (e, a) in enumerate(zip(expected, actual)):
            msg = _compare(e, a, rtol, atol, equal_nan)
            if msg:
                return _('item {}: {}').format(i, msg)
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return _('expected a dict, got {}').format(type_name(actual))
        missing = [k for k in expected if k not in actual]
        if missing:
            return _('missing keys {}').format(missing)
        for k in expected:
            msg = _compare(expected[k], actual[k], rtol, atol, equal_nan)
            if msg:
                return '[{!r}]: {}'.format(k, msg)
        return None
    if type(actual) is not type(expected):
        return _('expected a {}, got {}').format(type(expected).__name__, type_name(actual))
    return None if actual == expected else _('values differ')


def _compare_arrays(expected, actual, rtol, atol, equal_nan):
    e = expected.astype(numpy.float64)
    a = actual.astype(numpy.float64)
    with numpy.errstate(invalid='ignore'):
        ok = numpy.abs(a - e) <= atol + rtol * numpy.abs(e)
    if equal_nan:
        ok |= numpy.isnan(e) & numpy.isnan(a)
    if ok.all():
        return None
    bad = numpy.argwhere(~ok)
    first = tuple(int(i) for i in bad[0])
    return _('{} of {} values differ; first at index {}: expected {:.6g}, got {:.6g}').format(
        len(bad), ok.size, first, e[first], a[first])


#: The default comparison: the policy with tolerances 1e-5 (relative) and 1e-6 (absolute).
auto_compare = allclose()

#: Exact equality under the policy (no tolerance).
equal = allclose(rtol=0, atol=0)


# --------------------------------------------------------------------------- formatting

def format_value(value, short=False):
    """A readable, bounded-length text for a value (arrays are summarised when large); never
    raises, whatever the value's ``repr`` does."""
    try:
        text = _format(to_numpy(value), short)
    except Exception as e:  # a learner's object whose repr (or shape) raises
        text = _('<{} whose repr raised {}>').format(type_name(value), describe_error(e))
    limit = 80 if short else 300
    return text if len(text) <= limit else text[:limit - 1] + '…'


def _format(value, short):
    if isinstance(value, numpy.ndarray):
        limit = 16 if short else 64
        if value.size <= limit and (value.ndim <= 2 or (value.size <= 12 and not short)):
            body = numpy.array2string(value, separator=', ', precision=4, suppress_small=True,
                                      max_line_width=WIDTH - 24)
            if short:
                body = re.sub(r'\n\s*', ' ', body)
            else:  # continuation lines under the first bracket of '    expected: array('
                indent = ' ' * (4 + _LABEL_COLUMNS + 1 + len('array('))
                body = ('\n' + indent).join(line for line in body.splitlines() if line.strip())
            return 'array({}, dtype={})'.format(body, value.dtype)
        text = 'array(shape={}, dtype={}'.format(value.shape, value.dtype)
        if value.size and value.dtype.kind in 'biuf':
            text += ', min={:.4g}, max={:.4g}'.format(float(value.min()), float(value.max()))
        return text + ')'
    if isinstance(value, (list, tuple)) and any(
            isinstance(to_numpy(v), numpy.ndarray) for v in value):
        inner = ', '.join(format_value(v, short=True) for v in value[:4])
        more = ', …' if len(value) > 4 else ''
        return ('[{}{}]' if isinstance(value, list) else '({}{})').format(inner, more)
    if isinstance(value, dict):
        inner = ', '.join('{!r}: {}'.format(k, format_value(v, short=True))
                          for k, v in value.items())
        return '{' + inner + '}'
    if isinstance(value, fractions.Fraction):
        return str(value)
    if isinstance(value, (float, numpy.floating)):
        return '{:.6g}'.format(float(value))
    return repr(value)


def describe_error(error):
    """``'ZeroDivisionError: division by zero'``, one line; never raises."""
    try:
        message = str(error)
    except Exception:
        message = ''
    text = '{}: {}'.format(type(error).__name__, message) if message else type(error).__name__
    text = text.splitlines()[0] if text else text
    return text if len(text) <= 200 else text[:199] + '…'


# --------------------------------------------------------------------------- results

class CaseResult:
    """The outcome of one case or property: ``ok``, and what to show.

    Attributes:
        section (str): ``'fixed'``, ``'random'`` or ``'property'``.
        skipped (bool): a property that could not run here (shown as ○, not a failure).
    """

    def __init__(self, label, ok, expected=None, actual=None, message='', hint=None,
                 section='fixed', any_answer=False, expected_short=None, skipped=False):
        self.label = label
        self.ok = ok
        self.expected = expected
        self.actual = actual
        self.message = message
        self.hint = hint
        self.section = section
        self.any_answer = any_answer
        self.expected_short = expected_short
        self.skipped = skipped

    def lines(self):
        mark = '○' if self.skipped else ('✔' if self.ok else '✘')
        out = ['{} {}'.format(mark, self.label)]
        if self.skipped:
            out[0] += _('  (not run: {})').format(self.message)
        elif not self.ok:
            if self.expected is not None:
                name = _('one answer:') if self.any_answer else _('expected:')
                out.append('    {} {}'.format(ljust(name, _LABEL_COLUMNS), self.expected))
            if self.actual is not None:
                out.append('    {} {}'.format(ljust(_('got:'), _LABEL_COLUMNS), self.actual))
            if self.message:
                out.append('    {}'.format(self.message))
        elif self.expected_short is not None and self.section == 'fixed':
            out[0] += '  →  {}'.format(self.expected_short)
        return out

    def summary(self):
        """``label: message`` in one line (the grader's table)."""
        return '{}: {}'.format(self.label, self.message) if self.message else self.label


class Result:
    """What :func:`~seglearn.exercises.check` found.

    Attributes:
        name (str): qualified exercise name (``'ch03.round_trip_sizes'``).
        status (str): ``'passed'``, ``'failed'``, ``'not attempted'`` (a stub: the function
            raised NotImplementedError), ``'missing'`` (the grader found no such function),
            ``'timed out'`` (a call ran past its limit and was stopped) or ``'crashed'`` (the
            answer ended the process that ran it).
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

    def first_failure(self):
        """The first failing check as one line, or the details when no check ran."""
        for c in self.cases:
            if not c.ok:
                return c.summary()
        if self.status == PASSED or not self.details:
            return ''
        return self.details.splitlines()[-1]

    def __bool__(self):
        return self.passed

    def __repr__(self):
        return '<Result {}: {} ({}/{} checks)>'.format(self.name, self.status, self.n_ok,
                                                        len(self.cases))

    def _ipython_display_(self):
        # check() has already printed the report; a notebook shows nothing more.
        pass


_SECTIONS = (('fixed', N_('fixed cases')), ('random', N_('random cases')),
             ('property', N_('properties')))


def report(ex, status, results, stopped=''):
    """The text :func:`~seglearn.exercises.check` prints: one section per kind of check
    (fixed cases, random cases, properties), failures counted per section, lines wrapped at
    :data:`WIDTH` columns."""
    lines = ['{}{}'.format(ex.qualname, ': ' + exercise_text(ex.title) if ex.title else '')]
    for section, noun in _SECTIONS:
        rows = [r for r in results if r.section == section]
        if not rows:
            continue
        bad = [r for r in rows if not r.ok]
        if section == 'random':
            lines.append(_('{} {}/{} random cases').format('✘' if bad else '✔',
                                                          len(rows) - len(bad), len(rows)))
            lines += ['  ' + row for r in bad[:_SHOWN_FAILURES] for line in r.lines()
                      for row in line.split('\n')]
        else:
            shown = 0
            for r in rows:
                if r.ok or shown < _SHOWN_FAILURES:
                    lines += r.lines()
                    shown += not r.ok
        if len(bad) > _SHOWN_FAILURES:
            lines.append(_('  … and {} more failing {}').format(len(bad) - _SHOWN_FAILURES,
                                                                 _(noun)))
    if stopped:
        lines.append(stopped)
    counted = [r for r in results if not r.skipped]
    if status == PASSED:
        lines.append(_('All {} checks passed. ✔').format(len(counted)))
    elif results:
        parts = []
        for section, noun in _SECTIONS:
            rows = [r for r in counted if r.section == section]
            if rows:
                parts.append(_('{} of {} {}').format(sum(not r.ok for r in rows), len(rows),
                                                     _(noun)))
        lines.append(_('Failed: {}.').format(_(', ').join(parts)))
        hints = []
        for r in results:
            if not r.ok and r.hint and r.hint not in hints:
                hints.append(r.hint)
        hint = exercise_text(ex.hint)
        if hint and hint not in hints:
            hints.append(hint)
        lines += [_('Hint: ') + h for h in hints[:2]]
    return wrap('\n'.join(lines))


def wrap(text, columns=WIDTH):
    """``text`` with every line wider than ``columns`` display columns wrapped, continuation
    lines indented under its text (an array's rows, already short, are left as they are)."""
    return '\n'.join(_wrap_line(line, columns) for line in text.split('\n'))


def _wrap_line(line, columns):
    if width(line) <= columns:
        return line
    indent = len(line) - len(line.lstrip(' '))
    marker = re.match(r'^ *(?:[✔✘○] |{}|  … )'.format(re.escape(_('Hint: '))), line)
    hang = ' ' * (width(marker.group(0)) if marker else indent) + '  '
    if width(line) > len(line):         # wide characters: textwrap would count them as one
        return '\n'.join(wrap_wide(line, columns, hang))
    return '\n'.join(textwrap.wrap(line, columns, subsequent_indent=hang,
                                   break_on_hyphens=False, drop_whitespace=True))
