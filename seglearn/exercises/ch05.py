"""Chapter 05 (Reading FCN): coordinate maps, receptive fields, fc layers as convolutions."""
from fractions import Fraction

import numpy

from seglearn import arithmetic
from seglearn.arithmetic import Conv, Crop, Deconv, Pool
from seglearn.exercises.core import (Case, Exercise, Property, allclose, expect_sequence,
                                     format_value, is_real, register)
from seglearn.models import fcn
from seglearn.messages import gettext


# --------------------------------------------------------------------------- coordinate maps

def _compare_map(expected, actual):
    """(a, b) pairs: any two real numbers (Fraction, float, int) within 1e-9 of the expected."""
    msg = expect_sequence(actual, 2)
    if msg:
        return msg + ' (a, b)'
    for name, e, a in zip('ab', expected, actual):
        if not is_real(a):
            return gettext('{} must be a number, got {}').format(name, format_value(a, short=True))
        if abs(float(a) - float(e)) > 1e-9:
            return gettext('{} = {} is wrong').format(name, format_value(a, short=True))
    return None


def _random_stack(rng, kinds=(Conv, Pool, Deconv, Crop), n_max=6):
    layers = []
    for _ in range(int(rng.randint(1, n_max + 1))):
        kind = kinds[int(rng.randint(len(kinds)))]
        if kind is Crop:
            layers.append(Crop(int(rng.randint(0, 20))))
        else:
            k = int(rng.randint(1, 8))
            layers.append(kind(k, int(rng.randint(1, 4)), int(rng.randint(0, 4))))
    return layers


def _random_maps(rng):
    return [(_random_stack(rng),) for _ in range(25)]


def _fcn32s_stack():
    return list(fcn.FCN_VGG16_LAYERS['score_fr']) + list(fcn.FCN_UPSAMPLING['fcn32s'])


def _maps_compose(fn):
    """Mapping a stack in two halves and composing the halves by hand gives the whole map."""
    rng = numpy.random.RandomState(5)
    for _ in range(10):
        first, second = _random_stack(rng, n_max=3), _random_stack(rng, n_max=3)
        a1, b1 = (Fraction(v).limit_denominator(10 ** 6) for v in fn(first))
        a2, b2 = (Fraction(v).limit_denominator(10 ** 6) for v in fn(second))
        a, b = (float(v) for v in fn(first + second))
        if abs(a - float(a1 * a2)) > 1e-9 or abs(b - float(a1 * b2 + b1)) > 1e-9:
            return (gettext('map(first + second) = ({}, {}) but composing map(first) = ({}, {}) '
                            'with map(second) = ({}, {}) gives ({}, {}); first = {}, second = '
                            '{}').format(
                        a, b, a1, b1, a2, b2, float(a1 * a2), float(a1 * b2 + b1), first, second))
    return None


COMPOSE_COORD_MAP_STUB = '''
def compose_coord_map(layers):
    """Coordinate map of a layer stack: x_in = a * x_out + b.

    Args:
        layers: list of seglearn.arithmetic layers, input first: Conv(ksize, stride, pad),
            Pool(ksize, stride, pad), Deconv(ksize, stride, pad) or Crop(offset); read them as
            layer.ksize, layer.stride, layer.pad, layer.offset (isinstance tells the kind).

    Returns:
        (a, b): numbers (fractions.Fraction or float) with x_in = a * x_out + b.
    """
    raise NotImplementedError  # your code here
'''


def _map_wrong_order(layers):
    a, b = Fraction(1), Fraction(0)
    for layer in layers:
        la, lb = arithmetic.coordinate_map([layer])
        a, b = a * la, la * b + lb
    return a, b


def _map_half_kernel(layers):
    a, b = Fraction(1), Fraction(0)
    for layer in layers:
        if isinstance(layer, Crop):
            la, lb = Fraction(1), Fraction(layer.offset)
        else:
            centre = Fraction(layer.ksize, 2) - layer.pad
            if isinstance(layer, Deconv):
                la, lb = Fraction(1, layer.stride), -centre / layer.stride
            else:
                la, lb = Fraction(layer.stride), centre
        a, b = a * la, a * lb + b
    return a, b


def _map_deconv_as_conv(layers):
    swapped = [Conv(*layer) if isinstance(layer, Deconv) else layer for layer in layers]
    return arithmetic.coordinate_map(swapped)


