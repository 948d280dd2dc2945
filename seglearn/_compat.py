"""What Chainer 7.8.1 expects from older NumPy, Python and setuptools, restored only where missing.

Chainer 7.8.1 (the last release) was written for NumPy < 1.24, Python < 3.12 and setuptools that
ships ``pkg_resources``. ``import seglearn`` runs :func:`apply` before anything imports Chainer, so
chapters and scripts import seglearn first. Each patch below is a no-op when the thing it restores
already exists; :data:`APPLIED` lists the patches that did something in this process.

- ``numpy.distutils.system_info`` (removed with Python 3.12 / NumPy 2): Chainer's environment check
  imports it and only calls ``get_info('blas_opt')`` on macOS. The stub returns ``{}``.
- ``np.sctypes`` (removed in NumPy 2): used by ``F.as_strided``.
- ``np.float`` (removed in NumPy 1.24): used by ``F.resize_images``, so it is needed even on
  NumPy 1.26. Restored as the builtin ``float``, which is what the alias was.
- ``pkg_resources`` (gone from recent setuptools): Chainer's environment check and
  ``chainer.testing`` use ``require``, ``get_distribution``, ``WorkingSet`` and two exceptions.
  The minimal module answers those from ``importlib.metadata``.
- NVIDIA's pip libraries for CuPy 13 (not a Chainer need, but Chainer's import is where it shows):
  CuPy 13 wheels link cuBLAS, cuRAND, NVRTC and cuDNN by file name (``libcublas.so.12``) and,
  unlike CuPy 14, do not look inside the ``nvidia-*-cu12`` wheels, so without a CUDA toolkit on
  the loader's path ``import chainer`` leaves ``chainer.backends.cuda.available`` False. When
  CuPy 13 is installed, not imported yet, and ``libcublas.so.12`` is not found, the libraries of
  those wheels are loaded by path first; CuPy's later lookups by name then find them.
"""
import ctypes
import importlib.metadata
import importlib.util
import re
import sys
import types
import warnings
from pathlib import Path

import numpy

APPLIED = []


def _missing_module(name):
    if name in sys.modules:
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            __import__(name)
    except ImportError:
        return True
    return False


def _patch_numpy_distutils():
    if not _missing_module('numpy.distutils.system_info'):
        return
    distutils = types.ModuleType('numpy.distutils')
    distutils.__path__ = []
    system_info = types.ModuleType('numpy.distutils.system_info')
    system_info.get_info = lambda name, notfound_action=0: {}
    distutils.system_info = system_info
    sys.modules['numpy.distutils'] = distutils
    sys.modules['numpy.distutils.system_info'] = system_info
    numpy.distutils = distutils
    APPLIED.append('numpy.distutils.system_info')


def _patch_sctypes():
    if 'sctypes' in vars(numpy):
        return
    numpy.sctypes = {
        'int': [numpy.int8, numpy.int16, numpy.int32, numpy.int64],
        'uint': [numpy.uint8, numpy.uint16, numpy.uint32, numpy.uint64],
        'float': [numpy.float16, numpy.float32, numpy.float64, numpy.longdouble],
        'complex': [numpy.complex64, numpy.complex128, numpy.clongdouble],
        'others': [bool, object, bytes, str, numpy.void],
    }
    APPLIED.append('np.sctypes')


def _patch_float_alias():
    if 'float' in vars(numpy):
        return
    numpy.float = float
    APPLIED.append('np.float')


class _DistributionNotFound(Exception):
    """A required distribution is not installed (pkg_resources' name)."""


class _VersionConflict(Exception):
    """An installed distribution does not satisfy a requirement (pkg_resources' name)."""


class _Distribution:
    def __init__(self, name):
        self.project_name = name
        self.version = importlib.metadata.version(name)


def _get_distribution(requirement):
    name = re.match(r'\s*([A-Za-z0-9_.\-]+)', str(requirement)).group(1)
    try:
        return _Distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise _DistributionNotFound(name) from None


def _require(requirement):
    # Presence is what Chainer acts on; a version mismatch only ever produced a warning there.
    return [_get_distribution(requirement)]


class _WorkingSet:
    def require(self, requirement):
        return _require(requirement)


def _patch_pkg_resources():
    if not _missing_module('pkg_resources'):
        return
    module = types.ModuleType('pkg_resources')
    module.__doc__ = 'Minimal pkg_resources restored by seglearn._compat for Chainer 7.8.1.'
    module.DistributionNotFound = _DistributionNotFound
    module.VersionConflict = _VersionConflict
    module.ResolutionError = Exception
    module.get_distribution = _get_distribution
    module.require = _require
    module.WorkingSet = _WorkingSet
    sys.modules['pkg_resources'] = module
    APPLIED.append('pkg_resources')


# (wheel folder under nvidia/, library files) in no particular order: loading retries until the
# libraries each one needs are in. Not loaded: interposers such as libnvblas and libcufftw.
_NVIDIA_WHEEL_LIBS = (
    ('cublas', ('libcublasLt.so.*', 'libcublas.so.*')), ('cuda_nvrtc', ('libnvrtc*.so.*',)),
    ('curand', ('libcurand.so.*',)), ('cudnn', ('libcudnn*.so.*',)),
    ('nvjitlink', ('libnvJitLink.so.*',)), ('cusparse', ('libcusparse.so.*',)),
    ('cusolver', ('libcusolver.so.*',)), ('cufft', ('libcufft.so.*',)),
)


def _cupy_major():
    """The installed CuPy's major version, read from its _version.py without importing it."""
    spec = importlib.util.find_spec('cupy') if 'cupy' not in sys.modules else None
    if spec is None or spec.origin is None:
        return None
    try:
        text = (Path(spec.origin).parent / '_version.py').read_text()
    except OSError:
        return None
    match = re.search(r"__version__ = '(\d+)", text)
    return int(match.group(1)) if match else None


def _loadable(name):
    try:
        ctypes.CDLL(name)
    except OSError:
        return False
    return True


def _nvidia_wheel_libraries(paths=None):
    """Files of NVIDIA's pip wheels that CuPy 13 needs, found under ``nvidia/*/lib`` on sys.path."""
    files = []
    for root in (paths if paths is not None else sys.path):
        for folder, patterns in _NVIDIA_WHEEL_LIBS:
            lib = Path(root or '.', 'nvidia', folder, 'lib')
            files += sorted(f for pattern in patterns for f in lib.glob(pattern)
                            if '.alt.' not in f.name)
    return files


def _load_all(files):
    """Load the files by path, retrying those whose dependencies were not loaded yet."""
    loaded, pending = [], list(files)
    while pending:
        failed = []
        for path in pending:
            try:
                ctypes.CDLL(str(path))
                loaded.append(path)
            except OSError:
                failed.append(path)
        if len(failed) == len(pending):
            break
        pending = failed
    return loaded


def _patch_cupy13_nvidia_wheels():
    if _cupy_major() != 13 or _loadable('libcublas.so.12'):
        return
    if _load_all(_nvidia_wheel_libraries()):
        APPLIED.append('nvidia wheel libraries for CuPy 13')


def apply():
    """Restore what Chainer 7.8.1 needs and this environment lacks. Safe to call repeatedly."""
    _patch_numpy_distutils()
    _patch_sctypes()
    _patch_float_alias()
    _patch_pkg_resources()
    _patch_cupy13_nvidia_wheels()
    return list(APPLIED)
