"""Grade the exercise cells of chapter notebooks: ``make check``, i.e.
``python -m seglearn.course.grader chapters``.

Each chapter is graded in a fresh child process (``multiprocessing``'s ``forkserver`` on POSIX,
``spawn`` on Windows, never a fork of this process): the child runs the chapter's cells tagged
``exercise``, in order, in one fresh namespace
(:func:`seglearn.exercises.core.exercise_namespace`), and then runs the calls the judge asks for
(:mod:`seglearn.exercises.sandbox`). This process never runs a learner's code: it reads the
notebooks as JSON, computes the references' answers and judges what the child sends back, so a
cell that patches NumPy or the checker changes nothing outside its own chapter's child.

A cell or a call that runs past its limit, calls ``os._exit()``, aborts, crashes, raises
``KeyboardInterrupt`` or writes into the pipe to the grader (a reply must arrive in full within
the limit) ends at most that child: the exercise is "timed out" or "crashed" (a cell
that does it is skipped), a new child runs the chapter's other cells again for the exercises
left, and the other chapters are graded as usual. The table and the exit status (1 when an
exercise failed, timed out or crashed) come from the results, never from a child's exit code.
"""
import argparse
import multiprocessing
import re
import sys
from pathlib import Path

import nbformat

from seglearn.exercises import sandbox
from seglearn.exercises.core import (
    CRASHED, FAILED, MISSING, NOT_ATTEMPTED, PASSED, TIMED_OUT, CaseResult, Result,
    all_exercises, chapter_modules,
)
from seglearn.exercises.judge import judge
from seglearn.messages import gettext as _
from seglearn.messages.width import ljust, truncate, width

EXERCISE_TAG = 'exercise'
_CELL_TIMEOUT = 30.0
_REPLY_TIMEOUT = 30.0     # for the child's own bookkeeping (which names are defined)
_FIRST_FAILURE_WIDTH = 70


def chapter_of(path):
    """``'ch03'`` for ``chapters/03_transposed_convolution.ipynb``; None for other names."""
    m = re.match(r'^(\d\d)_', Path(path).name)
    return 'ch' + m.group(1) if m else None


def exercise_cells(notebook):
    """Sources of the code cells tagged ``exercise``, in order.

    Args:
        notebook: a path or an ``nbformat.NotebookNode``.
    """
    if not isinstance(notebook, nbformat.NotebookNode):
        notebook = nbformat.read(str(notebook), as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == 'code'
            and EXERCISE_TAG in cell.get('metadata', {}).get('tags', [])]


