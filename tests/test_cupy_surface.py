"""The CuPy surface audit (tools/cupy_surface.py) and, where CuPy is installed, Chainer's GPU
backend as far as it imports without a GPU.

The scanner tests and the check that tools/cupy_surface.txt is current run everywhere. The tests
marked ``cupy`` need CuPy installed (no GPU) and skip cleanly otherwise; ``make gpu-compat`` runs
this file in one venv per CuPy pairing the README names.
"""
import importlib.util
import json
import re
import warnings
from pathlib import Path

import pytest

import seglearn  # noqa: F401
from seglearn import _compat

TOOL = Path(__file__).resolve().parent.parent / 'tools' / 'cupy_surface.py'
_spec = importlib.util.spec_from_file_location('cupy_surface', TOOL)
surface = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(surface)

with warnings.catch_warnings():
    warnings.simplefilter('ignore')  # CuPy warns at import when NCCL is not installed
    HAS_CUPY = importlib.util.find_spec('cupy') is not None and surface.resolve('cupy') is None
needs_cupy = pytest.mark.skipif(not HAS_CUPY, reason='CuPy is not installed (make gpu-compat)')


def _names(source, package=''):
    return [name for name, _, _ in surface.scan_source(source, package)]


def test_scanner_follows_imports_and_chainers_reexports():
    source = '\n'.join([
        'import cupy',
        'import cupyx.scipy.special',
        'from cupy.cuda import cublas as blas',
        'from chainer.backends import cuda',
        'from chainer import cuda as old_cuda',
        'import numpy',
        'a = cupy.cuda.Device',
        'b = blas.sgemm',
        'c = cuda.cupy.random.rand(3).shape',  # stops at the call
        'd = cuda.libcudnn.CUDNN_POOLING_MAX',
        'e = old_cuda.cudnn.convolution_forward',
        'f = cuda.to_gpu',  # Chainer's own function, not CuPy's
        'g = numpy.zeros',
    ])
    assert _names(source) == [
        'cupy', 'cupyx.scipy.special', 'cupy.cuda.cublas', 'cupy.cuda.Device',
        'cupy.cuda.cublas.sgemm', 'cupy.random.rand', 'cupy.cuda.cudnn.CUDNN_POOLING_MAX',
        'cupy.cudnn.convolution_forward']


def test_scanner_tracks_aliases_per_scope_and_relative_imports():
    source = '\n'.join([
        'from . import cuda',  # chainer/backends/x.py: chainer.backends.cuda
        'libcudnn = cuda.cuda.cudnn',
        'def gpu():',
        '    xp = cuda.cupy',
        '    xp.tanh',
        '    libcudnn.getVersion',
        'def cpu():',
        '    xp.not_cupy',  # xp is local to gpu()
        '    xp = numpy',
        '    xp.zeros',
        'def late():',
        '    z.ElementwiseKernel',  # module-level binding made after the def
        'z = cuda.cupy',
    ])
    assert _names(source, package='chainer.backends') == [
        'cupy.cuda.cudnn', 'cupy', 'cupy.tanh', 'cupy.cuda.cudnn.getVersion',
        'cupy.ElementwiseKernel', 'cupy']


def test_scanner_marks_guarded_uses_and_keeps_bindings_through_fallbacks():
    source = '\n'.join([
        'try:',
        '    import cupy',
        '    from cupy._util import PerformanceWarning',
        'except ImportError:',
        '    cupy = object()',
        'cupy.ndarray',
        'try:',
        '    cupy.fuse',
        'except KeyError:',
        '    pass',
    ])
    found = [(name, guarded) for name, _, guarded in surface.scan_source(source)]
    assert found == [('cupy', True), ('cupy._util.PerformanceWarning', True),
                     ('cupy.ndarray', False), ('cupy.fuse', False)]


def test_notebook_code_cells_are_scanned(tmp_path):
    cells = [{'cell_type': 'markdown', 'source': ['cupy.not_code']},
             {'cell_type': 'code', 'source': ['%matplotlib inline\n', 'import cupy\n',
                                              'cupy.asnumpy']}]
    path = tmp_path / '00_x.ipynb'
    path.write_text(json.dumps({'cells': cells}))
    assert _names(surface._notebook_source(path)) == ['cupy', 'cupy.asnumpy']


