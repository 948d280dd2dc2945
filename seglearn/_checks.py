"""Argument checks shared by seglearn's modules, so every bad argument reads the same way.

Each check names the argument in its message. ``TypeError`` means the kind of value is wrong (a
float where an int belongs), ``ValueError`` that the value is out of range; :func:`check_pair`
raises ``ValueError`` for both, as the transforms and the sliding windows always did.
"""
import math
import numbers

import numpy


def is_int(value):
    """Whether ``value`` is a Python or NumPy integer (a bool is not an integer here)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, numpy.bool_))


def check_int(name, value, minimum=None, maximum=None):
    """Return ``value`` as a Python int, or raise an error that names the argument.

    Args:
        name (str): the argument's name, for the message.
        value: the value to check (a bool is not an integer here).
        minimum (int or None): the smallest allowed value.
        maximum (int or None): the largest allowed value.

    Returns:
        int

    Raises:
        TypeError: ``value`` is not an integer.
        ValueError: ``value < minimum`` or ``value > maximum``.
    """
    if not is_int(value):
        raise TypeError('{} must be an integer, got {!r} ({})'.format(
            name, value, type(value).__name__))
    if minimum is not None and value < minimum:
        raise ValueError('{} must be >= {}, got {}'.format(name, minimum, value))
    if maximum is not None and value > maximum:
        raise ValueError('{} must be <= {}, got {}'.format(name, maximum, value))
    return int(value)


def check_number(name, value, minimum=None, exclusive=False):
    """Return ``value`` as a float, or raise an error unless it is a finite number in range.

    Args:
        name (str): the argument's name, for the message.
        value: the value to check (a bool is not a number here).
        minimum (float or None): the smallest allowed value.
        exclusive (bool): ``value`` must be above ``minimum``, not equal to it.

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: ``value`` is NaN or infinite, or below (or at, with ``exclusive``) minimum.
    """
    if isinstance(value, (bool, numpy.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError('{} must be a number, got {!r}'.format(name, value))
    if not math.isfinite(value):
        raise ValueError('{} must be a finite number, got {}'.format(name, value))
    if minimum is not None and (value <= minimum if exclusive else value < minimum):
        raise ValueError('{} must be {} {}, got {}'.format(
            name, '>' if exclusive else '>=', minimum, value))
    return float(value)


def check_positive(name, value):
    """:func:`check_number` for a finite number > 0 (a width, a scale)."""
    return check_number(name, value, 0, exclusive=True)


def check_ratio(name, value):
    """Return ``value`` as a float in [0, 1) (a dropout ratio), or raise naming the argument.

    Raises:
        TypeError: ``value`` is not a real number.
        ValueError: ``value`` is NaN or outside [0, 1).
    """
    if isinstance(value, (bool, numpy.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError('{} must be a number, got {!r}'.format(name, value))
    if not 0 <= value < 1:  # False for NaN too
        raise ValueError('{} must be in [0, 1), got {}'.format(name, value))
    return float(value)


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError`` listing them."""
    if value not in choices:
        raise ValueError('{} must be one of {}, got {!r}'.format(
            name, ', '.join(map(repr, choices)), value))
    return value


def check_int_array(name, x):
    """Return the array ``x`` if its dtype is an integer one, else raise ``TypeError`` naming it.

    The one dtype check for label maps, class ids and instance ids (NumPy or CuPy); what values
    are allowed (``-1`` for ignore, ``< n_class``) stays with the caller.
    """
    dtype = getattr(x, 'dtype', None)
    if dtype is None or dtype.kind not in 'iu':
        raise TypeError('{} must be an integer array; got {}. Take the argmax of scores, or cast '
                        'ids with .astype(numpy.int32)'.format(
                            name, type(x).__name__ if dtype is None else 'dtype {}'.format(dtype)))
    return x


def int_tuple(value, length, minimum=None):
    """An int (repeated) or a sequence of ``length`` ints, each >= ``minimum``, as a tuple.

    Returns:
        tuple of int, or None when ``value`` is not of that form.
    """
    values = (value,) * length if is_int(value) else value
    if not isinstance(values, (tuple, list)) or len(values) != length:
        return None
    if not all(is_int(v) and (minimum is None or v >= minimum) for v in values):
        return None
    return tuple(int(v) for v in values)


def check_pair(name, value, minimum=1):
    """``(h, w)`` from an int or a pair of ints >= ``minimum``; ``ValueError`` for anything else."""
    pair = int_tuple(value, 2, minimum)
    if pair is None:
        raise ValueError('{} must be an int or an (h, w) pair of ints >= {}; got {!r}'.format(
            name, minimum, value))
    return pair


def check_size(size, minimum=1, name='size'):
    """``(h, w)`` from an int or a pair of ints, each side at least ``minimum`` pixels.

    Raises:
        TypeError: ``size`` is neither an int nor a pair of ints.
        ValueError: A side is smaller than ``minimum``.
    """
    pair = int_tuple(size, 2)
    if pair is None:
        raise TypeError('{} must be an int or a pair (h, w) of ints, got {!r}'.format(name, size))
    if min(pair) < minimum:
        raise ValueError('{} must be at least {} pixels per side, got {!r}'
                         .format(name, minimum, size))
    return pair


def pair(value):
    """``(value, value)``, or ``tuple(value)`` for a sequence: Chainer's reading of ``ksize``,
    ``stride`` and ``pad`` (no check)."""
    return tuple(value) if hasattr(value, '__getitem__') else (value, value)