register(Exercise(
    name='compose_coord_map',
    chapter='ch05',
    title='coordinate map x_in = a·x_out + b of a layer stack',
    reference=lambda layers: arithmetic.coordinate_map(layers),
    stub=COMPOSE_COORD_MAP_STUB,
    forbidden=[arithmetic.coordinate_map, arithmetic.crop_offset, arithmetic.jump],
    cases=[
        Case([], _label='compose_coord_map([])  (no layer: the identity)'),
        ([Conv(3, 1, 1)],),
        ([Conv(3, 1, 100)],),
        ([Pool(2, 2, 0)],),
        Case([Deconv(4, 2, 0)], _hint='A transposed convolution maps the other way: invert the '
                                      'map of the convolution with the same k, s, p.'),
        ([Crop(5)],),
        ([Pool(2, 2, 0), Pool(2, 2, 0)],),
        Case(_fcn32s_stack(), _label='compose_coord_map(VGG16-FCN with pad=100 + Deconv(64, 32))',
             _hint='The FCN-32s stack must give (1, -19): the crop offset is 19.'),
    ],
    random_cases=_random_maps,
    compare=_compare_map,
    properties=[Property('mapping two halves and composing them equals mapping the whole',
                         _maps_compose,
                         hint='x1 = a1·x2 + b1 and x2 = a2·x3 + b2 give x1 = (a1·a2)·x3 + '
                              '(a1·b2 + b1).')],
    hint='Per layer: conv/pool x_in = s·x_out + (k − 1)/2 − p; transposed conv is its inverse; '
         'crop x_in = x_out + c. Then compose from the input side.',
    mistakes=[
        (_map_wrong_order, 'The maps are composed in the wrong order: the input-side map is the '
                           'outer function, x1 = a1·(a2·x3 + b2) + b1.'),
        (_map_half_kernel, 'The centre of a k-pixel window starting at 0 is (k − 1)/2, not k/2.'),
        (_map_deconv_as_conv, 'A transposed convolution goes from small to large: its map is the '
                              'inverse of the convolution map, x_in = (x_out − ((k−1)/2 − p))/s.'),
    ],
))


# --------------------------------------------------------------------------- receptive field

def _random_fields(rng):
    return [(_random_stack(rng, kinds=(Conv, Pool), n_max=8),) for _ in range(25)]


STACK_RECEPTIVE_FIELD_STUB = '''
def stack_receptive_field(layers):
    """Receptive field of a stack of convolutions and poolings.

    Args:
        layers: list of seglearn.arithmetic Conv(ksize, stride, pad) / Pool(ksize, stride, pad),
            input first.

    Returns:
        int: how many input pixels (along one axis) one output pixel depends on.
    """
    raise NotImplementedError  # your code here
'''


def _rf_no_stride(layers):
    return 1 + sum(layer.ksize - 1 for layer in layers)


def _rf_jump_after(layers):
    field, jump = 1, 1
    for layer in layers:
        jump *= layer.stride
        field += (layer.ksize - 1) * jump
    return field


def _rf_product(layers):
    field = 1
    for layer in layers:
        field *= layer.ksize
    return field


register(Exercise(
    name='stack_receptive_field',
    chapter='ch05',
    title='receptive field of a conv/pool stack',
    reference=lambda layers: arithmetic.receptive_field(layers),
    stub=STACK_RECEPTIVE_FIELD_STUB,
    forbidden=[arithmetic.receptive_field],
    cases=[
        Case([], _label='stack_receptive_field([])  (no layer: 1 pixel)'),
        ([Conv(3, 1, 1)] * 3,),
        ([Pool(2, 2, 0)],),
        Case([Conv(3, 2, 1), Conv(3, 2, 1)],
             _hint='The second conv sees 3 pixels of its input, and those are 2 image pixels '
                   'apart.'),
        Case(list(fcn.FCN_VGG16_LAYERS['pool5']),
             _label='stack_receptive_field(VGG16 to pool5)'),
        Case(list(fcn.FCN_VGG16_LAYERS['score_fr']),
             _label='stack_receptive_field(VGG16-FCN to score_fr)'),
    ],
    random_cases=_random_fields,
    hint='Keep the jump (product of the strides so far); a layer with kernel k adds (k − 1)·jump, '
         'with the jump of its input.',
    mistakes=[
        (_rf_no_stride, 'Strides matter: after a stride-2 layer one pixel of the map is two input '
                        'pixels.'),
        (_rf_jump_after, "Use the jump of the layer's input (the strides before it), not including "
                         'its own stride.'),
        (_rf_product, 'Fields grow by addition, (k − 1)·jump per layer, not by multiplying '
                      'kernels.'),
    ],
))


