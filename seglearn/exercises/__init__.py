"""Exercises: ``check(fn)`` for learners, and one module of exercise specs per chapter.

For learners
------------
In a chapter, write the function in the cell tagged ``exercise`` and run ``check(fn)`` below it::

    from seglearn import check
    check(round_trip_sizes)

It prints ✔/✘ per case (the call, the expected and the actual value) in three sections — fixed
cases, random cases, properties — with the failures counted per section and a hint, and returns a
:class:`Result` (``.passed``, ``.status``). Your exceptions, ``sys.exit()``, endless loops (a time
limit per call) and wrong types or shapes are reported as ✘, never raised. A stub that still
raises ``NotImplementedError`` is "not attempted". ``make check`` grades every exercise cell of the
notebooks in ``chapters/`` and prints a table (chapter | exercise | status | first failing case);
the grader is course tooling, :mod:`seglearn.course.grader`. Where each answer runs, and what that
guarantees, is in :mod:`seglearn.exercises.sandbox` (and the README).

One type policy holds for every exercise (chapter 00 states it): an integer is an ``int`` or a
NumPy integer (not ``4.0``, not ``True``); float arrays are float32, integer arrays any integer
dtype; tuples and lists are interchangeable (:func:`seglearn.exercises.core.allclose`).

For chapter authors
-------------------
Each chapter has a module ``seglearn/exercises/chNN.py`` that registers its exercises::

    from seglearn import arithmetic
    from seglearn.exercises.core import Case, Exercise, Property, register

    STUB = '''
    def deconv_output_size(size, ksize, stride=1, pad=0):
        \"\"\"Output size of a transposed convolution (one spatial axis).\"\"\"
        raise NotImplementedError
    '''

    def _random(rng):                     # rng: numpy.random.RandomState(seed)
        return [(int(rng.randint(1, 40)), int(rng.randint(1, 9))) for _ in range(20)]

    register(Exercise(
        name='deconv_output_size',        # the function name; unique over the course
        chapter='ch03',
        title='output size of a transposed convolution',
        reference=lambda n, k, s=1, p=0: arithmetic.deconv_output_size(n, k, s, p),
        stub=STUB,                        # the committed exercise cell, character for character
        cases=[(7, 64, 32, 16), Case(1, 4, stride=2, pad=1)],
        random_cases=_random,
        properties=[Property('conv undoes it', lambda fn: None if ... else 'message')],
        hint='Zero insertion turns n inputs into s(n-1)+1 values; what does the conv add?',
        mistakes=[(lambda n, k, s=1, p=0: s * n + k - 2 * p, 'n inputs have n-1 gaps')],
        forbidden=[arithmetic.deconv_output_size],   # calling it would be the whole answer
    ))

- ``cases``: :class:`Case` objects (``Case(*args, _label=..., _hint=..., **kwargs)``), tuples of
  positional arguments, or dicts of keyword arguments. Arguments are deep-copied per call and
  must be picklable (they are sent to the process that runs the answer).
- The expected value is always ``reference(*args)``, computed in the checker's process;
  ``compare(expected, actual)`` returns None when the answer is right, else a message. The
  default :func:`auto_compare` is the type policy with tolerances; use ``allclose(rtol, atol)``
  for other tolerances, or your own function built on :func:`~seglearn.exercises.core.expect_int`,
  :func:`~seglearn.exercises.core.expect_array` and
  :func:`~seglearn.exercises.core.expect_sequence` (so that the policy stays the same). When
  several answers are right (tie-breaks, a choice of parameters), pass ``compare_inputs=True``:
  the comparison is then called as ``compare(expected, actual, *args, **kwargs)`` and can judge
  the answer against the input (the expected value is shown as "one answer").
- ``properties``: :class:`Property` (description, ``test(fn) -> None | message``, hint). The
  test runs in the checker's process; each call of ``fn`` runs the answer where it can be
  stopped. An error raised by the test's own code is reported as a checker error.
- ``probe``: for answers that are classes or losses (see :mod:`seglearn.exercises.probes`).
- ``forbidden``: package functions/classes the answer must not call (the reference may).
- ``mistakes``: (wrong_function, hint) pairs; a failing answer that matches one gets its hint.
  Tests also assert that each of them fails.
- ``timeout``: seconds per call (default 5); after a time-out the remaining cases are skipped.
- Exercise cells run alone in a fresh namespace (the grader does not run the rest of the
  notebook) that already holds ``seglearn, numpy, np, chainer, F, L, math``; import anything else
  inside the cell. IPython magic lines (``%…``, ``!…``) are skipped there.
- Notebook cells: the exercise cell has the tag ``exercise`` and holds exactly ``STUB``; the cell
  below runs ``check(<name>)``. ``tests/test_answers.py`` checks all of this for every chapter.
"""
from seglearn.exercises.core import (  # noqa: F401
    CRASHED, FAILED, MISSING, NOT_ATTEMPTED, PASSED, TIMED_OUT, Case, Exercise, Property, Result,
    Skip, all_exercises, allclose, auto_compare, equal, get_exercise, register,
)
from seglearn.exercises.judge import check, grade  # noqa: F401
from seglearn.exercises.sandbox import call_with_timeout  # noqa: F401

__all__ = ['check', 'Case', 'Exercise', 'Property', 'Result', 'Skip', 'register',
           'all_exercises', 'get_exercise', 'grade', 'allclose', 'equal', 'auto_compare',
           'call_with_timeout', 'PASSED', 'FAILED', 'NOT_ATTEMPTED', 'MISSING', 'TIMED_OUT',
           'CRASHED']
