"""A ctypes binding to oneDNN's C API (``libdnnl.so``, API v3): what seglearn's kernels call.

oneDNN (formerly MKL-DNN, the library Chainer ran on through iDeep) ships on PyPI as the
``onednn-cpu-gomp`` wheel: ``libdnnl.so.3`` in ``<prefix>/lib``, no Python bindings, threaded with
GNU OpenMP (``libgomp.so.1``, part of every GCC runtime). This module loads it, creates one CPU
engine and one in-order stream, and wraps the calls of the v3 C API that
:mod:`seglearn.functions.onednn` needs: memory descriptors
(``dnnl_memory_desc_create_with_strides`` / ``_with_tag``), primitive descriptors
(``dnnl_*_primitive_desc_create``), and :class:`Primitive`, a created primitive whose execute
arguments are memory objects made once, with no buffer, and pointed at the NumPy arrays of each
call (``dnnl_memory_set_data_handle``), then ``dnnl_primitive_execute`` and ``dnnl_stream_wait``.

Threads: oneDNN runs on GNU OpenMP's threads (``OMP_NUM_THREADS``, default one per core;
``threadpoolctl`` limits them like the BLAS). Unless ``OMP_WAIT_POLICY`` is already set, it is set
to ``PASSIVE`` before the library loads: idle OpenMP workers then sleep instead of spinning. On a
machine whose cores are shared (a notebook server, a browser, other jobs) spinning workers take
cores from the thread that has work, and one descheduled worker stalls every barrier: on the
2-core benchmark VM under a load of 7, the FCN shape tests took 11.8 s spinning and 1.4 s
passive.

Where the library is looked for: the path in the environment variable ``SEGLEARN_ONEDNN_LIBRARY``
if set (a path that does not exist hides oneDNN, as on a machine without the wheel); otherwise
``<sys.prefix>/lib/libdnnl.so.3`` (where pip puts the wheel's library), then the dynamic loader's
search path. :func:`library` raises :class:`OneDNNUnavailable` saying why when none loads.
"""
import ctypes
import functools
import os
import sys
import threading

import numpy

LIBRARY_ENV = 'SEGLEARN_ONEDNN_LIBRARY'
SONAME = 'libdnnl.so.3'

# enum values of oneapi/dnnl/dnnl_types.h and dnnl_common_types.h (API v3)
F32, U8 = 3, 6
FORMAT_ANY = 1  # dnnl_format_tag_any
TAG_A = 2  # dnnl_a: a plain 1-D tensor
FORWARD_TRAINING, FORWARD_INFERENCE, BACKWARD, BACKWARD_DATA, BACKWARD_WEIGHTS = (
    64, 96, 128, 160, 192)
CONVOLUTION_DIRECT, DECONVOLUTION_DIRECT = 0x1, 0xa
ELTWISE_RELU, ELTWISE_RELU_USE_DST_FOR_BWD = 0x20, 0x100
POOLING_MAX = 0x1ff
USE_GLOBAL_STATS, USE_SCALE, USE_SHIFT, FUSE_NORM_RELU = 0x1, 0x2, 0x4, 0x8
ARG_SRC, ARG_DST, ARG_WEIGHTS, ARG_BIAS = 1, 17, 33, 41
ARG_MEAN, ARG_VARIANCE, ARG_SCALE, ARG_SHIFT, ARG_WORKSPACE = 49, 50, 51, 52, 64
ARG_DIFF_SRC, ARG_DIFF_DST, ARG_DIFF_WEIGHTS, ARG_DIFF_BIAS = 129, 145, 161, 169
ARG_DIFF_SCALE, ARG_DIFF_SHIFT = 255, 256
_QUERY_IMPL_INFO_STR = 8
_QUERY_EXEC_ARG_MD = 255
_CPU, _STREAM_IN_ORDER = 1, 1
_STATUS = {1: 'out of memory', 2: 'invalid arguments', 3: 'unimplemented',
           4: 'last implementation reached', 5: 'runtime error', 6: 'not required'}

Dims = ctypes.c_int64 * 12  # dnnl_dims_t


class OneDNNUnavailable(RuntimeError):
    """``libdnnl.so`` could not be loaded (the message says why)."""


class OneDNNError(RuntimeError):
    """A oneDNN call returned an error status."""


