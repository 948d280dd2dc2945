"""The CuPy surface: every CuPy name that Chainer 7.8.1 and seglearn use, and whether it resolves.

    python tools/cupy_surface.py scan             # list the names found in the sources
    python tools/cupy_surface.py scan --write     # rewrite tools/cupy_surface.txt (the audit)
    python tools/cupy_surface.py check            # import CuPy and resolve every listed name

``scan`` reads, without importing them, the Python sources of the installed ``chainer`` package
(``chainer/testing`` and the other top-level packages of the distribution left out), of
``seglearn`` and ``benchmarks``, and the code cells of ``chapters/*.ipynb``. It follows
how a CuPy object reaches a name: ``import cupy``, ``from cupy.cuda import cublas``, Chainer's
re-exports (``chainer.backends.cuda.cupy``, ``.cuda``, ``.cudnn``, ``.libcudnn``, …, the table in
that module's docstring) and plain assignments such as ``xp = cuda.cupy`` or
``libcudnn = cuda.cuda.cudnn``, in the scope where they happen. A name reached through
``get_array_module(x)`` is NumPy's API on CuPy arrays and is not listed (the GPU tests run it).
Kernel source strings (``ElementwiseKernel`` bodies) are compiled on a GPU only.

A name used only inside ``try: … except (ImportError | AttributeError | Exception)`` is marked
*guarded* (for the reader: in ``chainer/backends/cuda.py`` such a miss still turns the whole GPU
backend off, so guarded names are checked like the others).

``check`` imports each name (attribute by attribute, importing submodules that are not
attributes yet) in the CuPy installed beside this Python and prints one line per name; its exit
status is 1 when a name is missing, unless it lies under an optional library's binding that is
absent as a whole (:data:`OPTIONAL`) or another spelling of it resolves (:data:`ALTERNATIVES`).
``tests/test_cupy_surface.py`` runs both on the CPU; ``make gpu-compat`` runs ``check`` against
the CuPy versions the README names.
"""
import argparse
import ast
import importlib
import json
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIST = Path(__file__).with_suffix('.txt')
CUPY_ROOTS = ('cupy', 'cupyx', 'cupy_backends')
CHAINER_CUDA = 'chainer.backends.cuda'
# What chainer.backends.cuda re-exports from CuPy (its docstring's table, plus the cuDNN and
# cuBLAS modules it binds after importing CuPy).
REEXPORTS = {
    'cupy': 'cupy', 'cupyx': 'cupyx', 'cuda': 'cupy.cuda', 'cublas': 'cupy.cuda.cublas',
    'ndarray': 'cupy.ndarray', 'Device': 'cupy.cuda.Device', 'Event': 'cupy.cuda.Event',
    'Stream': 'cupy.cuda.Stream', 'cudnn': 'cupy.cudnn', 'libcudnn': 'cupy.cuda.cudnn',
}
GUARDING = {'ImportError', 'ModuleNotFoundError', 'AttributeError', 'Exception', None}

# Optional CUDA libraries: when the binding module itself does not import (the library is not
# installed, or this CuPy has no binding for it), Chainer switches the feature off and never
# reaches the names under it, so their absence is no failure. A binding that imports but lacks a
# name Chainer uses is one.
OPTIONAL = {
    'cupy.cudnn': "cuDNN: Chainer sets cudnn_enabled = False and convolutions, pooling, batch "
                  "normalization and softmax run on its own CUDA kernels, im2col + cuBLAS",
    'cupy.cuda.cudnn': 'the same cuDNN binding, at its low-level name',
    'cupy.cuda.nccl': "NCCL: only Chainer's multi-GPU MultiprocessParallelUpdater uses it",
}
# Names that moved: a missing name is no failure when its other spelling resolves.
ALTERNATIVES = {
    'cupy.util.PerformanceWarning': 'cupy._util.PerformanceWarning',  # renamed in CuPy 8
    'cupy._util.PerformanceWarning': 'cupy.util.PerformanceWarning',
}


def _is_cupy(path):
    return path is not None and path.split('.')[0] in CUPY_ROOTS


def _normalise(path):
    """Map Chainer paths that stand for CuPy objects to the CuPy path; keep other chainer paths
    that can still lead to one; anything else is None."""
    if path is None:
        return None
    if path == 'chainer.cuda' or path.startswith('chainer.cuda.'):
        path = CHAINER_CUDA + path[len('chainer.cuda'):]
    if path.startswith(CHAINER_CUDA + '.'):
        head, _, rest = path[len(CHAINER_CUDA) + 1:].partition('.')
        if head not in REEXPORTS:
            return None
        return REEXPORTS[head] + ('.' + rest if rest else '')
    if _is_cupy(path) or path in ('chainer', 'chainer.backends', CHAINER_CUDA):
        return path
    return None


