"""The ``seglearn`` command line: train, evaluate, predict, doctor.

Examples::

    seglearn train unet --data cells --epochs 5 --out result/unet
    seglearn train fcdensenet56 --data camvid:~/seglearn_data/CamVid --size 224 --device @cupy:0
    seglearn evaluate result/unet/best_model.npz --data cells
    seglearn predict result/unet/best_model.npz my_cells.png --out predictions
    seglearn doctor

``--data`` names a built-in generated data set (``shapes``, ``cells``; nothing to download) or a
real data set's folder as ``NAME:PATH`` (``voc:PATH``, ``camvid:PATH``, …): the names, splits
and sizes come from the data-set catalogue, ``seglearn.datasets.CATALOG``; the models from the
zoo, ``seglearn.models.MODELS``. ``seglearn COMMAND --help`` lists every option;
``python -m seglearn`` works too. The help and the errors are in the language of
:data:`seglearn.config.language` (``SEGLEARN_LANG=ja``: Japanese).

Every error is reported in one line on stderr, and the exit status says what kind it was:

* 0: done;
* 2: the command line or its input is wrong, found before any work starts: an unknown model or
  option, a bad ``--data``, a number that is not finite, a size, width or batch beyond the limits
  below, a ``--depth`` too deep for the images, a missing, empty, truncated or hostile model file,
  a snapshot that ``--resume`` cannot use, a data set whose files do not read (every image and
  label is read once before training or evaluation), an image too large, an ``--out`` that is a
  file or cannot be written, a GPU without CuPy;
* 1: a failure during the work: the training loss became NaN or infinite (nothing is saved from
  that point), the disk filled up, the memory ran out, and anything unexpected (set
  ``SEGLEARN_DEBUG=1`` to see the traceback);
* 130: interrupted with Ctrl-C (``train`` then continues with ``--resume``).

Limits checked before work: ``--size`` at most :data:`MAX_SIZE`, a training batch of at most
:data:`MAX_BATCH_PIXELS` pixels, ``--batch-size`` at most the number of training images, at most
:data:`MAX_EXAMPLES` generated images, a model of at most
:data:`seglearn.serialization.MAX_ELEMENTS` weights, ``2**depth`` at most the images' shorter
side. ``predict`` runs an image of more than :data:`PREDICT_WINDOW_PIXELS` pixels window by
window (:func:`seglearn.inference.sliding_window_predict`) and refuses one of more than
:data:`PREDICT_MAX_PIXELS`.
"""
import argparse
import contextlib
import math
import os
import platform
import sys
import tempfile
import warnings

from seglearn.messages import gettext as _
from seglearn.messages import gettext_noop as N_
from seglearn.messages.width import width as display_width
from seglearn.messages.width import wrap

#: int: the largest image side ``--size`` may ask for.
MAX_SIZE = 4096
#: int: the most pixels one training batch may hold (``--batch-size`` times the image's pixels):
#: 2**24, e.g. 64 images of 512×512; beyond it a step needs tens of gigabytes.
MAX_BATCH_PIXELS = 2 ** 24
#: int: the most images of a built-in generated data set (``--n-train``, ``--n-val``).
MAX_EXAMPLES = 10 ** 6
#: int: ``predict`` runs larger images window by window: 2**22 pixels (2048×2048).
PREDICT_WINDOW_PIXELS = 2 ** 22
#: int: the side of those windows, and their overlap.
PREDICT_WINDOW, PREDICT_OVERLAP = 1024, 128
#: int: the largest image ``predict`` takes: 2**26 pixels (8192×8192), the image, its class
#: probabilities and its overlay then take a few gigabytes.
PREDICT_MAX_PIXELS = 2 ** 26

#: how long the recipes take, as measured (``seglearn train --help`` quotes it)
MEASURED = N_('about 1½–2 minutes a model: fcn8s 95 s, fcn32s 90 s, unet 78–84 s, fcdensenet56 '
              '121 s')


class CLIError(Exception):
    """A problem with the command line: reported in one line, exit status 2.

    Args:
        message (str): what is wrong.
        prog (str): the (sub)command it concerns.
    """

    def __init__(self, message, prog='seglearn'):
        super().__init__(message)
        self.prog = prog


