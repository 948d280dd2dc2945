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
zoo, ``seglearn.models.MODELS``. ``seglearn COMMAND --help`` lists every option. Mistakes on the
command line (an unknown model, a bad ``--data``, a missing file, a GPU without CuPy) are reported
in one line and exit with status 2; ``python -m seglearn`` works too.
"""
import argparse
import contextlib
import os
import platform
import sys


class CLIError(Exception):
    """A problem with the command line: reported in one line, exit status 2.

    Args:
        message (str): what is wrong.
        prog (str): the (sub)command it concerns.
    """

    def __init__(self, message, prog='seglearn'):
        super().__init__(message)
        self.prog = prog


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise CLIError(message, self.prog)


@contextlib.contextmanager
def _usage_errors():
    """Turn errors caused by the arguments (while setting up) into :class:`CLIError`."""
    try:
        yield
    except CLIError:
        raise
    except (ValueError, TypeError, OSError, RuntimeError) as error:
        raise CLIError(str(error)) from None


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
    raise CLIError('bad --data {!r}: use {}, or NAME:PATH with NAME one of {}'.format(
        spec, ', '.join(builtin), ', '.join(real)))


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError('must be a positive integer, got {!r}'.format(text))
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError('must be a positive number, got {!r}'.format(text))
    return value


def _load_splits(name, path, size, n_train, n_val, seed):
    """(train, val) datasets for a --data spec: a built-in set generated from ``seed`` (200 and
    50 images by default, the validation set from ``seed + 1000``), or a real set's splits cut to
    the first ``n_train``/``n_val`` images and resized to ``size``."""
    from seglearn import datasets, pipeline
    if path is None:
        entry = datasets.CATALOG[name]
        size = size or entry.size
        return (entry.loader(n=n_train or 200, size=size, seed=seed),
                entry.loader(n=n_val or 50, size=size, seed=seed + 1000))
    if not os.path.isdir(path):
        raise CLIError('data folder not found: {}'.format(path))
    train, val = datasets.open_splits(name, path)
    if n_train:
        train = datasets.subset(train, 0, min(n_train, len(train)))
    if n_val:
        val = datasets.subset(val, 0, min(n_val, len(val)))
    if size:
        train, val = pipeline.resized(train, size), pipeline.resized(val, size)
    return train, val


def _with_channels(dataset, channels):
    """Repeat grey images to RGB (or average RGB to grey) to match a model's input channels."""
    import chainer
    import numpy
    have = dataset[0][0].shape[0]
    if have == channels:
        return dataset
    if (have, channels) not in ((1, 3), (3, 1)):
        raise CLIError('the model takes {} input channels but the data has {}'.format(
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


def cmd_train(args):
    """``seglearn train``."""
    import matplotlib
    matplotlib.use('Agg')  # PlotReport draws without a display
    from seglearn import models, pipeline, serialization, training
    with _usage_errors():
        name, path = parse_data_spec(args.data)
        device = _device(args.device)
        training.seed_all(args.seed)
        train, val = _load_splits(name, path, args.size, args.n_train, args.n_val, args.seed)
        n_class = len(train.class_names)
        # a model that takes a fixed number of channels (FCN: RGB) gets the data converted
        channels = models.MODELS[args.model].cls.in_channels or train[0][0].shape[0]
        if args.weight_map:
            train = pipeline.WeightMapDataset(train)
        train, val = _with_channels(train, channels), _with_channels(val, channels)
        model = models.build(args.model, n_class, in_channels=channels, width=args.width,
                             depth=args.depth)
        if args.flip:
            train = pipeline.augment(train, x_flip=True)
        if getattr(model, 'padding', None) == 'valid':
            train = pipeline.pad_for_valid_unet(train, model.depth)
            val = pipeline.pad_for_valid_unet(val, model.depth)
        trainer = training.make_trainer(
            model, train, val, optimizer=args.optimizer, lr=args.lr, epochs=args.epochs,
            batch_size=args.batch_size, device=device, out=args.out, n_class=n_class,
            label_names=_class_names(train), seed=args.seed, progress=not args.quiet,
            val_batch_size=1 if path and not args.size else None)
        if args.resume and not training.resume(trainer, missing_ok=True):
            print('no snapshot in {}: starting from scratch'.format(args.out))
    try:
        trainer.run()
    except KeyboardInterrupt:
        print('\ninterrupted: continue with the same command plus --resume', file=sys.stderr)
        return 130
    final = os.path.join(args.out, 'model.npz')
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
    from seglearn import inference, metrics, serialization
    with _usage_errors():
        name, path = parse_data_spec(args.data)
        device = _device(args.device)
        model = serialization.load_model(args.model, device=device)
        _, val = _load_splits(name, path, args.size, None, args.n_val, args.seed)
        names = _class_names(val)
        if len(names) != model.n_class:
            raise CLIError('the model predicts {} classes but --data {} has {}'.format(
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


def cmd_predict(args):
    """``seglearn predict``."""
    from PIL import Image

    from seglearn import inference, palettes, serialization, visualize
    from seglearn.datasets import read_image
    with _usage_errors():
        for path in args.images:
            if not os.path.isfile(path):
                raise CLIError('image not found: {}'.format(path))
        model = serialization.load_model(args.model, device=_device(args.device))
        images = [read_image(path, 'L' if model.in_channels == 1 else 'RGB')
                  for path in args.images]
    os.makedirs(args.out, exist_ok=True)
    palette = palettes.default_palette(model.n_class)
    for path, img in zip(args.images, images):
        label = inference.predict(model, img)
        stem = os.path.join(args.out, os.path.splitext(os.path.basename(path))[0])
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


def build_parser():
    """The argparse parser of the ``seglearn`` command."""
    from seglearn import models
    parser = _Parser(prog='seglearn', description='Semantic segmentation from the papers, in '
                     'Chainer: train, evaluate and run FCN, U-Net and FC-DenseNet.')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)

    train = commands.add_parser('train', help='train a model',
                                description='Train a model; writes log, loss/mIoU plots, '
                                'snapshot.npz (resumable), best_model.npz and model.npz to --out.')
    train.add_argument('model', choices=models.MODELS, metavar='MODEL',
                       help='the architecture: ' + ', '.join(models.MODELS))
    builtin, real = _data_names()
    train.add_argument('--data', required=True,
                       help=' | '.join(builtin + [name + ':PATH' for name in real]))
    train.add_argument('--epochs', type=_positive, default=10, help='default 10')
    train.add_argument('--batch-size', type=_positive, default=4, help='default 4')
    train.add_argument('--device', default=None,
                       help='@numpy (CPU), @cupy:0 (GPU 0), -1, 0, … (default: GPU if usable)')
    train.add_argument('--out', default='result', help='output folder (default: result)')
    train.add_argument('--resume', action='store_true',
                       help='continue from OUT/snapshot.npz if it exists')
    train.add_argument('--width', type=_positive_float, default=1.0,
                       help='channel multiplier, e.g. 0.25 for a small fast model (default 1)')
    train.add_argument('--depth', type=_positive, default=None,
                       help='U-Net depth (default 4; the other models have none)')
    train.add_argument('--size', type=_positive, default=None,
                       help='image size (built-in data: generated size; real data: resized, '
                       'needed for --batch-size > 1 when image sizes differ, as in VOC)')
    train.add_argument('--n-train', type=_positive, default=None,
                       help='number of training images (built-in default 200)')
    train.add_argument('--n-val', type=_positive, default=None,
                       help='number of validation images (built-in default 50)')
    train.add_argument('--optimizer', choices=('adam', 'sgd', 'momentum99', 'rmsprop'),
                       default='adam', help='default adam')
    train.add_argument('--lr', type=_positive_float, default=None, help='learning rate')
    train.add_argument('--seed', type=int, default=0,
                       help='seeds weights, shuffling and the built-in data (default 0)')
    train.add_argument('--weight-map', action='store_true',
                       help="weight the loss with U-Net's border-emphasising weight map (data "
                       'with cell instances: cells)')
    train.add_argument('--flip', action='store_true',
                       help='augment the training images with random left-right flips')
    train.add_argument('--quiet', action='store_true', help='no progress bar')
    train.set_defaults(func=cmd_train)

    evaluate = commands.add_parser('evaluate', help='score a saved model on a validation set',
                                   description='Print pixel accuracy, mean class accuracy, mean '
                                   'IoU, frequency-weighted IoU and per-class IoU.')
    evaluate.add_argument('model', help='a .npz written by seglearn train or save_model')
    evaluate.add_argument('--data', required=True, help='as for train (the validation split)')
    evaluate.add_argument('--device', default='@numpy')
    evaluate.add_argument('--size', type=_positive, default=None, help='as for train')
    evaluate.add_argument('--n-val', type=_positive, default=None,
                          help='number of validation images (built-in default 50)')
    evaluate.add_argument('--seed', type=int, default=0, help='built-in data: as for train')
    evaluate.set_defaults(func=cmd_evaluate)

    predict = commands.add_parser('predict', help='label images with a saved model',
                                  description='Write NAME_label.png (colours) and '
                                  'NAME_overlay.png for each image.')
    predict.add_argument('model', help='a .npz written by seglearn train or save_model')
    predict.add_argument('images', nargs='+', metavar='IMAGE')
    predict.add_argument('--out', default='predictions')
    predict.add_argument('--device', default='@numpy')
    predict.set_defaults(func=cmd_predict)

    doctor = commands.add_parser('doctor', help='what is installed; is a GPU usable',
                                 description='Versions, GPU status, BLAS, compatibility patches '
                                 'and data folders.')
    doctor.set_defaults(func=cmd_doctor)
    return parser


def main(argv=None):
    """Run the ``seglearn`` command.

    Args:
        argv (list of str or None): arguments without the program name; None = ``sys.argv[1:]``.

    Returns:
        int: exit status (0 success, 2 bad command line, 130 interrupted).
    """
    import seglearn  # noqa: F401  (applies seglearn._compat before chainer is imported)
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except CLIError as error:
        print('{}: error: {}'.format(error.prog, error), file=sys.stderr)
        return 2
    except SystemExit as exit_:  # --help
        return exit_.code if isinstance(exit_.code, int) else 0