def _dotted(node, env):
    """The CuPy (or CuPy-leading chainer) path an expression stands for, or None."""
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, env)
        return None if base is None else _normalise(base + '.' + node.attr)
    return None


def _absolute(module, level, package):
    if not level:
        return module
    parts = package.split('.')[:len(package.split('.')) - level + 1]
    return '.'.join(parts + ([module] if module else []))


class _Scanner(ast.NodeVisitor):
    """Collects ``(name, line, guarded)`` uses of CuPy names in one module."""

    def __init__(self, package):
        self.package = package
        self.env = {}
        self.uses = []
        self.guards = 0
        self.handlers = 0

    def _record(self, path, node):
        if _is_cupy(path):
            self.uses.append((path, node.lineno, self.guards > 0))

    def _bind(self, name, path):
        path = _normalise(path)
        if path is None:
            if not self.handlers:  # a fallback (``cupy = object()``) keeps the CuPy binding
                self.env.pop(name, None)
        else:
            self.env[name] = path

    def visit_Import(self, node):
        for alias in node.names:
            self._record(alias.name, node)
            if alias.asname:
                self._bind(alias.asname, alias.name)
            else:
                top = alias.name.split('.')[0]
                self._bind(top, top)

    def visit_ImportFrom(self, node):
        module = _absolute(node.module, node.level, self.package)
        for alias in node.names:
            path = _normalise('{}.{}'.format(module, alias.name))
            self._record(path, node)
            self._bind(alias.asname or alias.name, path)

    def visit_Assign(self, node):
        self.visit(node.value)
        path = _dotted(node.value, self.env)
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._bind(target.id, path)
            else:
                self.visit(target)

    def visit_Attribute(self, node):
        path = _dotted(node, self.env)
        if _is_cupy(path):
            self._record(path, node)
        else:
            self.generic_visit(node)

    def visit_Try(self, node):
        guarded = any(self._catches(h) for h in node.handlers)
        self.guards += guarded
        for stmt in node.body:
            self.visit(stmt)
        self.guards -= guarded
        self.handlers += 1
        for stmt in node.handlers:
            self.visit(stmt)
        self.handlers -= 1
        for stmt in node.orelse + node.finalbody:
            self.visit(stmt)

    @staticmethod
    def _catches(handler):
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        return any((k.id if isinstance(k, ast.Name) else None if k is None else '') in GUARDING
                   for k in kinds)

    def _scoped(self, node):
        saved = dict(self.env)
        self.generic_visit(node)
        self.env = saved

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = _scoped


def _module_env(tree, package):
    """Bindings made at module level (imports and assignments, inside if/try too), which every
    function of the module sees whatever its position."""
    scanner = _Scanner(package)
    for stmt in tree.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scanner.visit(stmt)
    return scanner.env


def scan_source(source, package='', where='<source>'):
    """CuPy names used in one piece of Python source.

    Args:
        source (str): Python code.
        package (str): the package the module belongs to (for relative imports).
        where (str): a label for the locations, e.g. the file path.

    Returns:
        list of (str, str, bool): (name, 'where:line', guarded) for each use, in source order.
    """
    tree = ast.parse(source)
    scanner = _Scanner(package)
    scanner.env = _module_env(tree, package)
    scanner.visit(tree)
    return [(name, '{}:{}'.format(where, line), guarded) for name, line, guarded in scanner.uses]


def _notebook_source(path):
    """The code cells of a notebook as one module (IPython magics and shell lines blanked)."""
    cells = json.loads(Path(path).read_text())['cells']
    lines = []
    for cell in cells:
        if cell['cell_type'] == 'code':
            text = ''.join(cell['source'])
            lines += ['' if line.lstrip().startswith(('%', '!')) else line
                      for line in text.splitlines()] + ['']
    return '\n'.join(lines)


def sources(root=ROOT):
    """(label, package, source text) of every file the audit reads."""
    import chainer
    site = Path(chainer.__file__).resolve().parent.parent
    out = []
    for path in sorted((site / 'chainer').rglob('*.py')):
        rel = path.relative_to(site)
        if rel.parts[1] == 'testing':
            continue
        out.append((str(rel), '.'.join(rel.parts[:-1]), path.read_text()))
    for folder in ('seglearn', 'benchmarks'):
        for path in sorted((root / folder).rglob('*.py')):
            rel = path.relative_to(root)
            out.append((str(rel), '.'.join(rel.parts[:-1]), path.read_text()))
    for path in sorted((root / 'chapters').glob('[0-9][0-9]_*.ipynb')):
        out.append((str(path.relative_to(root)), '', _notebook_source(path)))
    return out


def scan(root=ROOT):
    """Every CuPy name used, with its first use and whether every use of it is guarded.

    Returns:
        dict: name → (first 'file:line', guarded).
    """
    names = {}
    for label, package, text in sources(root):
        for name, where, guarded in scan_source(text, package, label):
            first, all_guarded = names.get(name, (where, True))
            names[name] = (first, all_guarded and guarded)
    return dict(sorted(names.items()))


