"""Package-wide switches.

``fast_cpu`` chooses the kernels that :mod:`seglearn.functions` (convolution, transposed
convolution, batch normalization, max pooling, FCN's separable bilinear upsampling) run on NumPy
arrays:

- ``True`` (the default): oneDNN when ``libdnnl.so`` loads (:mod:`seglearn.functions.onednn`,
  from the ``onednn-cpu-gomp`` wheel that Linux x86-64 installs get), else seglearn's NumPy
  kernels;
- ``'onednn'``: oneDNN, falling back to the NumPy kernels (with a warning) if it does not load;
- ``'numpy'``: seglearn's NumPy kernels (channel-last patch products);
- ``False``: stock Chainer, as if seglearn's functions were ``chainer.functions``.

Set it before import with the environment variable ``SEGLEARN_FAST_CPU`` (``onednn``,
``numpy``, ``0``/``false``/``no``/``off``, or ``1``/``true``/``yes``/``on``/``auto`` for the
default), or at run time with ``seglearn.config.fast_cpu = …`` or the :func:`using_fast_cpu`
context manager. The switch is read when a function is called, so it also applies to models built
earlier. :func:`cpu_kernels` says which kernels run now and :func:`describe` why (``seglearn
doctor`` prints it). The GPU path is always Chainer's own.

:func:`cpu_cores` is the number of cores this process may run on (``make chapters`` and the
benchmarks share the threads out by it).

``language`` is the language of the learner-facing messages (:mod:`seglearn.messages`):
``'en'`` (the default) or ``'ja'``. Set it before import with ``SEGLEARN_LANG``, or at run time
with ``seglearn.config.language = 'ja'`` (the first cell of every Japanese chapter does) or the
:func:`using_language` context manager; any other value raises ``ValueError``.
"""
import contextlib
import os
import sys
import types
import warnings

KERNELS = ('onednn', 'numpy')
_OFF = ('0', 'false', 'no', 'off')
_DEFAULT = ('', '1', 'true', 'yes', 'on', 'auto')


def parse(value):
    """The :data:`fast_cpu` value that a ``SEGLEARN_FAST_CPU`` string means.

    Args:
        value (str): the variable's value (case and surrounding spaces ignored).

    Returns:
        bool or str: ``False``, ``True``, ``'onednn'`` or ``'numpy'``; an unknown value warns and
        gives the default ``True``.
    """
    value = value.strip().lower()
    if value in _OFF:
        return False
    if value in KERNELS:
        return value
    if value not in _DEFAULT:
        warnings.warn('SEGLEARN_FAST_CPU={!r} is not one of onednn, numpy, 0, 1 (or auto); using '
                      'the default (oneDNN if it loads, else NumPy)'.format(value))
    return True


fast_cpu = parse(os.environ.get('SEGLEARN_FAST_CPU', ''))
_warned = []


def _check(value):
    if value not in (True, False) + KERNELS:
        raise ValueError('fast_cpu must be True, False, {!r} or {!r}; got {!r}'.format(
            *KERNELS, value))
    return value


def cpu_kernels():
    """The kernels seglearn's functions run on NumPy arrays now.

    Returns:
        str or None: ``'onednn'``, ``'numpy'``, or None for stock Chainer.
    """
    if fast_cpu is False or fast_cpu == 'numpy':
        return fast_cpu or None
    from seglearn.functions import _dnnl
    if _dnnl.available():
        return 'onednn'
    if fast_cpu == 'onednn' and not _warned:
        _warned.append(True)
        warnings.warn('seglearn.config.fast_cpu is "onednn" but oneDNN did not load; using the '
                      'NumPy kernels ({})'.format(describe()))
    return 'numpy'


def cpu_cores():
    """The number of cores this process may run on (its CPU affinity on Linux).

    Returns:
        int: at least 1.
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def describe():
    """One line saying which CPU kernels are active and why (``seglearn doctor`` prints it)."""
    if fast_cpu is False:
        return 'stock Chainer (fast_cpu is off: SEGLEARN_FAST_CPU=0 or config.fast_cpu = False)'
    if fast_cpu == 'numpy':
        return 'NumPy kernels (asked for: SEGLEARN_FAST_CPU=numpy or config.fast_cpu = "numpy")'
    from seglearn.functions import _dnnl
    try:
        lib = _dnnl.library()
    except _dnnl.OneDNNUnavailable as error:
        return 'NumPy kernels (oneDNN did not load: {})'.format(error)
    return 'oneDNN {} ({})'.format(lib.version, lib.path)


@contextlib.contextmanager
def using_fast_cpu(enabled):
    """Temporarily choose the CPU kernels.

    Args:
        enabled (bool or str): the value of :data:`fast_cpu` inside the block (``True``,
            ``False``, ``'onednn'`` or ``'numpy'``).
    """
    global fast_cpu
    previous, fast_cpu = fast_cpu, _check(enabled)
    try:
        yield
    finally:
        fast_cpu = previous


LANGUAGES = ('en', 'ja')


def check_language(value):
    """``value`` if it is one of :data:`LANGUAGES`.

    Raises:
        ValueError: any other value (the message names the choices).
    """
    if value not in LANGUAGES:
        raise ValueError('seglearn.config.language must be one of {}; got {!r} (set it with '
                         'SEGLEARN_LANG or seglearn.config.language)'.format(
                             ', '.join(map(repr, LANGUAGES)), value))
    return value


language = check_language(os.environ.get('SEGLEARN_LANG', '').strip().lower() or 'en')


@contextlib.contextmanager
def using_language(value):
    """Temporarily show the messages in another language (``'en'`` or ``'ja'``)."""
    global language
    previous, language = language, check_language(value)
    try:
        yield
    finally:
        language = previous


class _Config(types.ModuleType):
    """This module's type: an assignment to ``language`` is checked where it is written."""

    def __setattr__(self, name, value):
        super().__setattr__(name, check_language(value) if name == 'language' else value)


sys.modules[__name__].__class__ = _Config
