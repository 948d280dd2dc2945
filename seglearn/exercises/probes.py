"""Probes for answers that are not plain functions: a ``chainer.Chain`` class, a loss, CuPy paths.

A probe runs where the answer runs (:mod:`seglearn.exercises.sandbox`) and returns what it
observed as plain values; the checker runs the same probe on the reference in its own process and
compares the two observations there (:func:`compare_networks`, :func:`compare_losses`). Networks
are compared by behaviour: every parameter gets a value computed from its *name* and shape, so a
learner's network whose parameters have the names the stub asks for gets the same weights as the
reference, and its output must then be the reference's.
"""
import zlib

import chainer
import chainer.functions as F
import numpy

from seglearn import backend
from seglearn.exercises.core import (Skip, allclose, expect_array, format_value, to_numpy,
                                     type_name)
from seglearn.messages import gettext, gettext_noop

_NO_GPU = gettext_noop('no CUDA device here; the GPU path is checked where CuPy sees one')


def parameter_value(name, shape):
    """The deterministic value a probe gives parameter ``name`` (float32, of ``shape``):
    N(0, 1/fan_in) for weights, 1 + N(0, 0.01) for a batch-norm scale, N(0, 0.01) otherwise."""
    rng = numpy.random.RandomState(zlib.crc32(name.encode()))
    values = rng.standard_normal(shape)
    if len(shape) >= 2:
        values /= numpy.sqrt(numpy.prod(shape[1:]))
    else:
        values = 0.1 * values + (1.0 if name.endswith('gamma') else 0.0)
    return values.astype(numpy.float32)


def _devices(device):
    if device == '@numpy':
        return chainer.get_device('@numpy')
    if not backend.cupy_available():
        return None
    return chainer.get_device(device)


def network(cls, ctor_args, forward_args, fresh=False, device='@numpy'):
    """Build ``cls(*ctor_args)``, run ``forward(*forward_args)`` in training mode and
    backpropagate a fixed random projection of the output.

    Args:
        cls: the network class (the answer or the reference).
        ctor_args (tuple): constructor arguments.
        forward_args (tuple): NumPy arrays (sent to the device as Variables) and other
            arguments of forward.
        fresh (bool): keep the initial weights (to check an initialisation) instead of giving
            every parameter :func:`parameter_value`.
        device (str): ``'@numpy'`` or ``'@cupy:0'`` (then ``{'skipped': why}`` without a GPU).

    Returns:
        dict: ``params`` (sorted ``[name, shape]`` pairs), ``output`` (NumPy array),
        ``no_grad`` (names of parameters no gradient reached), or ``error`` (a message about
        what the answer built or returned).
    """
    dev = _devices(device)
    if dev is None:
        return {'skipped': gettext(_NO_GPU)}
    net = cls(*ctor_args)
    if not isinstance(net, chainer.Link):
        return {'error': gettext('{}(...) built a {}, not a chainer.Chain').format(
            getattr(cls, '__name__', gettext('the class')), type_name(net))}
    params = sorted(net.namedparams(), key=lambda item: item[0])
    for name, param in params:
        if param.array is None:
            return {'error': gettext('parameter {} has no value after __init__: give its layer '
                                     'the input channels so it is built at once').format(name)}
        if not fresh:
            param.array[...] = parameter_value(name, param.shape)
    net.to_device(dev)
    # arrays go in as Variables, as features inside a network do (Chainer 7.8.1's transposed
    # convolution cannot backpropagate to its weights alone when its input is a plain array)
    inputs = [chainer.Variable(dev.send(a)) if isinstance(a, numpy.ndarray) else a
              for a in forward_args]
    with chainer.using_config('train', True), chainer.using_config('enable_backprop', True):
        y = net(*inputs)
    if not isinstance(y, chainer.Variable):
        if not isinstance(y, dev.xp.ndarray):
            return {'error': gettext('forward returned {}, not one array').format(type_name(y))}
        y = chainer.Variable(y)
    if y.dtype != numpy.float32:
        return {'error': gettext('forward returned dtype {}, not float32').format(y.dtype)}
    out = {'params': [[name, list(param.shape)] for name, param in params],
           'output': to_numpy(y.array)}
    projection = numpy.random.RandomState(1).standard_normal(y.shape).astype(y.dtype)
    net.cleargrads()
    F.sum(y * dev.send(projection)).backward()
    out['no_grad'] = [name for name, param in params
                      if param.grad is None or not bool((param.grad != 0).any())]
    return out


def network_on_both(cls, ctor_args, forward_args):
    """:func:`network` on the CPU and on the GPU (``{'skipped': why}`` without a GPU, before
    the answer runs at all)."""
    if _devices('@cupy:0') is None:
        return {'skipped': gettext(_NO_GPU)}
    return {'cpu': network(cls, ctor_args, forward_args),
            'gpu': network(cls, ctor_args, forward_args, device='@cupy:0')}


def compare_networks(expected, actual, *case_args):
    """None when the observed network matches the reference's: same parameter names and
    shapes, same output (given the same weights), a gradient reaching every parameter."""
    if 'error' in actual:
        return actual['error']
    if actual['params'] != expected['params']:
        return _param_difference(expected['params'], actual['params'])
    msg = expect_array(actual['output'], expected['output'].shape, expected['output'].dtype)
    if msg:
        return gettext('the output: ') + msg
    msg = allclose(rtol=1e-4, atol=1e-4)(expected['output'], actual['output'])
    if msg:
        return (gettext('with the same weights, the output differs from the reference\'s: ') + msg)
    if actual['no_grad']:
        return gettext('no gradient reaches {} (is it used in forward?)').format(
            ', '.join(actual['no_grad']))
    return None