class _ExecArg(ctypes.Structure):
    _fields_ = [('arg', ctypes.c_int), ('memory', ctypes.c_void_p)]


_P = ctypes.c_void_p
_PP = ctypes.POINTER(ctypes.c_void_p)
_SIGNATURES = {  # name: argument types (all return dnnl_status_t unless noted below)
    'dnnl_engine_create': [_PP, ctypes.c_int, ctypes.c_size_t],
    'dnnl_stream_create': [_PP, _P, ctypes.c_uint],
    'dnnl_stream_wait': [_P],
    'dnnl_memory_desc_create_with_strides': [_PP, ctypes.c_int, Dims, ctypes.c_int, Dims],
    'dnnl_memory_desc_create_with_tag': [_PP, ctypes.c_int, Dims, ctypes.c_int, ctypes.c_int],
    'dnnl_memory_desc_destroy': [_P],
    'dnnl_memory_desc_equal': [_P, _P],
    'dnnl_memory_desc_get_size': [_P],
    'dnnl_memory_create': [_PP, _P, _P, _P],
    'dnnl_memory_set_data_handle': [_P, _P],
    'dnnl_memory_destroy': [_P],
    'dnnl_primitive_desc_query': [_P, ctypes.c_int, ctypes.c_int, _P],
    'dnnl_primitive_desc_query_md': [_P, ctypes.c_int, ctypes.c_int],
    'dnnl_primitive_desc_destroy': [_P],
    'dnnl_primitive_create': [_PP, _P],
    'dnnl_primitive_execute': [_P, _P, ctypes.c_int, ctypes.POINTER(_ExecArg)],
    'dnnl_primitive_destroy': [_P],
    'dnnl_primitive_attr_create': [_PP],
    'dnnl_primitive_attr_destroy': [_P],
    'dnnl_primitive_attr_set_post_ops': [_P, _P],
    'dnnl_post_ops_create': [_PP],
    'dnnl_post_ops_destroy': [_P],
    'dnnl_post_ops_append_eltwise': [_P, ctypes.c_int, ctypes.c_float, ctypes.c_float],
    'dnnl_reorder_primitive_desc_create': [_PP, _P, _P, _P, _P, _P],
    'dnnl_convolution_forward_primitive_desc_create': [
        _PP, _P, ctypes.c_int, ctypes.c_int, _P, _P, _P, _P, Dims, Dims, Dims, Dims, _P],
    'dnnl_deconvolution_forward_primitive_desc_create': [
        _PP, _P, ctypes.c_int, ctypes.c_int, _P, _P, _P, _P, Dims, Dims, Dims, Dims, _P],
    'dnnl_convolution_backward_weights_primitive_desc_create': [
        _PP, _P, ctypes.c_int, _P, _P, _P, _P, Dims, Dims, Dims, Dims, _P, _P],
    'dnnl_pooling_forward_primitive_desc_create': [
        _PP, _P, ctypes.c_int, ctypes.c_int, _P, _P, Dims, Dims, Dims, Dims, Dims, _P],
    'dnnl_pooling_backward_primitive_desc_create': [
        _PP, _P, ctypes.c_int, _P, _P, Dims, Dims, Dims, Dims, Dims, _P, _P],
    'dnnl_batch_normalization_forward_primitive_desc_create': [
        _PP, _P, ctypes.c_int, _P, _P, ctypes.c_float, ctypes.c_uint, _P],
    'dnnl_batch_normalization_backward_primitive_desc_create': [
        _PP, _P, ctypes.c_int, _P, _P, _P, ctypes.c_float, ctypes.c_uint, _P, _P],
    'dnnl_eltwise_forward_primitive_desc_create': [
        _PP, _P, ctypes.c_int, ctypes.c_int, _P, _P, ctypes.c_float, ctypes.c_float, _P],
    'dnnl_eltwise_backward_primitive_desc_create': [
        _PP, _P, ctypes.c_int, _P, _P, _P, ctypes.c_float, ctypes.c_float, _P, _P],
}
_RESTYPES = {'dnnl_primitive_desc_query_md': _P, 'dnnl_memory_desc_get_size': ctypes.c_size_t,
             'dnnl_memory_desc_equal': ctypes.c_int}


