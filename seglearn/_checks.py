"""Argument checks shared by seglearn's modules, so every bad argument reads the same way."""
import numbers


def check_int(name, value, minimum=None):
    """Return ``value`` as a Python int, or raise an error that names the argument.

    Args:
        name (str): the argument's name, for the message.
        value: the value to check (a bool is not an integer here).
        minimum (int or None): the smallest allowed value.

    Returns:
        int

    Raises:
        TypeError: ``value`` is not an integer.
        ValueError: ``value < minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError('{} must be an integer, got {!r} ({})'.format(
            name, value, type(value).__name__))
    if minimum is not None and value < minimum:
        raise ValueError('{} must be >= {}, got {}'.format(name, minimum, value))
    return int(value)
