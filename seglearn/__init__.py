"""seglearn: semantic segmentation from the papers, in Chainer.

``import seglearn`` first applies :mod:`seglearn._compat` (what Chainer 7.8.1 expects from older
NumPy/Python/setuptools), so import it before ``chainer``. Submodules load on first use:
``seglearn.arithmetic``, ``seglearn.models``, ``seglearn.datasets`` and so on.
"""
import importlib
import pkgutil

from seglearn import _compat

_compat.apply()

__version__ = '0.1.0'

# every module and package of this folder whose name does not start with '_'
_SUBMODULES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__)
                           if not m.name.startswith('_')))


def __getattr__(name):
    if name == 'check':
        from seglearn.exercises import check
        return check
    if name in _SUBMODULES:
        return importlib.import_module('seglearn.' + name)
    raise AttributeError('module seglearn has no attribute {!r}'.format(name))


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES) + ['check'])
