"""Every chapter cell that runs a model has sent it to ``DEVICE`` (so the same cells run on a GPU).

Two checks:

* static, over the notebooks' code (fast): a model built in a cell (a Link class, a class the
  notebook derives from one, ``load_model``; ``copy.deepcopy`` and ``init_from`` of a model give a
  model where their source is) must be sent somewhere (``m.to_device(...)``, ``to_device(m, ...)``,
  ``m.to_cpu()``, itself or a link that wraps it) before it runs: ``m(x)``, any method call
  ``m.features(x)``, ``m.upscore(y)`` except the bookkeeping ones (:data:`NOT_RUNS`),
  ``predict(m, ...)`` and the other ``*predict`` functions, ``make_trainer(m, ...)`` without
  ``device=``, or a function of the notebook that runs the argument it is given. It also sees
  cells that only a GPU executes (full-size models behind ``if GPU:``), which no CPU run reaches.
* dynamic (slow, in ``tests/test_chapters.py``): every chapter runs with ``DEVICE`` set to the
  fake device of :mod:`seglearn.course.fake_device`, which refuses any Chainer function or
  notebook NumPy operation that mixes host and device arrays, and any model run from a cell
  without having been placed. Failures name the chapter, the cell and the line.
"""
import ast
import json
from pathlib import Path

import chainer
import pytest

import seglearn  # noqa: F401
from seglearn import links as seglearn_links
from seglearn import models as seglearn_models
from seglearn.course.run_chapters import chapter_paths, execute_notebook

CHAPTERS = Path(__file__).resolve().parent.parent / 'chapters'
PATHS = chapter_paths(CHAPTERS)
LINK_CLASSES = {name for module in (chainer.links, seglearn_links, seglearn_models)
                for name, obj in vars(module).items()
                if isinstance(obj, type) and issubclass(obj, chainer.Link)}
SENDS = {'to_device', 'to_gpu', 'to_cpu'}
# Link methods that do not run the model
NOT_RUNS = SENDS | {'params', 'namedparams', 'links', 'namedlinks', 'children', 'copyparams',
                    'cleargrads', 'zerograds', 'addgrads', 'serialize', 'count_params',
                    'add_param', 'add_link', 'add_persistent', 'register_persistent', 'init_scope',
                    'disable_update', 'enable_update', 'copy'}


def _callee(node):
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, 'id', None)


class _Cell:
    def __init__(self, index, cell):
        self.index, self.id = index, cell.get('id')
        lines = ''.join(cell['source']).splitlines()
        self.source = '\n'.join('' if line.lstrip().startswith(('%', '!')) else line
                                for line in lines)

    def where(self, node):
        cell_id = ' (id {})'.format(self.id) if self.id else ''
        return 'cell {}{}, line {}'.format(self.index, cell_id, node.lineno)


class _Checker:
    """Walks a notebook's code in order and reports models that run before being placed."""

    def __init__(self, chapter):
        self.chapter = chapter
        self.link_classes = set(LINK_CLASSES)
        self.runners = {}  # notebook function → indexes of the arguments it runs
        self.function = None  # (name, parameters) of the function being read
        self.problems = []

    def run(self, cells):
        models = {}  # variable → [where built, placed?, models it wraps]
        for cell in cells:
            for node in ast.parse(cell.source).body:
                self._statement(node, cell, models)
        return self.problems

    def _statement(self, node, cell, models):
        if isinstance(node, ast.ClassDef):
            bases = {getattr(b, 'attr', getattr(b, 'id', None)) for b in node.bases}
            if bases & (self.link_classes | {'Chain', 'ChainList', 'Link'}):
                self.link_classes.add(node.name)
            return
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            outer, self.function = self.function, (node.name, [a.arg for a in node.args.args])
            local = {}
            for stmt in node.body:
                self._statement(stmt, cell, local)
            self.function = outer
            return
        calls = sorted((n for n in ast.walk(node) if isinstance(n, ast.Call)),
                       key=lambda n: (n.lineno, n.col_offset))
        for call in calls:
            self._call(call, cell, models)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            built = self._built(node.value, models)
            for target in node.targets:
                if isinstance(target, ast.Name):
                    if built is None:
                        models.pop(target.id, None)
                    else:
                        models[target.id] = [cell.where(node)] + built
        elif isinstance(node, (ast.For, ast.While, ast.If, ast.With, ast.Try)):
            for stmt in ast.iter_child_nodes(node):
                if isinstance(stmt, ast.stmt):
                    self._statement(stmt, cell, models)

    def _built(self, call, models):
        """[placed?, wrapped models] of the model a call builds, or None for anything else."""
        name = _callee(call)
        source = call.args[0].id if call.args and isinstance(call.args[0], ast.Name) else None
        if name in ('deepcopy', 'init_from'):  # a copy lives where its source does
            return [models[source][1], []] if source in models else None
        if name == 'load_model' or name in self.link_classes:
            return [False, [a.id for a in call.args if isinstance(a, ast.Name) and a.id in models]]
        return None

    def _place(self, name, models):
        entry = models.get(name)
        if entry is not None and not entry[1]:
            entry[1] = True
            for inner in entry[2]:
                self._place(inner, models)

    def _call(self, call, cell, models):
        func, name = call.func, _callee(call)
        args = [a.id if isinstance(a, ast.Name) else None for a in call.args]
        first = args[0] if args else None
        target = func.value.id if isinstance(func, ast.Attribute) and isinstance(
            func.value, ast.Name) else None
        if name in SENDS:  # m.to_device(d), or to_device(m, d) / backend.to_device(m, d)
            return self._place(target if target in models else first, models)
        if target is not None and name not in NOT_RUNS:  # m.forward(x), m.upscore(y), …
            return self._ran(target, call, cell, models)
        if name == 'make_trainer' and first:
            if any(k.arg == 'device' for k in call.keywords):
                return self._place(first, models)
            return self._ran(first, call, cell, models)
        if name and name.endswith('predict') and first:
            return self._ran(first, call, cell, models)
        if isinstance(func, ast.Name):
            self._ran(func.id, call, cell, models)
            for index in self.runners.get(func.id, ()):
                if index < len(args) and args[index]:
                    self._ran(args[index], call, cell, models)

    def _ran(self, name, call, cell, models):
        if self.function and name in self.function[1]:  # the function runs this argument
            self.runners.setdefault(self.function[0], set()).add(self.function[1].index(name))
        entry = models.get(name)
        if entry is None or entry[1]:
            return
        self.problems.append(
            '{} {}: model {!r} (built at {}) runs in `{}` without having been sent to DEVICE: '
            'add `{}.to_device(device)` after building it (or pass device=DEVICE)'.format(
                self.chapter, cell.where(call), name, entry[0],
                ast.get_source_segment(cell.source, call)[:80], name))
        entry[1] = True  # one report per build


