"""A CPU stand-in for a GPU that refuses what a GPU refuses: mixing host and device arrays.

``run_chapters --device fake`` sets each chapter's ``DEVICE`` to :func:`install`'s device, so
every chapter runs on the CPU at its CPU sizes while the cells are held to the GPU's rules:

* arrays sent to the device (``device.send``, ``concat_examples(…, device)``, a link's
  ``to_device``) become :class:`DeviceArray`, an ``ndarray`` subclass; sending them back to the
  CPU (``to_numpy``, ``to_cpu``) gives plain arrays again;
* a Chainer function (``F.*``, a Variable's arithmetic) called from a notebook cell with inputs
  that mix plain and device arrays raises :class:`HostDeviceMix`, as CuPy would; so does a link
  (a model) called from a cell with arrays on the other side of its parameters, and a NumPy
  operation written in a cell that mixes them (``logits.array == t``);
* a link called from a notebook cell whose parameters (or persistent arrays, such as a fixed
  bilinear kernel) were never sent anywhere (no ``to_device``/``to_cpu``) raises too: on a GPU
  it would silently run on the CPU. A cell that means to use the CPU says so with
  ``model.to_device('@numpy')``.

Only what a cell calls is checked: inside the package and inside the methods of models that a
notebook defines, xp-agnostic code makes its arrays with ``xp = get_array_module(x)`` or
``self.xp``, which is NumPy here (plain arrays) and CuPy on a GPU, so checking there would flag
correct code; ``tests/test_gpu.py`` checks the package on a real GPU.
Zero-dimensional arrays and scalars mix freely (CuPy takes NumPy scalars). Device arrays take
seglearn's fast CPU kernels like plain ones (:func:`seglearn.functions.use_fast_path` sees them as
NumPy), so a chapter runs about as fast as on ``'@numpy'``.
"""
import os
import sys

import chainer
import numpy
from chainer.backends import _cpu

from seglearn import functions


class HostDeviceMix(RuntimeError):
    """A host array met a device array, or a model that was never sent ran on the host."""


