"""Inspect a model: a per-layer table of output shapes and parameter counts, and a total count.

:func:`trace_shapes` runs one forward pass (``train=False``, no backprop graph) on a zero input of
the given shape and records, through a ``chainer.LinkHook``, every link that is called: its path
in the model and its output shape. :func:`summary` prints the leaf links of that trace with their
numbers of parameters. Functions without parameters (ReLU, pooling, concatenation) do not appear.
"""
import chainer
import numpy

from seglearn._checks import is_int


def _is_trainable(param):
    rule = param.update_rule
    return rule is None or rule.enabled


def count_params(model, trainable_only=True):
    """Number of parameters of a link.

    Args:
        model (chainer.Link): any link (initialised: run a forward first for lazily built links).
        trainable_only (bool): count only the parameters an optimizer updates (not those whose
            update rule was disabled). With False, persistent arrays are counted too (batch-norm
            running statistics, FCN's fixed bilinear kernels).

    Returns:
        int: the count.
    """
    if not isinstance(model, chainer.Link):
        raise TypeError('model must be a chainer.Link, got {}'.format(type(model).__name__))
    total = 0
    for param in model.params():
        if param.array is None:
            raise ValueError('parameter {!r} is not initialised yet (lazily built link): run a '
                             'forward pass first'.format(param.name))
        if not trainable_only or _is_trainable(param):
            total += param.size
    if not trainable_only:
        for link in model.links():
            for name in link._persistent:
                value = getattr(link, name)
                if hasattr(value, 'size') and getattr(value, 'ndim', 0) > 0:
                    total += int(value.size)
    return int(total)


def _shape(out):
    """'BxCxHxW' for an array/Variable; several for a tuple/list/dict of them."""
    if isinstance(out, dict):
        return ', '.join('{}: {}'.format(key, _shape(value)) for key, value in out.items())
    if isinstance(out, (tuple, list)):
        return ', '.join(_shape(value) for value in out)
    shape = getattr(out, 'shape', None)
    return '?' if shape is None else 'x'.join(map(str, shape))


class _Recorder(chainer.LinkHook):
    name = 'ShapeRecorder'

    def __init__(self):
        self.calls = []

    def forward_postprocess(self, args):
        self.calls.append((args.link, args.out))


def _check_input_shape(input_shape):
    shape = tuple(input_shape)
    if len(shape) == 3:
        shape = (1,) + shape
    if len(shape) != 4 or not all(is_int(s) and s >= 1 for s in shape):
        raise ValueError('input_shape must be (C, H, W) or (B, C, H, W) positive ints, got '
                         '{!r}'.format(input_shape))
    return shape


def _record(model, input_shape):
    """Run ``model`` once on zeros.

    Returns:
        tuple: the input, the output, and the calls as (name, link, output) in the order they
        return; a link's name is its path without the leading '/', the model's its class name.
    """
    if not isinstance(model, chainer.Link):
        raise TypeError('model must be a chainer.Link, got {}'.format(type(model).__name__))
    x = model.xp.zeros(_check_input_shape(input_shape), dtype=numpy.float32)
    paths = {id(link): path.lstrip('/') for path, link in model.namedlinks(skipself=True)}
    recorder = _Recorder()
    with chainer.using_config('train', False), chainer.no_backprop_mode(), recorder:
        y = model(x)
    return x, y, [(paths.get(id(link), type(link).__name__), link, out)
                  for link, out in recorder.calls]


def _shapes(out):
    """An output's shape as ints: a tuple for one array, a tuple of those for several."""
    if isinstance(out, dict):
        return tuple(_shapes(value) for value in out.values())
    if isinstance(out, (tuple, list)):
        return tuple(_shapes(value) for value in out)
    return tuple(int(s) for s in out.shape)


def trace_shapes(model, input_shape):
    """The links one forward pass calls, with their output shapes, in the order they return.

    A chain's row comes after the rows of the links it calls. Use it to draw or check an
    architecture from the model itself rather than from numbers typed in.

    Args:
        model (chainer.Link): a seglearn model (or any link whose ``forward`` takes one array);
            the zero input is created on the model's device.
        input_shape (tuple of int): ``(C, H, W)`` or ``(B, C, H, W)``.

    Returns:
        list of (str, str, tuple): the link's name as in :func:`summary` (its path in the model,
        ``'down/0/conv1'``; the model itself by its class name), its class name and its output
        shape — a tuple of ints, or a tuple of such tuples for a link that returns several arrays.
    """
    return [(name, type(link).__name__, _shapes(out))
            for name, link, out in _record(model, input_shape)[2]]


def summary(model, input_shape):
    """A table of the layers a forward pass goes through.

    Args:
        model (chainer.Link): a seglearn model (or any link whose ``forward`` takes one array).
        input_shape (tuple of int): ``(C, H, W)`` or ``(B, C, H, W)``.

    Returns:
        str: one row per call of a leaf link (name, type, output shape, #params), then the
        model's output shape and its total and trainable parameter counts.
    """
    x, y, calls = _record(model, input_shape)
    rows = [('name', 'type', 'output shape', 'params')]
    rows += [(name, type(link).__name__, _shape(out),
              '{:,}'.format(sum(p.size for p in link.params() if p.array is not None)))
             for name, link, out in calls
             if not isinstance(link, (chainer.Chain, chainer.ChainList))]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for i, row in enumerate(rows):
        lines.append('  '.join(cell.ljust(w) if j < 3 else cell.rjust(w)
                               for j, (cell, w) in enumerate(zip(row, widths))))
        if i == 0:
            lines.append('-' * len(lines[0]))
    lines.append('-' * len(lines[0]))
    lines.append('{}: input {} -> output {}'.format(
        type(model).__name__, _shape(x), _shape(y)))
    lines.append('parameters: {:,} total, {:,} trainable'.format(
        sum(p.size for p in model.params()), count_params(model)))
    return '\n'.join(lines)
