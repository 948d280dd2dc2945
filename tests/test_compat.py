import importlib
import sys

import numpy
import pytest

from seglearn import _compat


def test_chainer_imports_and_runs_after_apply():
    _compat.apply()
    import chainer
    import chainer.functions as F
    x = numpy.arange(16, dtype=numpy.float32).reshape(1, 1, 4, 4)
    # resize_images uses np.float, as_strided uses np.sctypes
    assert F.resize_images(x, (8, 8)).shape == (1, 1, 8, 8)
    assert F.as_strided(numpy.arange(6, dtype=numpy.float32), (2, 2), (2, 1)).shape == (2, 2)
    assert chainer.__version__ == '7.8.1'


def test_float_alias_is_builtin_float():
    _compat.apply()
    assert numpy.float is float


def test_sctypes_lists_the_float_types():
    _compat.apply()
    assert numpy.float32 in numpy.sctypes['float']
    assert numpy.int64 in numpy.sctypes['int']


def test_patches_do_nothing_where_present(monkeypatch):
    sentinel = {'float': [numpy.float32]}
    monkeypatch.setattr(numpy, 'sctypes', sentinel, raising=False)
    monkeypatch.setattr(_compat, 'APPLIED', [])
    _compat._patch_sctypes()
    assert numpy.sctypes is sentinel
    assert _compat.APPLIED == []


def test_sctypes_patch_restores_when_missing(monkeypatch):
    monkeypatch.delattr(numpy, 'sctypes', raising=False)
    monkeypatch.setattr(_compat, 'APPLIED', [])
    _compat._patch_sctypes()
    assert numpy.float64 in numpy.sctypes['float']
    assert _compat.APPLIED == ['np.sctypes']


def test_float_patch_restores_when_missing(monkeypatch):
    if 'float' in vars(numpy):
        monkeypatch.delattr(numpy, 'float')
    monkeypatch.setattr(_compat, 'APPLIED', [])
    _compat._patch_float_alias()
    assert numpy.float is float and _compat.APPLIED == ['np.float']


def _hide_module(monkeypatch, name):
    """Make ``import name`` fail, as on a stack where it is gone; returns a function that lifts
    the import block (the sys.modules changes stay until the test ends)."""
    import builtins
    for key in [k for k in sys.modules if k == name or k.startswith(name + '.')]:
        monkeypatch.delitem(sys.modules, key)
    real_import = builtins.__import__

    def fake_import(mod, *args, **kwargs):
        if mod == name or mod.startswith(name + '.'):
            raise ImportError('hidden by test: ' + mod)
        return real_import(mod, *args, **kwargs)
    builtins.__import__ = fake_import

    def lift():
        builtins.__import__ = real_import
    return lift


@pytest.fixture
def hide(monkeypatch):
    lifts = []

    def _hide(name):
        lifts.append(_hide_module(monkeypatch, name))
        return lifts[-1]
    yield _hide
    for lift in reversed(lifts):
        lift()


def test_numpy_distutils_stub_when_missing(monkeypatch, hide):
    monkeypatch.setattr(_compat, 'APPLIED', [])
    hide('numpy.distutils')
    _compat._patch_numpy_distutils()
    stub = sys.modules['numpy.distutils.system_info']
    assert stub.get_info('blas_opt') == {}
    assert _compat.APPLIED == ['numpy.distutils.system_info']


def test_pkg_resources_stub_when_missing(monkeypatch, hide):
    monkeypatch.setattr(_compat, 'APPLIED', [])
    hide('pkg_resources')
    _compat._patch_pkg_resources()
    stub = sys.modules['pkg_resources']
    assert _compat.APPLIED == ['pkg_resources']
    assert stub.get_distribution('numpy').version == numpy.__version__
    assert stub.require('numpy>=1.0')[0].project_name == 'numpy'
    with pytest.raises(stub.DistributionNotFound):
        stub.require('surely-not-an-installed-package-xyz')
    with pytest.raises(stub.ResolutionError):
        stub.WorkingSet().require('surely-not-an-installed-package-xyz')