def _param_difference(expected, actual):
    want = {name: tuple(shape) for name, shape in expected}
    have = {name: tuple(shape) for name, shape in actual}
    parts = []
    missing = [n for n in want if n not in have]
    extra = [n for n in have if n not in want]
    if missing:
        parts.append(gettext('missing {}').format(', '.join('{} {}'.format(n, want[n])
                                                      for n in missing)))
    if extra:
        parts.append(gettext('unexpected {}').format(', '.join('{} {}'.format(n, have[n])
                                                      for n in extra)))
    parts += [gettext('{} has shape {}, expected {}').format(n, have[n], want[n])
              for n in want if n in have and have[n] != want[n]]
    return (gettext('the parameters differ from what the stub asks for ({} in all, expected {}): '
                    '{}')
            .format(sum(int(numpy.prod(s)) for s in have.values()),
                    sum(int(numpy.prod(s)) for s in want.values()), '; '.join(parts)))


def same_network_on_gpu(fn, ctor_args, forward_args):
    """A property test: the answer's network gives the same output on CuPy (Skip without a
    GPU)."""
    both = fn.probe(network_on_both, ctor_args, forward_args)
    if 'skipped' in both:
        raise Skip(both['skipped'])
    for key in ('cpu', 'gpu'):
        if 'error' in both[key]:
            return both[key]['error']
    msg = allclose(rtol=1e-4, atol=1e-4)(both['cpu']['output'], both['gpu']['output'])
    return gettext('on CuPy the output differs from NumPy\'s: ') + msg if msg else None


# --------------------------------------------------------------------------- losses

def loss(fn, logits, labels, weight_map, device='@numpy'):
    """Call ``fn(Variable(logits), labels, weight_map)`` and backpropagate the loss.

    Returns:
        dict: ``value`` (float), ``dtype`` (str), ``grad`` (the logits' gradient, a NumPy array,
        or None), or ``error``.
    """
    dev = _devices(device)
    if dev is None:
        return {'skipped': gettext(_NO_GPU)}
    x = chainer.Variable(dev.send(logits))
    out = fn(x, dev.send(labels), dev.send(weight_map))
    if not isinstance(out, chainer.Variable):
        return {'error': gettext('expected a chainer.Variable (so that backward() can run), got '
                                 '{} {}')
                .format(type_name(out), format_value(out, short=True))}
    if out.size != 1:
        return {'error': gettext('expected a scalar loss, got shape {}').format(out.shape)}
    F.sum(out).backward()
    return {'value': float(out.array), 'dtype': str(out.dtype),
            'grad': None if x.grad is None else to_numpy(x.grad)}


def loss_on_both(fn, logits, labels, weight_map):
    """:func:`loss` on the CPU and on the GPU (``{'skipped': why}`` without a GPU)."""
    if _devices('@cupy:0') is None:
        return {'skipped': gettext(_NO_GPU)}
    return {'cpu': loss(fn, logits, labels, weight_map),
            'gpu': loss(fn, logits, labels, weight_map, device='@cupy:0')}


def compare_losses(expected, actual, *case_args):
    """None when the observed loss has the reference's value, dtype and gradient."""
    if 'error' in actual:
        return actual['error']
    if actual['dtype'] != expected['dtype']:
        return gettext('expected a {} loss, got {}').format(expected['dtype'], actual['dtype'])
    msg = allclose(rtol=1e-4, atol=1e-5)(expected['value'], actual['value'])
    if msg:
        return gettext('the loss is {:.6g}, expected '
                       '{:.6g}').format(actual['value'], expected['value'])
    if actual['grad'] is None:
        return gettext('no gradient reaches the logits (did the loss go through .array or NumPy?)')
    msg = allclose(rtol=1e-3, atol=1e-5)(expected['grad'], actual['grad'])
    return gettext('the gradient with respect to the logits differs: ') + msg if msg else None


def same_loss_on_gpu(fn, logits, labels, weight_map):
    """A property test: the loss and its gradient are the same on CuPy (Skip without a GPU)."""
    both = fn.probe(loss_on_both, logits, labels, weight_map)
    if 'skipped' in both:
        raise Skip(both['skipped'])
    return compare_losses(both['cpu'], both['gpu'])


# --------------------------------------------------------------------------- array functions

def on_cupy(fn, *args):
    """Call ``fn`` with the NumPy arrays of ``args`` sent to the GPU; ``{'module': …, 'value':
    …}``, a CuPy answer brought to NumPy (``{'skipped': why}`` without a GPU, before the answer
    runs)."""
    dev = _devices('@cupy:0')
    if dev is None:
        return {'skipped': gettext(_NO_GPU)}
    out = fn(*[dev.send(a) if isinstance(a, numpy.ndarray) else a for a in args])
    return {'module': type(out).__module__.split('.')[0], 'value': to_numpy(out)}


def same_on_cupy(fn, reference, *args):
    """A property test: given CuPy arrays, ``fn`` returns a CuPy array equal to the reference's
    answer on NumPy (Skip without a GPU)."""
    out = fn.probe(on_cupy, *args)
    if 'skipped' in out:
        raise Skip(out['skipped'])
    if out['module'] != 'cupy':
        return gettext('given CuPy arrays it returned a {} value, not a CuPy array').format(
            out['module'])
    msg = allclose(rtol=1e-5, atol=1e-6)(reference(*args), out['value'])
    return gettext('on CuPy arrays the values differ from NumPy\'s: ') + msg if msg else None
