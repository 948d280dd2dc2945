"""Grade the exercise cells of chapter notebooks.

The grader runs only the cells tagged ``exercise`` of a notebook, in order, in one fresh namespace
(:func:`seglearn.exercises.core.exercise_namespace`), then runs :func:`~seglearn.exercises.check`
silently on every function that the chapter's exercises name.
"""
import contextlib
import io
import re
from pathlib import Path

import nbformat

from seglearn.exercises.core import (
    MISSING, Result, Timeout, all_exercises, call_with_timeout,
    describe_error, exercise_namespace, grade,
)

EXERCISE_TAG = 'exercise'
_CELL_TIMEOUT = 30.0


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
    return [cell.source for cell in notebook.cells
            if cell.cell_type == 'code' and EXERCISE_TAG in cell.get('metadata', {}).get('tags', [])]


def _without_magics(source):
    """IPython-only lines (``%timeit …``, ``!ls``) become ``pass``: the grader runs plain Python."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(('%', '!')):
            line = line[:len(line) - len(stripped)] + 'pass'
        lines.append(line)
    return '\n'.join(lines)


def run_cells(sources, timeout=_CELL_TIMEOUT):
    """Execute cell sources in one fresh namespace (output swallowed).

    Returns:
        (dict, list[str]): the namespace and one error line per cell that raised.
    """
    namespace = exercise_namespace()
    errors = []
    for i, source in enumerate(sources):
        try:
            code = compile(_without_magics(source), '<exercise cell {}>'.format(i + 1), 'exec')
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                call_with_timeout(exec, (code, namespace), {}, timeout)
        except (Exception, Timeout) as e:
            errors.append('exercise cell {} raised {}'.format(i + 1, describe_error(e)))
    return namespace, errors


def grade_notebook(path, chapter=None, seed=0):
    """Grade every exercise of the notebook's chapter.

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
        return [Result(ex.qualname, MISSING, [], 'no notebook {}'.format(path)) for ex in exercises]
    namespace, errors = run_cells(exercise_cells(path))
    results = []
    for ex in exercises:
        fn = namespace.get(ex.name)
        if not callable(fn):
            why = 'no exercise cell defines {}()'.format(ex.name)
            if errors:
                why += ' ({})'.format('; '.join(errors))
            results.append(Result(ex.qualname, MISSING, [], why))
            continue
        with contextlib.redirect_stdout(io.StringIO()):
            result = grade(ex, fn, seed=seed)
        if errors and not result.passed:
            result.details += '\n' + '; '.join(errors)
        results.append(result)
    return results


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


def format_table(results):
    """A text table: chapter | exercise | status, and a count per status."""
    rows = [(r.name.partition('.')[0], r.name.partition('.')[2], r.status) for r in results]
    head = ('chapter', 'exercise', 'status')
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = '  '.join('{:<%d}' % w for w in widths)
    out = [line.format(*head), line.format(*('-' * w for w in widths))]
    out += [line.format(*row) for row in rows]
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    out.append(', '.join('{} {}'.format(n, s) for s, n in sorted(counts.items())))
    return '\n'.join(out)