def test_chainer_environment_check_runs_with_stubs(monkeypatch, hide):
    """Chainer's own environment check is the consumer of the distutils and pkg_resources stubs."""
    monkeypatch.setattr(_compat, 'APPLIED', [])
    lift_pkg = hide('pkg_resources')
    lift_dist = hide('numpy.distutils')
    _compat._patch_pkg_resources()
    _compat._patch_numpy_distutils()
    lift_dist()  # hooks stack: lift in reverse order
    lift_pkg()
    monkeypatch.delitem(sys.modules, 'chainer._environment_check', raising=False)
    env_check = importlib.import_module('chainer._environment_check')
    assert env_check.pkg_resources is sys.modules['pkg_resources']
    assert sorted(_compat.APPLIED) == ['numpy.distutils.system_info', 'pkg_resources']
    env_check.check()


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'')
    return path


def test_nvidia_wheel_libraries_are_found_under_sys_path_entries(tmp_path):
    wanted = [_touch(tmp_path / 'nvidia' / 'cublas' / 'lib' / name)
              for name in ('libcublas.so.12', 'libcublasLt.so.12')]
    wanted.append(_touch(tmp_path / 'nvidia' / 'cudnn' / 'lib' / 'libcudnn_cnn_infer.so.8'))
    for skipped in ('cublas/lib/libnvblas.so.12', 'cuda_nvrtc/lib/libnvrtc.alt.so.12',
                    'cufft/lib/libcufftw.so.11', 'cudnn/include/cudnn.h'):
        _touch(tmp_path / 'nvidia' / skipped)
    assert sorted(_compat._nvidia_wheel_libraries([str(tmp_path)])) == sorted(wanted)
    assert _compat._nvidia_wheel_libraries([str(tmp_path / 'nowhere')]) == []


def test_load_all_loads_libraries_and_skips_what_cannot_load(tmp_path):
    import _ctypes
    library = tmp_path / 'libcopy.so.1'
    library.write_bytes(open(_ctypes.__file__, 'rb').read())  # any real shared object
    broken = tmp_path / 'libbroken.so.1'
    broken.write_bytes(b'not an ELF file')
    assert _compat._load_all([broken, library]) == [library]
    assert str(library) in open('/proc/self/maps').read()


def test_cupy_major_is_read_without_importing_cupy(tmp_path, monkeypatch):
    package = tmp_path / 'cupy'
    package.mkdir()
    (package / '__init__.py').write_text('raise RuntimeError("must not be imported")\n')
    (package / '_version.py').write_text("__version__ = '13.6.0'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, 'cupy', raising=False)
    importlib.invalidate_caches()
    assert _compat._cupy_major() == 13
    (package / '_version.py').write_text("__version__ = '14.2.0'\n")
    assert _compat._cupy_major() == 14


def test_nvidia_wheel_patch_runs_only_for_cupy13_without_a_cuda_toolkit(monkeypatch):
    loaded = []
    monkeypatch.setattr(_compat, '_nvidia_wheel_libraries', lambda: ['libcublas.so.12'])
    monkeypatch.setattr(_compat, '_load_all', lambda files: loaded.extend(files) or files)
    for major, on_path, expected in ((None, False, []), (14, False, []), (13, True, []),
                                     (13, False, ['libcublas.so.12'])):
        monkeypatch.setattr(_compat, 'APPLIED', [])
        monkeypatch.setattr(_compat, '_cupy_major', lambda: major)
        monkeypatch.setattr(_compat, '_loadable', lambda name: on_path)
        loaded.clear()
        _compat._patch_cupy13_nvidia_wheels()
        assert loaded == expected
        assert _compat.APPLIED == (['nvidia wheel libraries for CuPy 13'] if expected else [])