def static_problems(path):
    """Report lines for one notebook (empty when every model is placed before it runs)."""
    cells = json.loads(Path(path).read_text())['cells']
    code = [_Cell(i, c) for i, c in enumerate(cells) if c['cell_type'] == 'code']
    return _Checker(Path(path).name).run(code)


def _notebook(tmp_path, *sources):
    path = tmp_path / '99_test.ipynb'
    cells = [{'cell_type': 'code', 'id': 'c{}'.format(i), 'source': s, 'metadata': {},
              'outputs': [], 'execution_count': None} for i, s in enumerate(sources)]
    path.write_text(json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4,
                                'nbformat_minor': 5}))
    return path


def test_static_check_flags_models_that_run_unplaced(tmp_path):
    path = _notebook(
        tmp_path,
        "DEVICE = '@numpy'\nfrom seglearn.models import FCN8s, UNet",
        'm = FCN8s(3)\nn_params = sum(p.size for p in m.params())\ny = m(x)',
        'u = UNet(2)\nlabels = predict(u, img)',
        'if GPU:\n    big = UNet(2, base=64)\n    big.predict(imgs)',
        'def train():\n    net = FCN8s(3)\n    make_trainer(net, data)',
        'a = FCN8s(3)\nb = FCN8s.init_from(a)\nb.upscore(y)',
        'def step(model, lr):\n    return model.features(x)\nc = FCN8s(3)\nstep(c, 0.1)')
    problems = static_problems(path)
    assert [p.split(':')[0] for p in problems] == [
        '99_test.ipynb cell 1 (id c1), line 3', '99_test.ipynb cell 2 (id c2), line 2',
        '99_test.ipynb cell 3 (id c3), line 3', '99_test.ipynb cell 4 (id c4), line 3',
        '99_test.ipynb cell 5 (id c5), line 3', '99_test.ipynb cell 6 (id c6), line 4']
    assert "model 'm' (built at cell 1 (id c1), line 1) runs in `m(x)`" in problems[0]
    assert 'm.to_device(device)' in problems[0]


def test_static_check_accepts_placed_models_written_in_other_ways(tmp_path):
    path = _notebook(
        tmp_path,
        "DEVICE = '@numpy'\nimport chainer.links as L\nfrom seglearn.models import FCN8s",
        'class Net(chainer.Chain):\n    pass\nnet = Net()\nnet.to_device(device)\nnet(x)',
        'm = FCN8s(3)\nclf = L.Classifier(m)\nclf.to_device(device)\nm.predict(imgs)',
        'a = FCN8s(3).to_device(device)\nb = backend.to_device(FCN8s(3), DEVICE)',
        'c = FCN8s(3)\nbackend.to_device(c, DEVICE)\nc(x)\ncpu = FCN8s(3)\ncpu.to_cpu()\ncpu(x)',
        'def train():\n    net = FCN8s(3)\n    make_trainer(net, data, device=DEVICE)\n'
        '    net.predict(imgs)',
        'for name, m in models.items():\n    m(x)',  # not followed: the run with the fake does
        'd = FCN8s(3).to_device(DEVICE)\ne = FCN8s.init_from(d)\ne.features(x)\n'
        'print(e.crop_offsets, e.count_params(), [p.shape for p in e.params()])',
        'def step(model):\n    return model.features(x)\nf = FCN8s(3)\nf.to_device(DEVICE)\n'
        'step(f)',
        'x = 3\nx(1)')  # not a model
    assert static_problems(path) == []


@pytest.mark.parametrize('path', PATHS, ids=[p.stem for p in PATHS])
def test_chapter_sends_every_model_it_runs_to_the_device(path):
    problems = static_problems(path)
    assert not problems, '\n'.join(problems)

