"""Saving and loading models: a model file rebuilds its model; files are never seen half-written.

* :func:`save_model` / :func:`load_model` — ``chainer.serializers.save_npz`` plus a header with
  the model's class and constructor arguments, so a file alone rebuilds the model.
* :func:`atomic_save` — write any file through a temporary file renamed into place (also used for
  trainer snapshots, :class:`seglearn.training.AtomicWriter`).
"""
import importlib
import inspect
import json
import os
import tempfile
import warnings

import chainer
import numpy

from seglearn import backend

HEADER_KEY = '_seglearn_header'


class UnrecordedArgumentWarning(UserWarning):
    """:func:`save_model` could not read a constructor argument and records its default."""


def atomic_save(path, write):
    """Write a file so that it is never seen half-written.

    ``write(f)`` writes into a temporary file opened in binary mode in the target's folder; the
    file is then flushed to disk and renamed over ``path`` with ``os.replace`` (atomic). If
    ``write`` raises (or the process dies) the previous file at ``path`` is left untouched and the
    temporary file is removed (when the process survives).

    Args:
        path (str): target file.
        write (callable): ``write(file_object)``.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp',
                               dir=folder)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _constructor_kwargs(model, given):
    """Constructor arguments: ``given`` first, then the model's attributes of the same names."""
    kwargs, defaulted = {}, []
    for name, param in inspect.signature(type(model).__init__).parameters.items():
        if name == 'self' or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in getattr(model, 'init_only_args', ()):
            continue  # it only chose initial weights; the checkpoint holds the trained ones
        if name in given:
            kwargs[name] = given[name]
            continue
        if hasattr(model, name):
            value = getattr(model, name)
            if isinstance(value, numpy.generic):
                value = value.item()
            if isinstance(value, (list, tuple)):
                value = list(value)
            if value is None or isinstance(value, (bool, int, float, str, list)):
                kwargs[name] = value
                continue
        if param.default is param.empty:
            raise ValueError('cannot record the constructor argument {!r} of {}: the model has no '
                             'attribute of that name holding a plain value; pass kwargs= to '
                             'save_model'.format(name, type(model).__name__))
        defaulted.append(name)
    if defaulted:
        warnings.warn('{} has no attributes {}: load_model will rebuild it with their default '
                      'values (pass kwargs= to save_model if they differ)'.format(
                          type(model).__name__, ', '.join(defaulted)),
                      UnrecordedArgumentWarning)
    return kwargs


def save_model(model, path, kwargs=None):
    """Save a model's parameters with a header that lets :func:`load_model` rebuild it.

    The file is an ordinary ``chainer.serializers.save_npz`` archive (so ``load_npz`` into an
    existing model still works) with one extra entry, a JSON header
    ``{"module", "class", "kwargs"}``. The constructor arguments are read from the model's
    attributes of the same names (``n_class``, ``width``, ``depth``, …) except those given in
    ``kwargs``; an optional argument found in neither is left to its default, with a
    :class:`UnrecordedArgumentWarning`. The file is written atomically (:func:`atomic_save`).
    The class must be importable (defined at module level).

    Args:
        model (chainer.Link): the model.
        path (str): file to write, usually ``*.npz``.
        kwargs (dict or None): constructor arguments that override (or complete) those read
            from the model's attributes.

    Raises:
        ValueError: a required constructor argument cannot be found, or kwargs is not
            JSON-serialisable.
    """
    if not isinstance(model, chainer.Link):
        raise TypeError('model must be a chainer.Link; got {}'.format(type(model).__name__))
    kwargs = _constructor_kwargs(model, dict(kwargs or {}))
    header = {'module': type(model).__module__, 'class': type(model).__qualname__,
              'kwargs': kwargs}
    try:
        header = json.dumps(header)
    except TypeError as error:
        raise ValueError('kwargs must be JSON-serialisable: {}'.format(error)) from None
    serializer = chainer.serializers.DictionarySerializer()
    serializer.save(model)
    target = dict(serializer.target)
    target[HEADER_KEY] = numpy.array(header)
    atomic_save(path, lambda f: numpy.savez_compressed(f, **target))


