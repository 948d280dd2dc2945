"""The package has no import cycle: read every ``import`` of seglearn's modules with ``ast``.

Imports inside functions count too: they only postpone a cycle to the first call (the palette
property of a dataset importing ``visualize``, which imported the dataset module back, was one).
"""
import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / 'seglearn'


def module_names(root=PACKAGE):
    """``{module name: file}`` for every module of the package below ``root``."""
    names = {}
    for path in sorted(root.rglob('*.py')):
        parts = list(path.relative_to(root.parent).with_suffix('').parts)
        if parts[-1] == '__init__':
            parts.pop()
        names['.'.join(parts)] = path
    return names


def _resolve(module, level, importer, is_package):
    """Absolute name of ``from <level dots><module> import …`` written in ``importer``."""
    if not level:
        return module
    base = importer.split('.')
    base = base[:len(base) - level + (1 if is_package else 0)]
    return '.'.join(base + ([module] if module else []))


def import_graph(names):
    """``{module: set of package modules it imports}``.

    ``from pkg import name`` points at ``pkg.name`` when that is a module, else at ``pkg``;
    ``import a.b.c`` points at ``a.b.c``, except when ``a.b.c`` is a package that holds the
    importing module: Python initialises a module's packages before the module, and a plain
    ``import`` only binds the package object, reading none of its names.
    """
    graph = {}
    for name, path in names.items():
        is_package = path.name == '__init__.py'
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names
                           if not name.startswith(alias.name + '.')]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(node.module, node.level, name, is_package)
                targets = [base + '.' + alias.name if base + '.' + alias.name in names else base
                           for alias in node.names]
            else:
                continue
            edges.update(t for t in targets if t in names and t != name)
        graph[name] = edges
    return graph


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan), sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_the_package_has_no_import_cycle():
    graph = import_graph(module_names())
    assert len(graph) > 40 and 'seglearn.models.unet' in graph['seglearn.models']
    assert cycles(graph) == []


def test_the_cycle_finder_finds_cycles_through_function_level_imports(tmp_path):
    pkg = tmp_path / 'pkg'
    (pkg / 'sub').mkdir(parents=True)
    (pkg / '__init__.py').write_text('')
    (pkg / 'sub' / '__init__.py').write_text('from pkg.sub.a import A\n')
    (pkg / 'sub' / 'a.py').write_text('from ..b import helper\nA = 1\n')
    (pkg / 'b.py').write_text('def helper():\n    from pkg.sub import A\n    return A\n')
    (pkg / 'c.py').write_text('from . import b\n')
    (pkg / 'd.py').write_text('import pkg\n')  # its own package: initialised before it
    graph = import_graph(module_names(pkg))
    assert graph['pkg.c'] == {'pkg.b'} and graph['pkg.sub.a'] == {'pkg.b'}
    assert graph['pkg.d'] == set()
    assert cycles(graph) == [['pkg.b', 'pkg.sub', 'pkg.sub.a']]


@pytest.mark.parametrize('graph, expected', [
    ({'a': {'b'}, 'b': {'c'}, 'c': set()}, []),
    ({'a': {'b'}, 'b': {'a'}, 'c': {'a'}}, [['a', 'b']]),
    ({'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'e'}, 'e': {'d'}}, [['a', 'b', 'c'], ['d', 'e']]),
])
def test_cycles_on_small_graphs(graph, expected):
    assert cycles(graph) == expected


def test_every_public_submodule_loads_on_first_use():
    import subprocess
    import sys

    import seglearn
    tops = {name.split('.')[1] for name in module_names() if '.' in name}
    public = sorted(top for top in tops if not top.startswith('_'))
    assert list(seglearn._SUBMODULES) == public and {'links', 'palettes'} <= set(public)
    assert set(public) | {'check'} <= set(dir(seglearn))
    code = ('import sys, seglearn; before = "seglearn.visualize" in sys.modules; '
            'seglearn.visualize.colorize; print(before, "seglearn.visualize" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['False', 'True']
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        seglearn.nothing
