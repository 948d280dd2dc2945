"""Saving and loading models: a model file rebuilds its model; files are never seen half-written.

* :func:`save_model` / :func:`load_model` — ``chainer.serializers.save_npz`` plus a header with
  the model's class and constructor arguments, so a file alone rebuilds the model.
* :func:`atomic_save` — write any file through a temporary file renamed into place (also used for
  trainer snapshots, :class:`seglearn.training.AtomicWriter`); from :mod:`seglearn._files`.
* :func:`safe_load_npz` — ``chainer.serializers.load_npz`` without its dangers, for model files
  and trainer snapshots alike.

A model file is untrusted input (learners download checkpoints from strangers), so
:func:`load_model` imports and calls nothing a file names. It builds only a class of seglearn's
model zoo (:data:`seglearn.models.MODELS`), looked up by its name, with constructor arguments
that are plain numbers, booleans, short strings or short lists of numbers, each a parameter of
that constructor, and it stops building as soon as the model would hold more than
:data:`MAX_ELEMENTS` array elements. Anything else is refused with a one-line ``ValueError``
naming the file; any other model loads with ``load_model(path, model=your_model)``.

Reading the arrays is guarded too (:func:`safe_load_npz`): Chainer's own ``load_npz`` unpickles
object arrays, which runs whatever code a file chooses, and NumPy decompresses an array before
its shape can be compared with the model's, so a small file could claim gigabytes. seglearn never
unpickles, reads each array's shape from its header first, refuses any that does not match what
it is loaded into, and reports an empty, truncated or corrupt file in one line. :func:`save_model`
refuses a model whose weights hold NaN or infinity.
"""
import contextlib
import inspect
import json
import math
import numbers
import os
import warnings
import zipfile
import zlib

import chainer
import numpy
from chainer.serializers import NpzDeserializer

from seglearn import backend, links, models
from seglearn._files import atomic_save  # noqa: F401  (part of this module's API)

HEADER_KEY = '_seglearn_header'

#: int: the most array elements a model file may make :func:`load_model` build: 2**28, 1 GiB of
#: float32, twice FCN-8s at full width (134 million parameters).
MAX_ELEMENTS = 2 ** 28
#: int: the longest string array (in characters) a file may give where a number or a short text
#: belongs: a trainer snapshot keeps its whole log as JSON text, about 400 characters an epoch.
MAX_TEXT = 2 ** 24
# the largest integer and the longest string or list a model file's arguments may hold
_MAX_INT, _MAX_STR, _MAX_LIST = 2 ** 31, 64, 64


class UnrecordedArgumentWarning(UserWarning):
    """:func:`save_model` could not read a constructor argument and records its default."""


class UnreadableFileError(ValueError):
    """A file is not a readable npz archive: empty, truncated, corrupt or of another format."""


def _one_line(error):
    return ' '.join(str(error).split()) or type(error).__name__


# what reading a damaged zip or .npy raises (NumPy: ValueError for arrays cut short)
_READ_ERRORS = (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error)