def read_header(path):
    """The header written by :func:`save_model` (None for a plain Chainer npz).

    Args:
        path (str): an npz file.

    Returns:
        dict or None: ``{"module", "class", "kwargs"}``.
    """
    with numpy.load(path, allow_pickle=False) as npz:
        if HEADER_KEY not in npz.files:
            return None
        return json.loads(str(npz[HEADER_KEY][()]))


def _build(header, path):
    try:
        cls = importlib.import_module(header['module'])
        for part in header['class'].split('.'):
            cls = getattr(cls, part)
    except (ImportError, AttributeError):
        raise ValueError('cannot find the class {} of module {} named in {}; import it, build the '
                         'model and call load_model(path, model=...)'.format(
                             header['class'], header['module'], path)) from None
    try:
        return cls(**header['kwargs'])
    except (TypeError, ValueError) as error:
        raise ValueError('cannot rebuild {} from the header of {}: {}'.format(
            header['class'], path, error)) from None


def _check_fits(model, npz, prefix, path):
    """Raise a ValueError naming every array (parameter or persistent such as batch-norm
    statistics) that the checkpoint lacks, has in another shape, or has but the model lacks."""
    serializer = chainer.serializers.DictionarySerializer(path=prefix)
    serializer.save(model)
    expected = serializer.target
    problems = []
    for key, value in expected.items():
        if key not in npz.files:
            problems.append('{} is missing from the checkpoint'.format(key))
        elif value.dtype != object and npz[key].shape != value.shape:
            problems.append('{} has shape {} in the checkpoint but {} in the model'.format(
                key, npz[key].shape, value.shape))
    for key in npz.files:
        if key.startswith(prefix) and key != HEADER_KEY and key not in expected:
            problems.append('{} is in the checkpoint but not in the model'.format(key))
    if problems:
        raise ValueError('checkpoint {} does not fit {}: {}{}'.format(
            path, type(model).__name__, '; '.join(problems[:5]),
            ' (and {} more)'.format(len(problems) - 5) if len(problems) > 5 else ''))


def load_model(path, model=None, device=None):
    """Load a model saved by :func:`save_model` (or weights into a given model).

    Args:
        path (str): a file from :func:`save_model`, a plain ``save_npz`` file of a model, or a
            trainer snapshot of :func:`seglearn.training.make_trainer` (then ``model`` is needed).
        model (chainer.Link or None): load into this model; None = rebuild it from the header.
        device: where to put the model (anything :func:`seglearn.backend.get_device` accepts);
            None = leave it on the CPU.

    Returns:
        chainer.Link: the model.

    Raises:
        FileNotFoundError: no such file.
        ValueError: no header and no model, or the checkpoint does not fit the model (the
            message names the parameter and both shapes).
    """
    if isinstance(path, chainer.Link) and isinstance(model, (str, os.PathLike)):
        path, model = model, path  # load_model(model, path) also works
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError('model file not found: {}'.format(path))
    if model is None:
        header = read_header(path)
        if header is None:
            raise ValueError('{} has no seglearn header (it was not written by save_model); '
                             'build the model and call load_model(path, model=...)'.format(path))
        model = _build(header, path)
    with numpy.load(path, allow_pickle=False) as npz:
        prefix = ''
        snapshot_prefix = 'updater/model:main/model/'
        if any(key.startswith(snapshot_prefix) for key in npz.files):
            prefix = snapshot_prefix
        _check_fits(model, npz, prefix, path)
    try:
        chainer.serializers.load_npz(path, model, path=prefix)
    except (KeyError, ValueError) as error:
        raise ValueError('checkpoint {} does not fit {}: {}'.format(
            path, type(model).__name__, error)) from None
    if device is not None:
        model.to_device(backend.get_device(device))
    return model