class _Formatter(argparse.HelpFormatter):
    """argparse's help, with text that holds wide (Japanese) characters wrapped by display
    width (argparse counts characters)."""

    def _split_lines(self, text, width):
        if display_width(text) == len(text):
            return super()._split_lines(text, width)
        return wrap(' '.join(text.split()), width, '')

    def _fill_text(self, text, width, indent):
        if display_width(text) == len(text):
            return super()._fill_text(text, width, indent)
        return '\n'.join(wrap(indent + ' '.join(text.split()), width, indent))

    def _format_usage(self, usage, actions, groups, prefix):
        # argparse indents the usage's further lines by len(prefix): lay it out with a stand-in
        # of the prefix's display width, then put the prefix back
        prefix = _('usage: ') if prefix is None else prefix
        stand_in = ' ' * display_width(prefix)
        return prefix + super()._format_usage(usage, actions, groups, stand_in)[len(stand_in):]


class _RawDescriptionFormatter(argparse.RawDescriptionHelpFormatter, _Formatter):
    """The description and epilog as written, the options' help as :class:`_Formatter`'s."""


# argparse's own texts a learner can meet (Python's templates), kept in the catalogue
_ARGPARSE_MESSAGES = (
    N_('positional arguments'), N_('options'), N_('show this help message and exit'),
    N_('usage: '), N_('argument %(argument_name)s: %(message)s'),
    N_('unrecognized arguments: %s'), N_('not allowed with argument %s'),
    N_('ignored explicit argument %r'), N_('the following arguments are required: %s'),
    N_('one of the arguments %s is required'), N_('expected one argument'),
    N_('expected at most one argument'), N_('expected at least one argument'),
    N_('ambiguous option: %(option)s could match %(matches)s'),
    N_('invalid %(type)s value: %(value)r'),
    N_('invalid choice: %(value)r (choose from %(choices)s)'))


@contextlib.contextmanager
def _argparse_speaks_our_language():
    """argparse's own templates (its module-level ``_``) through seglearn's catalogue."""
    saved = argparse._
    argparse._ = _
    try:
        yield
    finally:
        argparse._ = saved


class _Parser(argparse.ArgumentParser):
    """argparse's parser with argparse's own texts (headings, ``-h``, usage, errors) from
    seglearn's catalogue; an error raises :class:`CLIError`."""

    def parse_known_args(self, *args, **kwargs):
        with _argparse_speaks_our_language():
            return super().parse_known_args(*args, **kwargs)

    def format_usage(self):
        with _argparse_speaks_our_language():
            return super().format_usage()

    def format_help(self):
        with _argparse_speaks_our_language():
            return super().format_help()

    def __init__(self, *args, formatter_class=_Formatter, **kwargs):
        with _argparse_speaks_our_language():   # its headings and -h's help
            super().__init__(*args, formatter_class=formatter_class, **kwargs)

    def error(self, message):
        raise CLIError(message, self.prog)


@contextlib.contextmanager
def _usage_errors():
    """Turn errors caused by the arguments (while setting up) into :class:`CLIError`."""
    try:
        yield
    except CLIError:
        raise
    except (ValueError, TypeError, OSError, RuntimeError, ArithmeticError, LookupError,
            MemoryError) as error:
        raise CLIError(_one_line(error)) from None


def _one_line(error):
    return ' '.join(str(error).split()) or type(error).__name__


def _data_names():
    """(built-in names, real names) of the data-set catalogue."""
    from seglearn.datasets import CATALOG
    return ([name for name, entry in CATALOG.items() if entry.splits is None],
            [name for name, entry in CATALOG.items() if entry.splits is not None])


def parse_data_spec(spec):
    """Split a ``--data`` value into (name, path).

    Args:
        spec (str): a built-in data set's name (``'shapes'``, ``'cells'``) or ``'NAME:PATH'``
            for a real one of ``seglearn.datasets.CATALOG`` (voc, camvid, isbi, pets).

    Returns:
        tuple: ``(name, path)``; path is None for the built-in data sets, user-expanded otherwise.

    Raises:
        CLIError: anything else.
    """
    builtin, real = _data_names()
    name, sep, path = spec.partition(':')
    if name in builtin and not sep:
        return name, None
    if name in real and path:
        return name, os.path.expanduser(path)
    raise CLIError(_('bad --data {!r}: use {}, or NAME:PATH with NAME one of {}').format(
        spec, ', '.join(builtin), ', '.join(real)))


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(_('must be a positive integer, got {!r}').format(text))
    return value