class _Version(ctypes.Structure):
    _fields_ = [('major', ctypes.c_int), ('minor', ctypes.c_int), ('patch', ctypes.c_int),
                ('hash', ctypes.c_char_p), ('cpu_runtime', ctypes.c_uint),
                ('gpu_runtime', ctypes.c_uint)]


def candidate_paths():
    """Where :func:`library` looks for ``libdnnl.so.3``, in order (see the module docstring)."""
    override = os.environ.get(LIBRARY_ENV)
    if override:
        return [override]
    return [os.path.join(sys.prefix, 'lib', SONAME), SONAME]


class Library(object):
    """The loaded ``libdnnl.so`` with its CPU engine and stream.

    Attributes:
        path (str): the file or name that loaded.
        version (str): oneDNN's version, e.g. ``'3.2.0'``.
        engine, stream (int): the handles every primitive uses.
    """

    def __init__(self, path):
        self.path = path
        os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')  # read when libgomp loads
        self._c = ctypes.CDLL(path)
        version = self._c.dnnl_version
        version.restype = ctypes.POINTER(_Version)
        v = version().contents
        self.version = '{}.{}.{}'.format(v.major, v.minor, v.patch)
        if v.major != 3:
            raise OneDNNUnavailable('{} is oneDNN {}; seglearn needs the v3 API'.format(
                path, self.version))
        for name, argtypes in _SIGNATURES.items():
            fn = getattr(self._c, name)
            fn.argtypes = argtypes
            fn.restype = _RESTYPES.get(name, ctypes.c_int)
        self.engine = self.new(self._c.dnnl_engine_create, _CPU, 0)
        self.stream = self.new(self._c.dnnl_stream_create, self.engine, _STREAM_IN_ORDER)
        self.lock = threading.Lock()  # memory objects are re-pointed on every call

    def __getattr__(self, name):
        return getattr(self._c, 'dnnl_' + name)

    def call(self, fn, *args):
        """``fn(*args)``, raising :class:`OneDNNError` on a failing status."""
        status = fn(*args)
        if status:
            raise OneDNNError('{} failed: {}'.format(fn.__name__, _STATUS.get(status, status)))

    def new(self, fn, *args):
        """Calls a ``dnnl_*_create(&handle, ...)`` function and returns the handle."""
        handle = ctypes.c_void_p()
        self.call(fn, ctypes.byref(handle), *args)
        return handle.value

    def descriptors(self):
        """A :class:`Descriptors` maker (use as a context manager)."""
        return Descriptors(self)

    def query_md(self, pd, arg):
        """The memory descriptor the primitive descriptor ``pd`` wants for execute argument
        ``arg`` (owned by ``pd``), or None when it takes no such argument."""
        md = self._c.dnnl_primitive_desc_query_md(pd, _QUERY_EXEC_ARG_MD, arg)
        return md if md and self._c.dnnl_memory_desc_get_size(md) else None

    def impl_name(self, pd):
        """The implementation oneDNN chose for ``pd``, e.g. ``'brg:avx512_core'``."""
        name = ctypes.c_char_p()
        self.call(self._c.dnnl_primitive_desc_query, pd, _QUERY_IMPL_INFO_STR, 0,
                  ctypes.byref(name))
        return name.value.decode()

    def relu_attr(self):
        """Primitive attributes with a ReLU post-op (destroy with ``primitive_attr_destroy``)."""
        post_ops = self.new(self._c.dnnl_post_ops_create)
        try:
            self.call(self._c.dnnl_post_ops_append_eltwise, post_ops, ELTWISE_RELU, 0., 0.)
            attr = self.new(self._c.dnnl_primitive_attr_create)
            self.call(self._c.dnnl_primitive_attr_set_post_ops, attr, post_ops)
        finally:
            self._c.dnnl_post_ops_destroy(post_ops)
        return attr


