"""Package-wide switches.

``fast_cpu``: use seglearn's CPU kernels (:mod:`seglearn.functions`: convolution, transposed
convolution, batch normalization, max pooling, FCN's separable bilinear upsampling) instead of
Chainer's stock CPU path. On by default; turn it off
with the environment variable ``SEGLEARN_FAST_CPU=0`` (or ``false``/``no``/``off``) before import,
or at run time with ``seglearn.config.fast_cpu = False`` (or the :func:`using_fast_cpu` context
manager). The switch is read when a function is called, so it also applies to models built
earlier. The GPU path is always Chainer's own.
"""
import contextlib
import os

_OFF = ('0', 'false', 'no', 'off')
fast_cpu = os.environ.get('SEGLEARN_FAST_CPU', '1').strip().lower() not in _OFF


@contextlib.contextmanager
def using_fast_cpu(enabled):
    """Temporarily turn the fast CPU path on or off.

    Args:
        enabled (bool): the value of :data:`fast_cpu` inside the block.
    """
    global fast_cpu
    previous, fast_cpu = fast_cpu, bool(enabled)
    try:
        yield
    finally:
        fast_cpu = previous
