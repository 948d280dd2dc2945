"""Execute the chapter notebooks headless and print a table of chapter, seconds, result.

    python -m seglearn.course.run_chapters chapters build/chapters [--timeout 600] [--only 03]
        [--device @cupy:0 | fake] [--jobs 2 | auto]

Each notebook runs in a fresh kernel of *this* interpreter (so the project's environment is
used whatever kernels are installed elsewhere), with the chapters folder as working directory.
Executed copies are written to the output folder. The exit status is non-zero if any chapter
fails; a failure names the cell (its index among all cells, and its id) and the line.
``--device`` runs the chapters on another device: the chapter's own ``DEVICE = ...`` line is
replaced by one setting it (``fake``: :mod:`seglearn.course.fake_device`), so cells and line
numbers stay as they are.

``--jobs N`` runs N chapters side by side (``auto``: one per core), each kernel on
``cores // N`` OpenMP threads (``OMP_NUM_THREADS``, which oneDNN and OpenBLAS read, unless it is
set already), the chapters that train first, longest first (:data:`HEAVY_MINUTES`). On a 2-core
VM the thirteen chapters took 18 minutes this way and 33 one at a time on two threads
(benchmarks/RESULTS.md, "make chapters side by side"); the numbers a chapter prints are then
those of one thread, as in ``make test``. The table keeps the chapters' order.
``tests/test_chapters.py`` calls :func:`execute_notebook` too.
"""
import argparse
import concurrent.futures
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from seglearn.config import cpu_cores

CELL_TIMEOUT = 600
BUDGET_SECONDS = 180
#: dict: minutes the chapters that train took in ``make test`` on 2 cores (benchmarks/RESULTS.md,
#: "Chapters on an AVX2-only machine"): side by side they start first, longest first (the tests'
#: ``heavy`` marks come from here too).
HEAVY_MINUTES = {'07': 19, '12': 9, '11': 8, '06': 4, '09': 2}


class _ThisInterpreterKernels(KernelSpecManager):
    """Resolves ``python3`` to an ipykernel running on ``sys.executable``."""

    def get_kernel_spec(self, kernel_name):
        if kernel_name == 'python3':
            return KernelSpec(argv=[sys.executable, '-m', 'ipykernel_launcher', '-f',
                                    '{connection_file}'],
                              display_name='Python 3', language='python', resource_dir='')
        return super().get_kernel_spec(kernel_name)


DEVICE_LINE = re.compile(r'^DEVICE\s*=.*$', re.M)


def device_line(device):
    """The line that sets ``DEVICE`` for ``--device``."""
    if device == 'fake':
        return ('from seglearn.course.fake_device import install; DEVICE = install()'
                '  # run_chapters --device fake')
    return 'DEVICE = {!r}  # run_chapters --device'.format(device)


def override_device(nb, device):
    """Replace the first ``DEVICE = ...`` line of the notebook's code; returns its cell's index.

    Raises:
        ValueError: no code cell sets ``DEVICE``.
    """
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == 'code' and DEVICE_LINE.search(cell.source):
            cell.source = DEVICE_LINE.sub(lambda _: device_line(device), cell.source, count=1)
            return i
    raise ValueError('no code cell sets DEVICE')


def _failed_cell(nb):
    """(index, id, line) of the cell whose output is an error."""
    for i, cell in enumerate(nb.cells):
        for output in cell.get('outputs', []):
            if output.get('output_type') == 'error':
                lines = re.findall(r'Cell In\[\d+\], line (\d+)',
                                   re.sub(r'\x1b\[[0-9;]*m', '', '\n'.join(output['traceback'])))
                return i, cell.get('id'), int(lines[-1]) if lines else None
    return None


def _error_summary(error, nb=None):
    if isinstance(error, CellExecutionError):
        name = getattr(error, 'ename', '') or 'CellExecutionError'
        value = getattr(error, 'evalue', '') or ''
        text = '{}: {}'.format(name, value)[:300]
        where = _failed_cell(nb) if nb is not None else None
        if where is not None:
            index, cell_id, line = where
            text = 'cell {}{}, line {}: {}'.format(
                index, ' (id {})'.format(cell_id) if cell_id else '', line, text)
        return text
    return '{}: {}'.format(type(error).__name__, error)[:300]


def execute_notebook(path, out_path=None, timeout=CELL_TIMEOUT, device=None, env=None):
    """Run a notebook top to bottom in a fresh kernel.

    Args:
        path: the ``.ipynb`` file; its folder is the working directory.
        out_path: where to write the executed copy (None: not written).
        timeout (int): seconds allowed per cell.
        device (str or None): run with ``DEVICE`` set to this (``'fake'``: the fake device);
            None = the chapter's own.
        env (dict or None): the kernel's environment (None: this process's).

    Returns:
        (float, str or None): seconds taken and an error summary (None when every cell ran).
        The kernel has been shut down, whether the cells ran or failed.
    """
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    if device is not None:
        override_device(nb, device)
    km = KernelManager(kernel_name='python3', kernel_spec_manager=_ThisInterpreterKernels())
    client = NotebookClient(nb, km=km, timeout=timeout, kernel_name='python3',
                            resources={'metadata': {'path': str(path.parent.resolve())}})
    start = time.perf_counter()
    error = None
    try:
        # a client given its km would leave the kernel running without cleanup_kc
        client.execute(cleanup_kc=True, **({} if env is None else {'env': env}))
    except (CellExecutionError, CellTimeoutError, RuntimeError) as e:  # RuntimeError: dead kernel
        error = _error_summary(e, nb)
    seconds = time.perf_counter() - start
    if out_path is not None:
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(out_path))
    return seconds, error