def test_the_committed_audit_is_current():
    """tools/cupy_surface.txt lists what the sources use today (regenerate it with
    ``python tools/cupy_surface.py scan --write`` after adding a CuPy call)."""
    found = surface.scan()
    listed = surface.read_list()
    # names and their kind; where a name is first used may move without making the list stale
    kinds = [{name: guarded for name, (_, guarded) in names.items()} for names in (listed, found)]
    stale = kinds[0].items() ^ kinds[1].items()
    assert not stale, ('tools/cupy_surface.txt is out of date (these differ: {}); run python '
                       'tools/cupy_surface.py scan --write'.format(sorted(stale)))
    # what Chainer 7.8.1 needs from CuPy at import and for the course's layers is in it
    for name in ('cupy.cuda.cublas', 'cupyx.scipy.linalg', 'cupy.cudnn.convolution_forward',
                 'cupy.cuda.cudnn.getVersion', 'cupy.ElementwiseKernel', 'cupy.ReductionKernel',
                 'cupy.RawKernel', 'cupy.get_default_memory_pool', 'cupy._util.PerformanceWarning',
                 'cupy.util.PerformanceWarning', 'cupy.random.get_random_state'):
        assert name in found, name


def test_check_reports_missing_names_and_accepts_optional_and_moved_ones(monkeypatch):
    resolvable = {'cupy', 'cupy.zeros', 'cupy._util.PerformanceWarning', 'cupy.cuda.nccl'}
    monkeypatch.setattr(surface, 'resolve', lambda n: None if n in resolvable else 'gone')
    monkeypatch.setattr(surface, 'binding_absent', lambda m: m != 'cupy.cuda.nccl')
    names = {n: ('x.py:1', False) for n in (
        'cupy.zeros', 'cupy.nope', 'cupy.util.PerformanceWarning', 'cupy.cudnn.convolution_forward',
        'cupy.cuda.nccl.NCCL_SUM')}
    statuses, failures = surface.check(names)
    assert statuses['cupy.zeros'] == 'ok'
    assert statuses['cupy.util.PerformanceWarning'] == 'alternative'
    assert statuses['cupy.cudnn.convolution_forward'] == 'optional'  # cuDNN binding absent
    assert failures == ['cupy.nope', 'cupy.cuda.nccl.NCCL_SUM']  # NCCL present but incomplete
    lines = surface.report(names, statuses)
    assert lines[-1] == '5 names: 1 resolve, 2 fail'
    assert 'cupy.nope: MISSING (gone), used at x.py:1' in lines


def test_resolve_imports_submodules_and_names_what_is_missing():
    assert surface.resolve('json.decoder.JSONDecodeError') is None  # a submodule, then a class
    assert surface.resolve('json.nope').startswith('AttributeError')
    assert surface.resolve('surely_not_a_module_xyz.a').startswith('ModuleNotFoundError')


@needs_cupy
def test_chainer_gpu_backend_imports_with_this_cupy():
    import chainer.backends.cuda as chainer_cuda
    import cupy
    assert chainer_cuda.available, getattr(chainer_cuda, '_resolution_error', None)
    if int(cupy.__version__.split('.')[0]) == 13:  # the default pairing brings cuDNN 8 by pip
        assert chainer_cuda.cudnn_enabled, getattr(chainer_cuda, '_resolution_error', None)
    # module-level code of every layer the course uses runs now (cuDNN constants included)
    import chainer.functions  # noqa: F401
    import chainer.links  # noqa: F401
    import chainer.optimizers  # noqa: F401
    import chainer.training.extensions  # noqa: F401


@needs_cupy
def test_every_audited_name_resolves_in_this_cupy():
    names = surface.read_list()
    statuses, failures = surface.check(names)
    assert not failures, '\n'.join(surface.report(names, statuses))
    assert sum(status == 'ok' for status in statuses.values()) > len(names) // 2


@needs_cupy
def test_seglearn_without_a_gpu_says_so():
    from seglearn import backend
    assert backend.cupy_available() is False
    with pytest.raises(RuntimeError, match='CuPy is installed but sees no usable CUDA device'):
        backend.get_device('@cupy:0')
    assert backend.get_device(None).xp.__name__ == 'numpy'


@needs_cupy
def test_cupy13_uses_the_nvidia_wheel_libraries_through_compat():
    import cupy
    if int(cupy.__version__.split('.')[0]) != 13:
        pytest.skip('CuPy {} finds the NVIDIA wheels itself'.format(cupy.__version__))
    paths = re.findall(r'(/\S*libcublas\.so\.12)$', Path('/proc/self/maps').read_text(), re.M)
    assert paths, 'libcublas.so.12 is not loaded'
    if any('/nvidia/cublas/lib/' in p for p in paths):  # no CUDA toolkit: the wheel's copy
        assert 'nvidia wheel libraries for CuPy 13' in _compat.APPLIED