def format_list(names):
    """The audit file's text: one 'name  guarded|required  first-use' line per name."""
    lines = ['# CuPy names used by Chainer 7.8.1 and seglearn (tools/cupy_surface.py scan --write)',
             '# name  required|guarded  first use']
    lines += ['{}  {}  {}'.format(name, 'guarded' if guarded else 'required', where)
              for name, (where, guarded) in names.items()]
    return '\n'.join(lines) + '\n'


def read_list(path=LIST):
    """The committed audit: name → (first use, guarded)."""
    names = {}
    for line in Path(path).read_text().splitlines():
        if line and not line.startswith('#'):
            name, kind, where = line.split()
            names[name] = (where, kind == 'guarded')
    return names


def resolve(name):
    """Look a dotted CuPy name up, importing submodules that are not yet attributes.

    Returns:
        str or None: None when it resolves, else the reason it does not.
    """
    parts = name.split('.')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            obj = importlib.import_module(parts[0])
            for i, part in enumerate(parts[1:], 2):
                if not hasattr(obj, part):
                    try:
                        importlib.import_module('.'.join(parts[:i]))
                    except ModuleNotFoundError as error:
                        if error.name != '.'.join(parts[:i]):
                            raise
                obj = getattr(obj, part)
        except Exception as error:  # a missing attribute, or a library that fails to load
            return '{}: {}'.format(type(error).__name__, str(error).splitlines()[0][:160])
    return None


def _optional_prefix(name):
    return next((p for p in OPTIONAL if name == p or name.startswith(p + '.')), None)


def binding_absent(module):
    """Whether an optional library's binding is absent as a whole: it does not import, or it
    imports as CuPy's placeholder with ``available = False`` (library not found)."""
    if resolve(module) is not None:
        return True
    return getattr(importlib.import_module(module), 'available', True) is False


def check(names):
    """Resolve every name.

    A name that does not resolve is a failure unless it lies under an :data:`OPTIONAL` binding
    that is absent as a whole (:func:`binding_absent`), or its :data:`ALTERNATIVES` spelling
    resolves.

    Returns:
        (dict, list of str): name → status ('ok', 'optional', 'alternative' or the reason it
        is missing), and the failures.
    """
    statuses, failures = {}, []
    for name in names:
        reason = resolve(name)
        optional = _optional_prefix(name)
        if reason is None:
            statuses[name] = 'ok'
        elif optional and binding_absent(optional):
            statuses[name] = 'optional'
        elif name in ALTERNATIVES and resolve(ALTERNATIVES[name]) is None:
            statuses[name] = 'alternative'
        else:
            statuses[name] = reason
            failures.append(name)
    return statuses, failures


def report(names, statuses):
    """Report lines: every name that is not plainly 'ok', and a count of those that are."""
    lines = []
    for prefix, why in OPTIONAL.items():
        if prefix in statuses and binding_absent(prefix):
            lines.append('{}: absent ({} names under it skipped); {}'.format(
                prefix, sum(_optional_prefix(n) == prefix for n in names), why))
    for name, status in statuses.items():
        if status == 'alternative':
            lines.append('{}: absent, {} resolves instead'.format(name, ALTERNATIVES[name]))
        elif status not in ('ok', 'optional'):
            lines.append('{}: MISSING ({}), used at {}'.format(name, status, names[name][0]))
    ok = sum(status == 'ok' for status in statuses.values())
    lines.append('{} names: {} resolve, {} fail'.format(
        len(statuses), ok, sum(s not in ('ok', 'optional', 'alternative')
                              for s in statuses.values())))
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('command', choices=['scan', 'check'])
    parser.add_argument('--write', action='store_true', help='scan: rewrite ' + LIST.name)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import seglearn  # noqa: F401  (seglearn._compat before chainer, as everywhere)
    if args.command == 'scan':
        text = format_list(scan())
        if args.write:
            LIST.write_text(text)
        print(text, end='')
        return 0
    import cupy
    import chainer.backends.cuda as chainer_cuda
    names = read_list()
    statuses, failures = check(names)
    print('CuPy {} ({}), NumPy {}, Python {}.{}: chainer.backends.cuda.available = {}, '
          'cudnn_enabled = {}'.format(
              cupy.__version__, _distribution('cupy'), __import__('numpy').__version__,
              *sys.version_info[:2], chainer_cuda.available, chainer_cuda.cudnn_enabled))
    print('\n'.join(report(names, statuses)))
    return 1 if failures or not chainer_cuda.available else 0


def _distribution(module):
    """The installed distribution that provides a top-level module (cupy-cuda12x, …)."""
    import importlib.metadata
    return ', '.join(importlib.metadata.packages_distributions().get(module, ['?']))


if __name__ == '__main__':
    sys.exit(main())