def _ratio(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(_('must be a number in [0, 1), got {!r}').format(text))
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(_('must be a positive finite number, got {!r}').format(
            text))
    return value


def _load_splits(name, path, size, n_train, n_val, seed, check_train=True):
    """(train, val, sizes) for a --data spec: a built-in set generated from ``seed`` with the
    catalogue's options at ``size`` pixels (200 and 50 images by default, the validation set
    from ``seed + 1000``), or a real set's splits cut to
    the first ``n_train``/``n_val`` images, each image read once (a bad file is reported now,
    not in the middle of training) and resized to ``size``. ``sizes`` is the set of (H, W) of
    the training images (of the validation images without ``check_train``)."""
    from seglearn import datasets, pipeline
    from seglearn.datasets import check_examples
    if size is not None and size > MAX_SIZE:
        raise CLIError(_('--size {} is above the limit of {} pixels').format(size, MAX_SIZE))
    for option, n in (('--n-train', n_train), ('--n-val', n_val)):
        if n is not None and n > MAX_EXAMPLES:
            raise CLIError(_('{} {} is above the limit of {:,} images').format(option, n,
                                                                               MAX_EXAMPLES))
    if path is None:
        entry = datasets.CATALOG[name]
        return (entry.loader(n=n_train or 200, size=size, seed=seed, **entry.options),
                entry.loader(n=n_val or 50, size=size, seed=seed + 1000, **entry.options),
                {(size, size)})
    if not os.path.isdir(path):
        raise CLIError(_('data folder not found: {}').format(path))
    train, val = datasets.open_splits(name, path)
    if n_train:
        train = datasets.subset(train, 0, min(n_train, len(train)))
    if n_val:
        val = datasets.subset(val, 0, min(n_val, len(val)))
    sizes = check_examples(val, 'the validation set of ' + path)
    if check_train:
        sizes = check_examples(train, 'the training set of ' + path)
    if size:
        train, val = pipeline.resized(train, size), pipeline.resized(val, size)
        sizes = {(size, size)}
    return train, val, sizes


def _check_batch(batch_size, n_train, sizes):
    """Refuse a batch larger than the data set, of images of different sizes, or too large."""
    if batch_size > n_train:
        raise CLIError(_('--batch-size {} is more than the {} training images').format(
            batch_size, n_train))
    if batch_size > 1 and len(sizes) > 1:
        raise CLIError(_('the training images differ in size ({} sizes, e.g. {}): resize them '
                         'with --size, or use --batch-size 1').format(len(sizes),
                                                                      sorted(sizes)[:2]))
    pixels = batch_size * max(h * w for h, w in sizes)
    if pixels > MAX_BATCH_PIXELS:
        raise CLIError(_('a batch of {} images of {} pixels is {:,} pixels, above the limit of '
                         '{:,}: lower --batch-size or --size').format(
                           batch_size, '×'.join(map(str, max(sizes))), pixels, MAX_BATCH_PIXELS))


def _check_depth(depth, sizes):
    """Refuse a depth (None: none) that halves the images more often than their shorter side
    allows."""
    side = min(min(hw) for hw in sizes)
    if depth is not None and 2 ** depth > side:
        raise CLIError(_('--depth {} halves the images {} times, but they are only {} pixels '
                         'high or wide: use --depth {} or less, or a larger --size').format(
                           depth, depth, side, int(math.log2(side))))


def _with_channels(dataset, channels):
    """Repeat grey images to RGB (or average RGB to grey) to match a model's input channels."""
    import chainer
    import numpy
    have = dataset[0][0].shape[0]
    if have == channels:
        return dataset
    if (have, channels) not in ((1, 3), (3, 1)):
        raise CLIError(_('the model takes {} input channels but the data has {}').format(
            channels, have))

    def convert(example):
        img = example[0]
        img = numpy.repeat(img, 3, axis=0) if channels == 3 else img.mean(axis=0, keepdims=True)
        return (img.astype(numpy.float32),) + tuple(example[1:])

    out = chainer.datasets.TransformDataset(dataset, convert)
    out.class_names = _class_names(dataset)
    return out


def _device(spec):
    from seglearn import backend
    if spec is not None and spec.lstrip('-').isdigit():
        spec = int(spec)
    return backend.get_device(spec)


#: options of ``seglearn train`` for real data sets, where the recipes do not apply
REAL_DATA_DEFAULTS = dict(epochs=10, batch_size=4, width=1.0, flip=False)


def _apply_recipe(args, recipe):
    """Fill the options left out (None) from ``recipe`` (built-in data) or from
    :data:`REAL_DATA_DEFAULTS` (``recipe`` None); returns the extra constructor arguments."""
    settings = recipe._asdict() if recipe else dict(REAL_DATA_DEFAULTS)
    for key in ('epochs', 'batch_size', 'width', 'depth', 'size', 'n_train', 'flip'):
        if getattr(args, key) is None and settings.get(key) is not None:
            setattr(args, key, settings[key])
    if args.lr is None and recipe and args.optimizer == 'adam':  # the recipes' rates are Adam's
        args.lr = recipe.lr
    options = dict(recipe.model_options) if recipe else {}
    if args.dropout is not None:
        options['dropout'] = args.dropout
    return options


def _settings_line(args, n_train, options):
    """What ``seglearn train`` is about to do, in one line."""
    from seglearn import recipes
    extra = ''.join(', ' + recipes.option_text(k, v) for k, v in sorted(options.items()))
    steps = args.epochs * -(-n_train // args.batch_size)
    return ('training {} (width {:.3g}{}{}) on {} images{} × {} epochs = {} steps of {}, {}{}{}'
            .format(args.model, args.width, '' if args.depth is None else ', depth {}'.format(
                args.depth), extra, n_train, '' if args.size is None else ' of {}×{}'.format(
                args.size, args.size), args.epochs, steps, args.batch_size, args.optimizer,
                '' if args.lr is None else ' {:g}'.format(args.lr), ', flips' if args.flip else ''))


def _baseline_line(val, n_class):
    """The validation mIoU of answering background everywhere: what learning must beat."""
    import numpy
    from seglearn import metrics
    gts = [val[i][1] for i in range(len(val))]
    zeros = [numpy.zeros_like(gt) for gt in gts]
    return 'the all-background answer scores validation mIoU {:.3f}: a model that learned is ' \
           'above it'.format(metrics.evaluate(zeros, gts, n_class)['miou'])


def cmd_train(args):
    """``seglearn train``."""
    import matplotlib
    import numpy
    matplotlib.use('Agg')  # PlotReport draws without a display
    from seglearn import links, models, pipeline, serialization, training
    with _usage_errors():
        name, path = parse_data_spec(args.data)
        options = _apply_recipe(args, models.MODELS[args.model].recipe if path is None else None)
        device = _device(args.device)
        training.seed_all(args.seed)
        train, val, sizes = _load_splits(name, path, args.size, args.n_train, args.n_val,
                                         args.seed)
        _check_batch(args.batch_size, len(train), sizes)
        n_class = len(train.class_names)
        # a model that takes a fixed number of channels (FCN: RGB) gets the data converted
        channels = models.MODELS[args.model].cls.in_channels or train[0][0].shape[0]
        if args.weight_map:
            train = pipeline.WeightMapDataset(train)
        train, val = _with_channels(train, channels), _with_channels(val, channels)
        _check_depth(args.depth, sizes)  # before building: --depth 12 would take seconds
        try:
            with links.parameter_budget(serialization.MAX_ELEMENTS):  # --width 1e6: now
                model = models.build(args.model, n_class, in_channels=channels,
                                     width=args.width, depth=args.depth, **options)
        except (TypeError, ValueError) as error:
            raise CLIError(_('cannot build {}: {}').format(args.model, _one_line(error))) \
                from None
        _check_depth(getattr(model, 'depth', None), sizes)  # a model's default depth
        if args.flip:
            train = pipeline.augment(train, x_flip=True)
        if getattr(model, 'padding', None) == 'valid':
            train = pipeline.pad_for_valid_unet(train, model.depth)
            val = pipeline.pad_for_valid_unet(val, model.depth)
        print(_settings_line(args, len(train), options))
        print(_baseline_line(val, n_class))
        trainer = training.make_trainer(
            model, train, val, optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
            batch_size=args.batch_size, device=device, out=args.out, n_class=n_class,
            label_names=_class_names(train), seed=args.seed, progress=not args.quiet,
            val_batch_size=1 if path and not args.size else None)
        if args.resume and not training.resume(trainer, missing_ok=True):
            print('no snapshot in {}: starting from scratch'.format(args.out))
    try:
        # a loss that overflows stops the run (TrainingDivergedError) with its own message, so
        # NumPy's overflow warnings would only repeat it
        with numpy.errstate(over='ignore', invalid='ignore', divide='ignore'):
            trainer.run(show_loop_exception_msg=False)  # main() reports errors in one line
    except KeyboardInterrupt:
        print(_('\ninterrupted: continue with the same command plus --resume'), file=sys.stderr)
        return 130
    final = os.path.join(args.out, training.MODEL)
    serialization.save_model(model, final)
    print('saved {} (and best_model.npz by validation mIoU)'.format(final))
    return 0


def _class_names(dataset):
    """Class names of a dataset, looking through TransformDataset wrappers."""
    while not hasattr(dataset, 'class_names'):
        dataset = getattr(dataset, '_dataset')
    return list(dataset.class_names)


def format_scores(result, class_names):
    """The four FCN metrics and a per-class IoU table as text.

    Args:
        result (dict): from :func:`seglearn.metrics.evaluate`.
        class_names (list of str): one name per class.

    Returns:
        str: lines ready to print.
    """
    lines = ['pixel accuracy       {:.4f}'.format(result['pixel_accuracy']),
             'mean class accuracy  {:.4f}'.format(result['mean_class_accuracy']),
             'mean IoU             {:.4f}'.format(result['miou']),
             'frequency-weighted   {:.4f}'.format(result['fwiou']),
             '',
             '{:<20s} {:>8s} {:>9s}'.format('class', 'IoU', 'accuracy')]
    for name, iou, acc in zip(class_names, result['iou'], result['class_accuracy']):
        lines.append('{:<20s} {:>8.4f} {:>9.4f}'.format(name, iou, acc))
    return '\n'.join(lines)


def cmd_evaluate(args):
    """``seglearn evaluate``."""
    from seglearn import inference, metrics, models, serialization
    with _usage_errors():
        name, path = parse_data_spec(args.data)
        device = _device(args.device)
        model = serialization.load_model(args.model, device=device)
        size = args.size
        if path is None and size is None:  # built-in data at the size its recipe trains on
            size = next(spec.recipe.size for spec in models.MODELS.values()
                        if type(model) is spec.cls)
        val = _load_splits(name, path, size, None, args.n_val, args.seed, check_train=False)[1]
        names = _class_names(val)
        if len(names) != model.n_class:
            raise CLIError(_('the model predicts {} classes but --data {} has {}').format(
                model.n_class, args.data, len(names)))
        val = _with_channels(val, model.in_channels)
    preds, gts = [], []
    for i in range(len(val)):
        img, label = val[i][:2]
        preds.append(inference.predict(model, img))
        gts.append(label)
    print('{} images of {}'.format(len(val), args.data))
    print(format_scores(metrics.evaluate(preds, gts, model.n_class), names))
    return 0


def _image_size(path):
    """(height, width) of an image file from its header, refused above PREDICT_MAX_PIXELS."""
    from PIL import Image
    if not os.path.isfile(path):
        raise CLIError(_('image not found: {}').format(path))
    too_large = _('image {} is too large: {} pixels, above the limit of {:,}; crop or downscale it')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        try:
            with Image.open(path) as f:
                width, height = f.size
        except Image.DecompressionBombError:  # Pillow's own refusal, above 178 million pixels
            raise CLIError(too_large.format(path, _('over 178 million'), PREDICT_MAX_PIXELS)) \
                from None
        except (OSError, SyntaxError, ValueError) as error:
            raise CLIError(_('cannot read image {}: {}').format(path, _one_line(error))) \
                from None
    if width * height > PREDICT_MAX_PIXELS:
        raise CLIError(too_large.format(path, '{}×{} = {:,}'.format(width, height, width * height),
                                        PREDICT_MAX_PIXELS))
    return height, width


def _writable_folder(out):
    """Create ``out`` if needed and check that a file can be written in it."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise CLIError(_('--out {} is a file, not a folder').format(out))
    try:
        os.makedirs(out, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise CLIError(_('cannot write into --out {}: {}').format(out, _one_line(error))) \
                from None


def output_stems(paths):
    """One output name per input image: its file name without the extension, with ``-2``,
    ``-3``… added when two images share a name (``a/img.png``, ``b/img.png``), so that no
    prediction overwrites another (names are compared without case, as some file systems do).

    Args:
        paths (list of str): the input images.

    Returns:
        list of str: the stems, in the order of ``paths``.
    """
    stems, used = [], set()
    for path in paths:
        base = stem = os.path.splitext(os.path.basename(path))[0]
        k = 1
        while stem.lower() in used:
            k += 1
            stem = '{}-{}'.format(base, k)
        used.add(stem.lower())
        stems.append(stem)
    return stems


def cmd_predict(args):
    """``seglearn predict``."""
    from PIL import Image

    from seglearn import inference, palettes, serialization, visualize
    from seglearn.datasets import read_image
    with _usage_errors():
        sizes = [_image_size(path) for path in args.images]
        model = serialization.load_model(args.model, device=_device(args.device))
        _writable_folder(args.out)
    palette = palettes.default_palette(model.n_class)
    mode = 'L' if model.in_channels == 1 else 'RGB'
    for path, stem, (h, w) in zip(args.images, output_stems(args.images), sizes):
        img = read_image(path, mode)
        if h * w > PREDICT_WINDOW_PIXELS:
            label = inference.sliding_window_predict(model, img, PREDICT_WINDOW,
                                                     PREDICT_WINDOW - PREDICT_OVERLAP)
        else:
            label = inference.predict(model, img)
        stem = os.path.join(args.out, stem)
        Image.fromarray(visualize.colorize(label, palette)).save(stem + '_label.png')
        Image.fromarray(visualize.overlay(img, label, palette)).save(stem + '_overlay.png')
        print('{} → {}_label.png, {}_overlay.png'.format(path, stem, stem))
    return 0


def _blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        return '; '.join('{} {} ({} threads)'.format(i.get('internal_api'), i.get('version'),
                                                     i.get('num_threads'))
                         for i in threadpool_info()) or 'none loaded'
    import numpy
    try:
        blas = numpy.show_config(mode='dicts')['Build Dependencies']['blas']
        return '{} {}'.format(blas.get('name'), blas.get('version'))
    except Exception:  # older NumPy without mode='dicts', or another layout
        return 'unknown (pip install threadpoolctl for details)'


def doctor():
    """What is installed and whether a GPU is usable, as text (what ``seglearn doctor`` prints).

    Python, NumPy, Chainer, seglearn, the BLAS, CuPy and the GPU, the default device, the
    compatibility patches ``import seglearn`` applied (:mod:`seglearn._compat`), and where each
    downloadable data set of the catalogue is under :func:`seglearn.datasets.default_root`.

    Returns:
        str: one line per item.
    """
    import chainer
    import numpy

    import seglearn
    from seglearn import _compat, backend
    from seglearn.datasets import DOWNLOADS, dataset_paths, default_root
    lines = ['Python    {} ({})'.format(platform.python_version(), sys.executable),
             'NumPy     {}'.format(numpy.__version__),
             'Chainer   {}'.format(chainer.__version__),
             'seglearn  {}'.format(seglearn.__version__),
             'BLAS      {}'.format(_blas_info()),
             'CPU path  {}'.format(seglearn.config.describe())]
    try:
        import cupy
        cupy_line = cupy.__version__
    except ImportError:
        cupy = None
        cupy_line = 'not installed (CPU only; README "GPU set-up")'
    lines.append('CuPy      {}'.format(cupy_line))
    if cupy is not None and backend.cupy_available():
        props = cupy.cuda.runtime.getDeviceProperties(0)
        lines.append('GPU       {} ({} device(s)); cuDNN {}'.format(
            props['name'].decode(), cupy.cuda.runtime.getDeviceCount(),
            'on' if chainer.backends.cuda.cudnn_enabled else 'off'))
    elif cupy is not None:
        lines.append('GPU       none usable (no CUDA device or driver)')
    lines.append('device    default: {}'.format(backend.get_device(None)))
    lines.append('_compat   {}'.format(', '.join(_compat.APPLIED) or 'nothing needed'))
    root = default_root()
    lines.append('data      {}{}'.format(root, '' if os.path.isdir(root) else ' (does not exist)'))
    for name, source in sorted(DOWNLOADS.items()):
        where = 'not found'
        for base in (os.path.join(root, name), root):
            marker, folder = dataset_paths(name, base)
            if os.path.exists(marker) or (source.path != '.' and os.path.isdir(folder)):
                where = folder
                break
        lines.append('  {:<9s} {}'.format(name, where))
    return '\n'.join(lines)


def cmd_doctor(args):
    """``seglearn doctor``."""
    print(doctor())
    return 0


def _recipes_help():
    """The epilog of ``seglearn train --help``: the recipes and how long they take."""
    from seglearn import models, recipes
    families = {}
    for name, spec in models.MODELS.items():
        families.setdefault(spec.recipe, []).append(name)
    lines = wrap(_('With the built-in data (shapes, cells) every option you leave out takes the '
                   'course\'s laptop recipe for the model\'s family (seglearn.recipes), the '
                   'settings its chapter trains with on the CPU, so the model learns in '
                   'minutes:'), 85, '')
    for recipe, names in families.items():
        lines += ['  ' + ', '.join(names) + ':', '    ' + recipes.describe(recipe)]
    lines += [_('Measured on 2 CPU cores (benchmarks/RESULTS.md, "The command line\'s recipes"):'),
              '  ' + _(MEASURED), _('Real data (NAME:PATH) gets the papers\' widths and dropout.')]
    return '\n'.join(lines)


def build_parser():
    """The argparse parser of the ``seglearn`` command."""
    from seglearn import models
    parser = _Parser(prog='seglearn', description=_('Semantic segmentation from the papers, in '
                     'Chainer: train, evaluate and run FCN, U-Net and FC-DenseNet.'))
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)

    train = commands.add_parser(
        'train', help=_('train a model'), formatter_class=_RawDescriptionFormatter,
        description=_('Train a model; writes log, loss/mIoU plots, snapshot.npz (resumable), '
                      'best_model.npz and model.npz to --out.'), epilog=_recipes_help())
    train.add_argument('model', choices=models.MODELS, metavar='MODEL',
                       help=_('the architecture: {}').format(', '.join(models.MODELS)))
    builtin, real = _data_names()
    train.add_argument('--data', required=True,
                       help=' | '.join(builtin + [name + ':PATH' for name in real]))
    train.add_argument('--epochs', type=_positive, default=None,
                       help=_('passes over the training images (built-in data: the recipe\'s; '
                              'real data: 10)'))
    train.add_argument('--batch-size', type=_positive, default=None,
                       help=_("built-in data: the recipe's; real data: 4"))
    train.add_argument('--device', default=None,
                       help=_('@numpy (CPU), @cupy:0 (GPU 0), -1, 0, … (default: GPU if usable)'))
    train.add_argument('--out', default='result', help=_('output folder (default: result)'))
    train.add_argument('--resume', action='store_true',
                       help=_('continue from OUT/snapshot.npz if it exists'))
    train.add_argument('--width', type=_positive_float, default=None,
                       help=_("channel multiplier, e.g. 0.25 for a small fast model (built-in "
                              "data: the recipe's; real data: 1)"))
    train.add_argument('--depth', type=_positive, default=None,
                       help=_("U-Net depth (built-in data: the recipe's; real data: 4; the other "
                              'models have none)'))
    train.add_argument('--size', type=_positive, default=None,
                       help=_("image size (built-in data: generated size, the recipe's; real "
                              'data: resized, needed for --batch-size > 1 when image sizes differ, '
                              'as in VOC)'))
    train.add_argument('--n-train', type=_positive, default=None,
                       help=_("number of training images (built-in data: the recipe's)"))
    train.add_argument('--dropout', type=_ratio, default=None,
                       help=_("dropout ratio, 0 = off (built-in data: the recipe's; real data: "
                              "the paper's)"))
    train.add_argument('--n-val', type=_positive, default=None,
                       help=_('number of validation images (built-in default 50)'))
    train.add_argument('--optimizer', choices=('adam', 'sgd', 'momentum99', 'rmsprop'),
                       default='adam', help=_('default adam'))
    train.add_argument('--lr', type=_positive_float, default=None,
                       help=_("learning rate (built-in data with Adam: the recipe's; else the "
                              "optimizer's default)"))
    train.add_argument('--seed', type=int, default=0,
                       help=_('seeds weights, shuffling and the built-in data (default 0)'))
    train.add_argument('--weight-map', action='store_true',
                       help=_("weight the loss with U-Net's border-emphasising weight map (data "
                              'with cell instances: cells)'))
    train.add_argument('--flip', action=argparse.BooleanOptionalAction, default=None,
                       help=_("augment the training images with random left-right flips "
                              "(built-in data: the recipe's, on; real data: off)"))
    train.add_argument('--quiet', action='store_true', help=_('no progress bar'))
    train.set_defaults(func=cmd_train)

    evaluate = commands.add_parser('evaluate', help=_('score a saved model on a validation set'),
                                   description=_('Print pixel accuracy, mean class accuracy, mean '
                                                 'IoU, frequency-weighted IoU and per-class IoU.'))
    evaluate.add_argument('model', help=_('a .npz written by seglearn train or save_model'))
    evaluate.add_argument('--data', required=True, help=_('as for train (the validation split)'))
    evaluate.add_argument('--device', default='@numpy')
    evaluate.add_argument('--size', type=_positive, default=None, help=_('as for train'))
    evaluate.add_argument('--n-val', type=_positive, default=None,
                          help=_('number of validation images (built-in default 50)'))
    evaluate.add_argument('--seed', type=int, default=0, help=_('built-in data: as for train'))
    evaluate.set_defaults(func=cmd_evaluate)

    predict = commands.add_parser('predict', help=_('label images with a saved model'),
                                  description=_('Write NAME_label.png (colours) and '
                                                'NAME_overlay.png for each image (NAME-2_… when '
                                                'two images share a name); images above {:,} '
                                                'pixels are predicted window by window.').format(
                                      PREDICT_WINDOW_PIXELS))
    predict.add_argument('model', help=_('a .npz written by seglearn train or save_model'))
    predict.add_argument('images', nargs='+', metavar='IMAGE')
    predict.add_argument('--out', default='predictions')
    predict.add_argument('--device', default='@numpy')
    predict.set_defaults(func=cmd_predict)

    doctor = commands.add_parser('doctor', help=_('what is installed; is a GPU usable'),
                                 description=_('Versions, GPU status, BLAS, compatibility patches '
                                               'and data folders.'))
    doctor.set_defaults(func=cmd_doctor)
    return parser


def main(argv=None):
    """Run the ``seglearn`` command.

    Args:
        argv (list of str or None): arguments without the program name; None = ``sys.argv[1:]``.

    Returns:
        int: exit status: 0 success, 2 a bad command line or input (found before any work), 1 a
        failure during the work, 130 interrupted (see the module docstring). Each error is one
        line on stderr; ``SEGLEARN_DEBUG=1`` shows the traceback of a failure instead.
    """
    import seglearn  # noqa: F401  (applies seglearn._compat before chainer is imported)
    prog = 'seglearn'
    try:
        args = build_parser().parse_args(argv)
        prog = 'seglearn ' + args.command
        return args.func(args)
    except CLIError as error:
        print(_('{}: error: {}').format(prog if error.prog == 'seglearn' else error.prog, error),
              file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
    except KeyboardInterrupt:
        print(_('\n{}: interrupted').format(prog), file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001  (a failure during the work: one line, status 1)
        if os.environ.get('SEGLEARN_DEBUG'):
            raise
        hint = ''
        if isinstance(error, MemoryError):
            hint = _(' (out of memory: lower --batch-size, --size or --width)')
        elif not isinstance(error, (OSError, ValueError, FloatingPointError)):
            hint = _(' (SEGLEARN_DEBUG=1 shows the traceback)')
        print(_('{}: error: {}: {}{}').format(prog, type(error).__name__, _one_line(error), hint),
              file=sys.stderr)
        return 1