def chapter_paths(src_dir, only=None):
    """The ``NN_*.ipynb`` notebooks of ``src_dir`` in order (``only``: list of 'NN' prefixes)."""
    paths = sorted(Path(src_dir).glob('[0-9][0-9]_*.ipynb'))
    if only:
        paths = [p for p in paths if p.name[:2] in only]
    return paths


def longest_first(paths):
    """``paths`` with the chapters of :data:`HEAVY_MINUTES` first, longest first; the others
    after them in their order."""
    return sorted(paths, key=lambda p: -HEAVY_MINUTES.get(Path(p).name[:2], 0))


def kernel_env(jobs):
    """The environment of each kernel when ``jobs`` chapters run side by side: None for one at a
    time, else this one with ``OMP_NUM_THREADS = max(1, cpu_cores() // jobs)`` unless it is set."""
    if jobs == 1 or 'OMP_NUM_THREADS' in os.environ:
        return None
    return dict(os.environ, OMP_NUM_THREADS=str(max(1, cpu_cores() // jobs)))


def format_rows(rows, budget=BUDGET_SECONDS, wall=None):
    """Table text for rows of (name, seconds, error); ``wall``: the seconds the whole run took,
    when chapters ran side by side."""
    width = max([len('chapter')] + [len(name) for name, _, _ in rows])
    out = ['{:<{w}}  {:>8}  {}'.format('chapter', 'seconds', 'result', w=width),
           '{}  {}  {}'.format('-' * width, '-' * 8, '-' * 6)]
    for name, seconds, error in rows:
        result = 'pass' if error is None else 'FAIL  ' + error
        if error is None and seconds > budget:
            result += '  (over the {} s budget)'.format(budget)
        out.append('{:<{w}}  {:>8.1f}  {}'.format(name, seconds, result, w=width))
    total = sum(s for _, s, _ in rows)
    n_fail = sum(e is not None for _, _, e in rows)
    out.append('{} chapters, {:.0f} s in all{}, {} failed'.format(
        len(rows), total, '' if wall is None else ' ({:.0f} s of wall-clock time)'.format(wall),
        n_fail))
    return '\n'.join(out)


def run_chapters(src_dir, out_dir, timeout=CELL_TIMEOUT, only=None, verbose=True, device=None,
                 jobs=1):
    """Execute every chapter of ``src_dir``, writing executed copies to ``out_dir``
    (``device``: see :func:`execute_notebook`).

    Args:
        jobs (int): chapters run side by side (1: one after the other, in order; more:
            :func:`longest_first`, kernels in :func:`kernel_env`).
        verbose (bool): print a line as each chapter starts and as it ends.

    Returns:
        list[(str, float, str or None)]: chapter file name, seconds, error summary, in the
        chapters' order.
    """
    paths = chapter_paths(src_dir, only)
    env = kernel_env(jobs)
    if verbose:
        print('{} chapters, {} at a time, OpenMP threads: {}'.format(
            len(paths), jobs, (env or os.environ).get('OMP_NUM_THREADS', 'the default')),
            flush=True)

    def run(path):
        if verbose:
            print('running {} …'.format(path.name), flush=True)
        return execute_notebook(path, Path(out_dir) / path.name, timeout, device, env)

    results = {}
    # threads: each chapter runs in a kernel process of its own, started and awaited from a
    # thread here (nbclient runs an event loop per thread); a queued chapter can be cancelled
    pool = concurrent.futures.ThreadPoolExecutor(jobs)
    try:
        futures = {pool.submit(run, path): path.name
                   for path in (paths if jobs == 1 else longest_first(paths))}
        for future in concurrent.futures.as_completed(futures):
            name = futures[future]
            results[name] = future.result()
            if verbose:
                seconds, error = results[name]
                print('{} {} in {:.0f} s ({} of {})'.format(
                    name, 'passed' if error is None else 'FAILED', seconds, len(results),
                    len(paths)), flush=True)
    finally:  # on Ctrl-C (which interrupts the kernels too) or an error, no chapter starts
        pool.shutdown(cancel_futures=True)
    return [(path.name,) + results[path.name] for path in paths]


def jobs_arg(text):
    """``--jobs``: a number >= 1, or ``auto`` (one per core)."""
    if text == 'auto':
        return cpu_cores()
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError('expected a number >= 1 or auto, got {!r}'.format(text))
    return jobs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='folder of NN_name.ipynb notebooks')
    parser.add_argument('out', help='folder for the executed copies')
    parser.add_argument('--timeout', type=int, default=CELL_TIMEOUT, help='seconds per cell')
    parser.add_argument('--only', nargs='*', help='chapter numbers to run, e.g. 03 04')
    parser.add_argument('--device', help="set every chapter's DEVICE to this, e.g. @cupy:0, or "
                        '"fake" (CPU arrays held to the GPU rules)')
    parser.add_argument('--jobs', type=jobs_arg, default=1,
                        help='chapters run side by side, each on cores/jobs threads (a number, '
                        'or auto: one per core; default 1)')
    args = parser.parse_args(argv)
    start = time.perf_counter()
    rows = run_chapters(args.src, args.out, timeout=args.timeout, only=args.only,
                        device=args.device, jobs=args.jobs)
    if not rows:
        print('no NN_name.ipynb notebooks in {}'.format(args.src))
        return 1
    print(format_rows(rows, wall=time.perf_counter() - start if args.jobs > 1 else None))
    return 1 if any(e is not None for _, _, e in rows) else 0


if __name__ == '__main__':
    sys.exit(main())