@contextlib.contextmanager
def open_npz(path):
    """``numpy.load(path, allow_pickle=False)`` as a context manager, for an npz archive only.

    Raises:
        FileNotFoundError: no such file.
        UnreadableFileError: the file is not an npz archive (empty, truncated, another format).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError('file not found: {}'.format(path))
    try:
        npz = numpy.load(path, allow_pickle=False)
    except _READ_ERRORS as error:
        raise UnreadableFileError('cannot read {}: it is not an npz file (empty, truncated or '
                                  'corrupt?): {}'.format(path, _one_line(error))) from None
    if not isinstance(npz, numpy.lib.npyio.NpzFile):
        raise UnreadableFileError('cannot read {}: it is a single array, not an npz archive'
                                  .format(path))
    with npz:
        yield npz


def declared_array(npz, key, path):
    """The shape and dtype an npz member declares in its header, read without its data.

    Args:
        npz (numpy.lib.npyio.NpzFile): from :func:`open_npz`.
        key (str): a name of ``npz.files``.
        path (str): the file, for messages.

    Returns:
        tuple: ``(shape, dtype)``.

    Raises:
        UnreadableFileError: the member's header cannot be read.
    """
    member = key + '.npy' if key + '.npy' in npz.zip.namelist() else key
    try:
        with npz.zip.open(member) as f:
            version = numpy.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = numpy.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = numpy.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError('.npy format version {} is not supported'.format(version))
    except _READ_ERRORS as error:
        raise UnreadableFileError('cannot read {} from {}: {}'.format(
            key, path, _one_line(error))) from None
    return tuple(shape), dtype


def _check_declared(npz, key, value, path):
    """Refuse array ``key`` unless its header fits ``value``, the target it is read into: the
    same shape for an array, one number or a text of at most :data:`MAX_TEXT` characters for a
    plain value, at most :data:`MAX_ELEMENTS` elements where the target is None."""
    shape, dtype = declared_array(npz, key, path)
    size = int(numpy.prod(shape, dtype=numpy.float64))
    if dtype.kind not in 'biufcU':
        problem = 'it holds {} data, not numbers or text'.format(dtype)
    elif hasattr(value, 'shape'):
        problem = None if shape == tuple(value.shape) else \
            'it has shape {} where {} belongs'.format(shape, tuple(value.shape))
    elif value is None:
        problem = None if size <= MAX_ELEMENTS else 'it has {} elements'.format(size)
    elif size > 1 or (dtype.kind == 'U' and dtype.itemsize // 4 > MAX_TEXT):
        problem = 'it has shape {} and dtype {} where one value belongs'.format(shape, dtype)
    else:
        problem = None
    if problem:
        raise ValueError('{} does not fit: {} in {}'.format(key, problem, path))


class _CheckedDeserializer(NpzDeserializer):
    """Chainer's NpzDeserializer over an ``allow_pickle=False`` npz that checks each array's
    header (:func:`_check_declared`) before reading it, and reports damaged data in one line."""

    def __init__(self, npz, file, path='', strict=True):
        super().__init__(npz, path=path, strict=strict)
        self.file = file

    def __getitem__(self, key):
        return _CheckedDeserializer(self.npz, self.file, self.path + key.strip('/') + '/',
                                    self.strict)

    def __call__(self, key, value):
        full = self.path + key.lstrip('/')
        if full in self.npz.files:
            _check_declared(self.npz, full, value, self.file)
            try:
                return super().__call__(key, value)
            except _READ_ERRORS as error:
                raise UnreadableFileError('cannot read {} from {} (truncated or corrupt?): {}'
                                          .format(full, self.file, _one_line(error))) from None
        return super().__call__(key, value)  # strict: Chainer's KeyError names the key


def safe_load_npz(path, target, prefix='', strict=True):
    """Load an npz file into a link or a trainer, like ``chainer.serializers.load_npz``, safely.

    Nothing is unpickled (Chainer's own function allows pickled object arrays, whose loading
    runs code the file chooses), each array's declared shape is checked against its target
    before the array is decompressed, and a damaged file raises :class:`UnreadableFileError`.

    Args:
        path (str): the npz file.
        target: what to load into (anything with ``serialize``: a link, a trainer).
        prefix (str): the path of ``target`` inside the file (e.g.
            ``'updater/model:main/model/'`` for a model in a trainer snapshot).
        strict (bool): every value ``target`` reads must be in the file.

    Raises:
        FileNotFoundError: no such file.
        UnreadableFileError: the file, or an array of it, cannot be read.
        KeyError: ``strict`` and a value is missing.
        ValueError: an array does not fit its target.
    """
    with open_npz(path) as npz:
        _CheckedDeserializer(npz, path, prefix, strict).load(target)


def check_finite(link, what='the model'):
    """Raise ``ValueError`` if a parameter or persistent array of ``link`` holds NaN or infinity.

    Args:
        link (chainer.Link): the model.
        what (str): how the message names it.
    """
    for name, param in link.namedparams():
        if param.array is not None and not bool(param.xp.isfinite(param.array).all()):
            raise ValueError('{} holds NaN or infinity in {}: its training diverged (a learning '
                             'rate too large?)'.format(what, name))


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
    Any link can be saved; :func:`load_model` rebuilds only the model zoo's classes from the
    header, and loads any other model into one you build (``load_model(path, model=...)``).

    Args:
        model (chainer.Link): the model.
        path (str): file to write, usually ``*.npz``.
        kwargs (dict or None): constructor arguments that override (or complete) those read
            from the model's attributes.

    Raises:
        ValueError: a required constructor argument cannot be found, kwargs is not
            JSON-serialisable, or a weight is NaN or infinite (:func:`check_finite`).
    """
    if not isinstance(model, chainer.Link):
        raise TypeError('model must be a chainer.Link; got {}'.format(type(model).__name__))
    check_finite(model, '{} (not saved to {})'.format(type(model).__name__, path))
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
        dict or None: ``{"module", "class", "kwargs"}``, as the file has it (unchecked).

    Raises:
        FileNotFoundError: no such file.
        UnreadableFileError: the file is not a readable npz archive.
        ValueError: the header is not a JSON object.
    """
    not_json = 'cannot load {}: its seglearn header is not JSON text'.format(path)
    with open_npz(path) as npz:
        if HEADER_KEY not in npz.files:
            return None
        shape, dtype = declared_array(npz, HEADER_KEY, path)
        if shape != () or dtype.kind != 'U' or dtype.itemsize // 4 > MAX_TEXT:
            raise ValueError(not_json)
        try:
            header = json.loads(str(npz[HEADER_KEY][()]))
        except _READ_ERRORS:
            raise ValueError(not_json) from None
    if not isinstance(header, dict):
        raise ValueError('cannot load {}: its seglearn header is not a JSON object'.format(path))
    return header


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def _is_plain(value):
    """Whether a header argument is a plain value: None, bool, a bounded int, a finite float, a
    short str, or a short flat list of ints and finite floats."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, numbers.Integral):
        return abs(value) <= _MAX_INT
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= _MAX_STR
    if isinstance(value, list):
        return len(value) <= _MAX_LIST and all(
            isinstance(v, (numbers.Integral, float)) and not isinstance(v, bool) and _is_plain(v)
            for v in value)
    return False