def without_magics(source):
    """IPython-only lines (``%timeit …``, ``!ls``) become ``pass``: the grader runs plain Python."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(('%', '!')):
            line = line[:len(line) - len(stripped)] + 'pass'
        lines.append(line)
    return '\n'.join(lines)


def _context():
    """Children that start from a pristine process: a fork server that has imported the
    exercise specs (fast) where there is one, else a fresh interpreter."""
    if 'forkserver' in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context('forkserver')
        context.set_forkserver_preload(['seglearn.exercises.sandbox'] + [
            'seglearn.exercises.' + name for name in chapter_modules()])
        return context
    return multiprocessing.get_context('spawn')


class _Chapter:
    """The exercise cells of one chapter, run in a child process (started again when needed).

    Attributes:
        errors (dict): cell index → the error it raised (a syntax error with its line number).
        skipped (set): cells that timed out or crashed their child; later children skip them.
    """

    def __init__(self, chapter, sources):
        self.chapter = chapter
        self.sources = [without_magics(s) for s in sources]
        self.exercises = all_exercises(chapter)
        self.errors, self.skipped = {}, set()
        self.child, self.defined = None, set()

    def start(self):
        """A new child that has run every cell (but the skipped ones)."""
        while True:
            self.close()
            self.child = sandbox.Child(_context(), sandbox.serve_chapter, (self.chapter,))
            for i, source in enumerate(self.sources):
                if i in self.skipped:
                    continue
                reply = self.child.request({'op': 'exec', 'cell': i + 1, 'source': source},
                                           _CELL_TIMEOUT)
                if reply['kind'] == 'error':
                    error = reply['error']
                    self.errors[i] = error['text'] + (' (line {})'.format(error['line'])
                                                      if error.get('line') else '')
                elif reply['kind'] != 'done':
                    self.errors[i] = reply.get('message', reply['kind'])
                    self.skipped.add(i)
                    break
            else:
                reply = self.child.request({'op': 'defined',
                                            'names': [ex.name for ex in self.exercises]},
                                           _REPLY_TIMEOUT)
                self.defined = set(reply.get('names', ()))
                return

    def cell_error(self, ex):
        """The error of the cell that defines ``ex`` (found by its ``def``/``class`` line, else
        by position when there is one cell per exercise), or None."""
        for i, source in enumerate(self.sources):
            if i in self.errors and re.search(r'^(def|class)\s+{}\b'.format(ex.name), source,
                                             re.M):
                return 'its cell {}: {}'.format(i + 1, self.errors[i])
        names = [e.name for e in self.exercises]
        i = names.index(ex.name)
        if len(self.sources) == len(names) and i in self.errors and not re.search(
                r'^(def|class)\s+\w+', self.sources[i], re.M):
            return 'its cell {}: {}'.format(i + 1, self.errors[i])
        return None

    def grade(self, seed):
        results = []
        for ex in self.exercises:
            error = self.cell_error(ex)
            if ex.name not in self.defined:
                results.append(_undefined(ex, error))
                continue
            answer = sandbox.Answer(ex, ex.name, child=self.child, gpu_in_child=True)
            result = judge(ex, answer, seed)
            if error:
                result.details += '\nNote: ' + error
            results.append(result)
            if result.status in (TIMED_OUT, CRASHED):
                self.start()
        return results

    def close(self):
        if self.child is not None:
            self.child.close()
            self.child = None


def _undefined(ex, error):
    if error is None:
        return Result(ex.qualname, MISSING, [],
                      _('no exercise cell defines {}()').format(ex.name))
    case = CaseResult(_('{}\'s exercise cell').format(ex.name), False, message=error)
    return Result(ex.qualname, FAILED, [case], '{}: {}'.format(ex.qualname, error))


def grade_notebook(path, chapter=None, seed=0):
    """Grade every exercise of the notebook's chapter, in a child process of its own.

    Args:
        path: the notebook (``NN_name.ipynb``); a missing file grades every exercise "missing".
        chapter (str): override the chapter found from the file name.
        seed (int): seed of the random cases.

    Returns:
        list[Result]: one per registered exercise of the chapter, in order.
    """
    chapter = chapter or chapter_of(path)
    if chapter is None:
        raise ValueError('path must be named like 03_name.ipynb (or pass chapter=); got {}'
                         .format(path))
    exercises = all_exercises(chapter)
    path = Path(path)
    if not path.exists():
        return [Result(ex.qualname, MISSING, [], _('no notebook {}').format(path))
                for ex in exercises]
    run = _Chapter(chapter, exercise_cells(path))
    try:
        run.start()
        return run.grade(seed)
    except Exception as e:   # the grader itself failed for this chapter: say so, go on
        message = _('grading {} failed: {}: {}').format(path.name, type(e).__name__, e)
        return [Result(ex.qualname, CRASHED, [CaseResult('grading', False, message=message)],
                       message) for ex in exercises]
    finally:
        run.close()


def grade_directory(directory, seed=0):
    """Grade the notebooks of every chapter that has exercises.

    Returns:
        list[Result]: by chapter, then exercise order. A chapter without a notebook in
        ``directory`` gives "missing" results.
    """
    directory = Path(directory)
    chapters = sorted({ex.chapter for ex in all_exercises()})
    found = {chapter_of(p): p for p in directory.glob('[0-9][0-9]_*.ipynb')}
    results = []
    for chapter in chapters:
        path = found.get(chapter, directory / '{}_missing.ipynb'.format(chapter[2:]))
        results += grade_notebook(path, chapter=chapter, seed=seed)
    return results


def _first_failure(result):
    if result.status in (PASSED, NOT_ATTEMPTED):
        return ''
    return truncate(' '.join(result.first_failure().split()), _FIRST_FAILURE_WIDTH)


def format_table(results):
    """The table ``make check`` prints: chapter | exercise | status | first failing case,
    columns padded by display width (Japanese characters take two)."""
    rows = [(r.name.partition('.')[0], r.name.partition('.')[2], _(r.status),
             _first_failure(r)) for r in results]
    head = (_('chapter'), _('exercise'), _('status'), _('first failing case'))
    widths = [max(width(x) for x in col) for col in zip(head, *rows)]

    def line(cells):
        return '  '.join(ljust(cell, w) for cell, w in zip(cells, widths)).rstrip()
    return '\n'.join([line(head), line('-' * w for w in widths)] + [line(row) for row in rows])


def summary_line(results):
    """``'37 exercises: 2 passed, 1 failed, 34 not attempted'``."""
    order = (PASSED, FAILED, TIMED_OUT, CRASHED, NOT_ATTEMPTED, MISSING)
    counts = [(status, sum(r.status == status for r in results)) for status in order]
    return _('{n} exercises: {counts}').format(n=len(results), counts=_(', ').join(
        _('{n} {status}').format(n=n, status=_(status))
        for status, n in counts if n))


def exit_status(results):
    """1 when an exercise failed, timed out or crashed; else 0 (not attempted is fine)."""
    return int(any(r.status in (FAILED, TIMED_OUT, CRASHED) for r in results))


def main(argv=None):
    """``make check``: grade ``directory`` (default ``chapters``), print the table and one line,
    return the exit status."""
    parser = argparse.ArgumentParser(prog='python -m seglearn.course.grader',
                                     description='Grade the exercise cells of the chapters.')
    parser.add_argument('directory', nargs='?', default='chapters')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random cases')
    args = parser.parse_args(argv)
    results = grade_directory(args.directory, seed=args.seed)
    print(format_table(results))
    print(summary_line(results))
    return exit_status(results)


if __name__ == '__main__':
    sys.exit(main())