# --------------------------------------------------------------------------- fc -> conv

def _fc_to_conv_reference(W, in_channels, ksize):
    W = numpy.asarray(W)
    return W.reshape(W.shape[0], in_channels, ksize, ksize)


def _random_fc(rng):
    cases = []
    for _ in range(10):
        c, k, out = int(rng.randint(1, 6)), int(rng.randint(1, 5)), int(rng.randint(1, 7))
        cases.append((rng.randn(out, c * k * k).astype(numpy.float32), c, k))
    return cases


def _fc_equivalent(fn):
    """The convolution with the returned kernel reproduces the linear layer, also slid."""
    import chainer.functions as F
    rng = numpy.random.RandomState(3)
    c, k, out = 3, 4, 5
    W = rng.randn(out, c * k * k).astype(numpy.float32)
    kernel = numpy.asarray(fn(W.copy(), c, k), dtype=numpy.float32)
    if kernel.shape != (out, c, k, k):
        return gettext('expected shape {}, got {}').format((out, c, k, k), kernel.shape)
    x = rng.randn(1, c, k + 2, k + 3).astype(numpy.float32)
    y = F.convolution_2d(x, kernel).array[0]
    for i in range(3):
        for j in range(4):
            window = x[0, :, i:i + k, j:j + k].reshape(-1)
            if not numpy.allclose(y[:, i, j], W @ window, atol=1e-4):
                return (gettext('the convolution at output ({}, {}) differs from the linear layer '
                          'applied to the window x[:, {}:{}, {}:{}]').format(
                            i, j, i, i + k, j, j + k))
    return None


FC_TO_CONV_STUB = '''
def fc_to_conv(W, in_channels, ksize):
    """Kernel of the convolution equivalent to a fully connected layer.

    Args:
        W: float32 array (out, in_channels * ksize * ksize), the weight of a chainer Linear layer
            that reads a (in_channels, ksize, ksize) map flattened with reshape(-1).
        in_channels, ksize: ints.

    Returns:
        float32 array (out, in_channels, ksize, ksize).
    """
    raise NotImplementedError  # your code here
'''

register(Exercise(
    name='fc_to_conv',
    chapter='ch05',
    title='fully connected weight → convolution kernel',
    reference=_fc_to_conv_reference,
    stub=FC_TO_CONV_STUB,
    cases=[
        Case(numpy.arange(2 * 12, dtype=numpy.float32).reshape(2, 12), 3, 2,
             _label='fc_to_conv(arange(24).reshape(2, 12), in_channels=3, ksize=2)'),
        Case(numpy.arange(8, dtype=numpy.float32).reshape(4, 2), 2, 1,
             _label='fc_to_conv(arange(8).reshape(4, 2), in_channels=2, ksize=1)  (fc7: 1×1)'),
        Case(numpy.arange(18, dtype=numpy.float32).reshape(2, 9), 1, 3,
             _label='fc_to_conv(arange(18).reshape(2, 9), in_channels=1, ksize=3)'),
    ],
    random_cases=_random_fc,
    compare=allclose(rtol=0, atol=1e-6),
    properties=[Property('the convolution reproduces the linear layer on every 4×4 window',
                         _fc_equivalent)],
    hint='Chainer flattens (C, H, W) in C order: input index j = c·k·k + u·k + v. Which reshape '
         'puts W[o, j] at kernel[o, c, u, v]?',
    mistakes=[
        (lambda W, c, k: numpy.asarray(W).reshape(len(W), k, k, c).transpose(0, 3, 1, 2),
         'That is the channels-last (H, W, C) flattening of Keras/TensorFlow; Chainer flattens '
         '(C, H, W).'),
        (lambda W, c, k: numpy.asarray(W).reshape(len(W), c, k, k).transpose(0, 1, 3, 2),
         'Rows and columns are swapped: index u·k + v has u (the row) first.'),
        (lambda W, c, k: numpy.asarray(W).T.reshape(len(W), c, k, k),
         'Transposing W mixes weights of different outputs; W already has one row per output.'),
    ],
))