def _zoo_class(header, path):
    """The model class a header names, if it is one of the zoo's; else a ValueError."""
    classes = {spec.cls.__name__: spec.cls for spec in models.MODELS.values()}
    name, module = header.get('class'), header.get('module', 'seglearn.models')
    advice = ("only seglearn's own models ({}) are built from a file; build yours and call "
              'load_model(path, model=...)'.format(', '.join(sorted(classes))))
    if not isinstance(module, str) or not module.startswith('seglearn.'):
        raise ValueError('cannot load {}: it names the module {}; {}'.format(
            path, _short(module), advice))
    cls = classes.get(name) if isinstance(name, str) else None
    if cls is None or not issubclass(cls, chainer.Link):
        raise ValueError('cannot load {}: it names the class {}; {}'.format(
            path, _short(name), advice))
    return cls


def _checked_kwargs(cls, header, path):
    """The header's constructor arguments, each a parameter of ``cls`` with a plain value."""
    kwargs = header.get('kwargs', {})
    if not isinstance(kwargs, dict):
        raise ValueError('cannot load {}: its constructor arguments are not a JSON object'.format(
            path))
    params = inspect.signature(cls.__init__).parameters
    allowed = {name for name, p in params.items()
               if name != 'self' and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               and name not in getattr(cls, 'init_only_args', ())}
    for name, value in kwargs.items():
        if name not in allowed:
            raise ValueError('cannot load {}: {} has no argument {} (it takes {})'.format(
                path, cls.__name__, _short(name), ', '.join(sorted(allowed))))
        if not _is_plain(value):
            raise ValueError('cannot load {}: the argument {} = {} is not a plain number, bool, '
                             'short string or short list of numbers'.format(
                                 path, name, _short(value)))
    return kwargs


def _build(header, path):
    cls = _zoo_class(header, path)
    kwargs = _checked_kwargs(cls, header, path)
    try:
        with links.parameter_budget(MAX_ELEMENTS):
            return cls(**kwargs)
    except (TypeError, ValueError, ArithmeticError) as error:
        message = ' '.join(str(error).split())  # one line
        raise ValueError('cannot rebuild {} from the header of {}: {}'.format(
            cls.__name__, path, message)) from None


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
        elif value.dtype != object:
            shape = declared_array(npz, key, path)[0]  # read from the header: no data yet
            if shape != value.shape:
                problems.append('{} has shape {} in the checkpoint but {} in the model'.format(
                    key, shape, value.shape))
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
        model (chainer.Link or None): load into this model; None = rebuild it from the header,
            which must name a model of :data:`seglearn.models.MODELS` (see the module docstring).
        device: where to put the model (anything :func:`seglearn.backend.get_device` accepts);
            None = leave it on the CPU.

    Returns:
        chainer.Link: the model.

    Raises:
        FileNotFoundError: no such file.
        UnreadableFileError: (a ``ValueError``) the file is empty, truncated or not an npz.
        ValueError: no header and no model; a header that names anything but a seglearn model
            with plain, known, not too large arguments; or a checkpoint that does not fit the
            model (the message names the parameter and both shapes).
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
    with open_npz(path) as npz:
        prefix = ''
        snapshot_prefix = 'updater/model:main/model/'
        if any(key.startswith(snapshot_prefix) for key in npz.files):
            prefix = snapshot_prefix
        _check_fits(model, npz, prefix, path)
    try:
        safe_load_npz(path, model, prefix)
    except UnreadableFileError:
        raise
    except (KeyError, ValueError) as error:
        raise ValueError('checkpoint {} does not fit {}: {}'.format(
            path, type(model).__name__, error)) from None
    if device is not None:
        model.to_device(backend.get_device(device))
    return model