class DeviceArray(numpy.ndarray):
    """A NumPy array that stands for an array on the device."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if _in_notebook(sys._getframe(1)):
            _refuse_mix('numpy.{}'.format(ufunc.__name__), inputs + kwargs.get('out', ()))
        plain = _plain(inputs)
        if 'out' in kwargs:
            kwargs['out'] = _plain(kwargs['out'])
        return _device(getattr(ufunc, method)(*plain, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        flat = _flatten(args) + _flatten(list(kwargs.values()))
        if _in_notebook(sys._getframe(1)):
            _refuse_mix('numpy.{}'.format(func.__name__), flat)
        return _device(func(*_plain(args), **_plain(kwargs)))


def _flatten(items):
    out = []
    for item in items:
        out += _flatten(item) if isinstance(item, (list, tuple)) else [item]
    return out


def _plain(x):
    """x (or the arrays in a list, tuple or dict) as plain NumPy."""
    if isinstance(x, DeviceArray):
        return x.view(numpy.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


def _device(x):
    """Results of an operation on device arrays are device arrays (tuples of them too)."""
    if isinstance(x, tuple):
        return tuple(_device(v) for v in x)
    if isinstance(x, list):
        return [_device(v) for v in x]
    return x.view(DeviceArray) if type(x) is numpy.ndarray else x


class FakeDevice(_cpu.CpuDevice):
    """The stand-in device: NumPy arrays, marked as :class:`DeviceArray` when sent to it."""

    name = '@fake'

    def __eq__(self, other):
        return isinstance(other, FakeDevice)

    def __hash__(self):
        return hash(FakeDevice)

    def __repr__(self):
        return '<FakeDevice (NumPy arrays held to the GPU rules)>'

    def send_array(self, array):
        return numpy.array(_plain(_cpu._array_to_cpu(array)), copy=True).view(DeviceArray)


def _in_notebook(frame):
    """Whether a frame runs a cell's own code, not the inside of a model the notebook defines
    (whose ``self.xp.asarray(...)`` is NumPy here and CuPy on a GPU, like the package's)."""
    name = frame.f_code.co_filename
    return (('ipykernel_' in name or name.startswith('<ipython-input'))
            and not isinstance(frame.f_locals.get('self'), chainer.Link))


_CHAINER = os.path.dirname(chainer.__file__) + os.sep
BACKPROP = os.sep + '_backprop.py'


def _called_from_notebook(frame):
    """Whether the code that called into Chainer (past Chainer's own frames) is a cell; not
    during backpropagation, whose operations Chainer makes from the forward pass's arrays."""
    while frame is not None and (frame.f_code.co_filename.startswith(_CHAINER)
                                 or frame.f_code.co_filename == __file__):
        if frame.f_code.co_filename.endswith(BACKPROP):
            return False
        frame = frame.f_back
    return frame is not None and _in_notebook(frame)


def _describe(x):
    kind = 'DEVICE' if isinstance(x, DeviceArray) else 'host (NumPy)'
    return '{} {}{}'.format(kind, x.dtype, list(x.shape))


def _refuse_mix(what, arrays):
    arrays = [a.array if isinstance(a, chainer.Variable) else a for a in arrays]
    arrays = [a for a in arrays if isinstance(a, numpy.ndarray) and a.ndim > 0]
    on_device = [isinstance(a, DeviceArray) for a in arrays]
    if any(on_device) and not all(on_device):
        raise HostDeviceMix('{} mixes host and device arrays ({}): send every array to DEVICE '
                            '(device.send(x)) or bring results back with to_numpy'.format(
                                what, ', '.join(_describe(a) for a in arrays)))


class _RefuseMixedInputs(chainer.FunctionHook):
    name = 'refuse_mixed_inputs'

    def forward_preprocess(self, function, in_data):
        if _called_from_notebook(sys._getframe(1)):
            _refuse_mix('chainer function {}'.format(function.label), in_data)


class _RefuseUnsentModels(chainer.LinkHook):
    name = 'refuse_unsent_models'

    def forward_preprocess(self, args):
        if not _called_from_notebook(sys._getframe(1)):
            return
        arrays = [p.array for p in args.link.params()] + [
            value for link in args.link.links() for value in
            (getattr(link, name) for name in link._persistent)
            if isinstance(value, numpy.ndarray)]  # a fixed bilinear kernel, BN statistics
        if not getattr(args.link, '_placed', False):
            if arrays and not any(isinstance(a, DeviceArray) for a in arrays):
                raise HostDeviceMix(
                    '{} is run in the notebook but was never sent to DEVICE: call '
                    'model.to_device(device) after building it (or model.to_device("@numpy") '
                    'to run it on the CPU on purpose)'.format(type(args.link).__name__))
        _refuse_mix('{}(…) with its parameters'.format(type(args.link).__name__),
                    list(args.args) + list(args.kwargs.values()) + arrays[:1])


def _marking_placement(method):
    def placed(self, *args, **kwargs):
        for link in self.links() if isinstance(self, chainer.Link) else ():
            link._placed = True
        return method(self, *args, **kwargs)
    return placed


def _device_of(original):
    def device_from_array(*arrays):
        if arrays and isinstance(arrays[0], DeviceArray):
            return FakeDevice()
        return original(*arrays)
    return device_from_array


def _to_host(original):
    def array_to_cpu(array):
        return original(_plain(array))
    return array_to_cpu


def _outputs_follow_inputs(apply):
    """A function of device arrays gives device arrays, whichever CPU kernel computed them (the
    fast CPU kernels write into plain NumPy buffers)."""
    def wrapped(self, inputs):
        outputs = apply(self, inputs)
        if any(isinstance(x.array if isinstance(x, chainer.Variable) else x, DeviceArray)
               for x in inputs):
            for y in outputs:
                if type(y.array) is numpy.ndarray:
                    y.array = y.array.view(DeviceArray)
        return outputs
    return wrapped


def _fast_path_for_device_arrays(original):
    def use_fast_path(*arrays):
        return original(*(_plain(a.array if isinstance(a, chainer.Variable) else a)
                          for a in arrays))
    return use_fast_path


def install():
    """Patch Chainer for the fake device in this process and return the device.

    Returns:
        FakeDevice: use it as ``DEVICE``.
    """
    if not getattr(chainer, '_fake_device_installed', False):
        chainer.backend.get_device_from_array = _device_of(chainer.backend.get_device_from_array)
        _cpu._array_to_cpu = _to_host(_cpu._array_to_cpu)
        functions.use_fast_path = _fast_path_for_device_arrays(functions.use_fast_path)
        chainer.FunctionNode.apply = _outputs_follow_inputs(chainer.FunctionNode.apply)
        # on DeviceResident itself: Chainer takes a to_device that differs from it for a legacy
        # override and then leaves link.device unset
        resident = chainer.device_resident.DeviceResident
        resident.to_device = _marking_placement(resident.to_device)
        resident.to_cpu = _marking_placement(resident.to_cpu)
        _RefuseMixedInputs().__enter__()
        _RefuseUnsentModels().__enter__()
        chainer._fake_device_installed = True
    return FakeDevice()