class Descriptors(object):
    """Makes memory descriptors for creating primitive descriptors, and destroys them all on
    leaving the ``with`` block (a primitive descriptor keeps copies of those it was given).

    Shapes are logical, ``(N, C, H, W)`` for activations and ``(O, I, kh, kw)`` for filters.
    """

    def __init__(self, lib):
        self._lib, self._made = lib, []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        for md in self._made:
            self._lib.memory_desc_destroy(md)

    def _keep(self, fn, *args):
        md = self._lib.new(fn, *args)
        self._made.append(md)
        return md

    def strided(self, shape, strides, dtype=F32):
        """Plain memory with the given strides (in elements)."""
        return self._keep(self._lib.memory_desc_create_with_strides, len(shape), Dims(*shape),
                          dtype, Dims(*strides))

    def plain(self, shape):
        """A C-contiguous float32 array."""
        strides = [1]
        for d in reversed(shape[1:]):
            strides.insert(0, strides[0] * d)
        return self.strided(shape, strides)

    def nhwc(self, shape, dtype=F32):
        """Dense channel-last memory of logical shape (N, C, H, W)."""
        n, c, h, w = shape
        return self.strided(shape, (h * w * c, 1, w * c, c), dtype)

    def any(self, shape):
        """float32 in whatever layout the primitive prefers (``dnnl_format_tag_any``)."""
        return self._keep(self._lib.memory_desc_create_with_tag, len(shape), Dims(*shape), F32,
                          FORMAT_ANY)


class Primitive(object):
    """A created oneDNN primitive and one memory object per execute argument.

    Args:
        lib (Library): the library.
        pd (int): a primitive descriptor, now owned by this object (the memory descriptors
            in :attr:`mds` belong to it).
        args (sequence of int): the execute arguments (``ARG_*``) the caller will pass, in the
            order of :meth:`__call__`'s arrays.

    Attributes:
        mds (dict): argument → the memory descriptor oneDNN chose for it (valid while this
            object lives; compare with :meth:`Library.memory_desc` ones to see if a layout
            needs a reorder).
        sizes (dict): argument → bytes that argument's buffer needs.
        impl (str): the implementation's name.
    """

    def __init__(self, lib, pd, args):
        self.lib = lib
        self._pd = pd
        self.impl = lib.impl_name(pd)
        self.handle = lib.new(lib.primitive_create, pd)
        self.mds, self.sizes, self._memories = {}, {}, []
        for arg in args:
            md = lib.query_md(pd, arg)
            if md is None:
                raise OneDNNError('{} takes no argument {}'.format(self.impl, arg))
            self.mds[arg] = md
            self.sizes[arg] = lib.memory_desc_get_size(md)
            self._memories.append(lib.new(lib.memory_create, md, lib.engine, None))
        self._args = (_ExecArg * len(args))(*[_ExecArg(a, m)
                                              for a, m in zip(args, self._memories)])
        self._set = lib.memory_set_data_handle
        self._execute = lib.primitive_execute
        self._wait = lib.stream_wait

    def __call__(self, *arrays):
        """Runs the primitive on NumPy arrays (or buffers of :func:`empty_buffer`), one per
        argument in the order given to the constructor; each must be laid out as
        :attr:`mds` says (the caller's business: nothing is checked here)."""
        lib = self.lib
        with lib.lock:
            for memory, a in zip(self._memories, arrays):
                self._set(memory, a.__array_interface__['data'][0])
            status = self._execute(self.handle, lib.stream, len(self._memories), self._args)
            if not status:
                status = self._wait(lib.stream)
        if status:
            raise OneDNNError('executing {} failed: {}'.format(
                self.impl, _STATUS.get(status, status)))

    def __del__(self):
        lib = getattr(self, 'lib', None)
        if lib is None:
            return
        for memory in getattr(self, '_memories', ()):
            lib.memory_destroy(memory)
        if getattr(self, 'handle', None):
            lib.primitive_destroy(self.handle)
        lib.primitive_desc_destroy(self._pd)


@functools.lru_cache(maxsize=1)
def library():
    """The loaded :class:`Library` (loaded once).

    Raises:
        OneDNNUnavailable: no candidate path loads, with each path's error.
    """
    errors = []
    for path in candidate_paths():
        try:
            return Library(path)
        except OSError as error:
            errors.append(str(error))
        except OneDNNUnavailable as error:
            errors.append(str(error))
    raise OneDNNUnavailable('; '.join(errors))



def available():
    """Whether ``libdnnl.so`` loads (see :func:`library`)."""
    try:
        library()
    except OneDNNUnavailable:
        return False
    return True

def empty_buffer(nbytes):
    """A 64-byte-aligned uint8 buffer of ``nbytes`` (oneDNN's preferred alignment)."""
    raw = numpy.empty(nbytes + 64, numpy.uint8)
    offset = -raw.ctypes.data % 64
    return raw[offset:offset + nbytes]
