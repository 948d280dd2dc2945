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
"""
import importlib.metadata
import re
import sys
import types
import warnings

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


def apply():
    """Restore what Chainer 7.8.1 needs and this environment lacks. Safe to call repeatedly."""
    _patch_numpy_distutils()
    _patch_sctypes()
    _patch_float_alias()
    _patch_pkg_resources()
    return list(APPLIED)
