"""The ``seglearn`` command line: train, evaluate, predict, doctor.

Examples::

    seglearn train unet --data cells --epochs 5 --out result/unet
    seglearn train fcdensenet56 --data camvid:~/seglearn_data/CamVid --size 224 --device @cupy:0
    seglearn evaluate result/unet/best_model.npz --data cells
    seglearn predict result/unet/best_model.npz my_cells.png --out predictions
    seglearn doctor

``--data`` names the built-in generated data sets (``shapes``, ``cells``; nothing to download) or a
real data set's folder as ``NAME:PATH`` (``voc``, ``camvid``, ``isbi``, ``pets``; see
``seglearn.datasets.download``). ``seglearn COMMAND --help`` lists every option. Mistakes on the
command line (an unknown model, a bad ``--data``, a missing file, a GPU without CuPy) are reported
in one line and exit with status 2; ``python -m seglearn`` works too.
"""
import argparse
import contextlib
import os
import platform
import sys

MODELS = ('fcn32s', 'fcn16s', 'fcn8s', 'fcn8s-atonce', 'unet', 'fcdensenet56', 'fcdensenet67',
          'fcdensenet103')
REAL_DATA = ('voc', 'camvid', 'isbi', 'pets')
BUILTIN_SIZE = {'shapes': 64, 'cells': 128}


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


def parse_data_spec(spec):
    """Split a ``--data`` value into (name, path).

    Args:
        spec (str): ``'shapes'``, ``'cells'`` or ``'NAME:PATH'`` with NAME in voc, camvid, isbi,
            pets.

    Returns:
        tuple: ``(name, path)``; path is None for the built-in data sets, user-expanded otherwise.

    Raises:
        CLIError: anything else.
    """
    name, sep, path = spec.partition(':')
    if name in BUILTIN_SIZE and not sep:
        return name, None
    if name in REAL_DATA and path:
        return name, os.path.expanduser(path)
    raise CLIError('bad --data {!r}: use shapes, cells, or NAME:PATH with NAME one of {}'.format(
        spec, ', '.join(REAL_DATA)))


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
    """(train, val) datasets for a --data spec."""
    from seglearn import datasets
    if path is None:
        cls = datasets.ShapesDataset if name == 'shapes' else datasets.CellsDataset
        size = size or BUILTIN_SIZE[name]
        return (cls(n=n_train or 200, size=size, seed=seed),
                cls(n=n_val or 50, size=size, seed=seed + 1000))
    if not os.path.isdir(path):
        raise CLIError('data folder not found: {}'.format(path))
    if name == 'voc':
        train, val = datasets.VOCSegmentation(path, 'train'), datasets.VOCSegmentation(path, 'val')
    elif name == 'camvid':
        train, val = datasets.CamVid(path, 'train'), datasets.CamVid(path, 'val')
    elif name == 'pets':
        train, val = datasets.OxfordPets(path, 'trainval'), datasets.OxfordPets(path, 'test')
    else:  # isbi: 30 labelled slices, the last 5 held out
        full = datasets.ISBI2012(path)
        train = _subset(full, 0, len(full) - 5)
        val = _subset(full, len(full) - 5, len(full))
    if n_train:
        train = _subset(train, 0, min(n_train, len(train)))
    if n_val:
        val = _subset(val, 0, min(n_val, len(val)))
    if size:
        train, val = _resized(train, size), _resized(val, size)
    return train, val


def _subset(dataset, start, stop):
    """Examples ``start:stop`` of a dataset, keeping its ``class_names`` (no copy)."""
    import chainer
    sub = chainer.datasets.SubDataset(dataset, start, stop)
    sub.class_names = dataset.class_names
    return sub


def _resized(dataset, size):
    import chainer

    from seglearn import transforms

    def resize(example):
        img, label = example
        return transforms.resize_image(img, size), transforms.resize_label(label, size)

    out = chainer.datasets.TransformDataset(dataset, resize)
    out.class_names = dataset.class_names
    return out


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


def build_model(name, n_class, in_channels, width=1.0, depth=4):
    """A model of the command line's zoo.

    Args:
        name (str): one of :data:`MODELS`.
        n_class (int): classes.
        in_channels (int): input channels (FCN takes RGB only: 3).
        width (float): channel multiplier (FCN: VGG width; U-Net: base 64·width; FC-DenseNet:
            first convolution 48·width channels).
        depth (int): U-Net depth.

    Returns:
        chainer.Chain: the model (it records its own constructor arguments for saving).
    """
    from seglearn import models
    if name.startswith('fcn'):
        cls = {'fcn32s': models.FCN32s, 'fcn16s': models.FCN16s, 'fcn8s': models.FCN8s,
               'fcn8s-atonce': models.FCN8sAtOnce}[name]
        return cls(n_class, width=width)
    if name == 'unet':
        base = max(1, int(round(64 * width)))
        return models.UNet(n_class, in_channels=in_channels, depth=depth, base=base)
    first = max(1, int(round(48 * width)))
    maker = {'fcdensenet56': models.FCDenseNet56, 'fcdensenet67': models.FCDenseNet67,
             'fcdensenet103': models.FCDenseNet103}[name]
    return maker(n_class, in_channels, first_channels=first)


def _device(spec):
    from seglearn import backend
    if spec is not None and spec.lstrip('-').isdigit():
        spec = int(spec)
    return backend.get_device(spec)


def cmd_train(args):
    """``seglearn train``."""
    import matplotlib
    matplotlib.use('Agg')  # PlotReport draws without a display
    from seglearn import inference, training
    with _usage_errors():
        name, path = parse_data_spec(args.data)
        device = _device(args.device)
        training.seed_all(args.seed)
        train, val = _load_splits(name, path, args.size, args.n_train, args.n_val, args.seed)
        n_class = len(train.class_names)
        channels = 3 if args.model.startswith('fcn') else train[0][0].shape[0]  # FCN: RGB
        if args.weight_map:
            train = training.WeightMapDataset(train)
        train, val = _with_channels(train, channels), _with_channels(val, channels)
        model = build_model(args.model, n_class, channels, args.width, args.depth)
        if args.flip:
            train = training.augment(train, x_flip=True)
        if getattr(model, 'padding', None) == 'valid':
            train = training.pad_for_valid_unet(train, model.depth)
            val = training.pad_for_valid_unet(val, model.depth)
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
    inference.save_model(model, final)
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
    from seglearn import inference, metrics
    with _usage_errors():
        name, path = parse_data_spec(args.data)
        device = _device(args.device)
        model = inference.load_model(args.model, device=device)
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

    from seglearn import inference, visualize
    from seglearn.datasets._base import read_image
    with _usage_errors():
        for path in args.images:
            if not os.path.isfile(path):
                raise CLIError('image not found: {}'.format(path))
        model = inference.load_model(args.model, device=_device(args.device))
        images = [read_image(path, 'L' if model.in_channels == 1 else 'RGB')
                  for path in args.images]
    os.makedirs(args.out, exist_ok=True)
    palette = visualize.default_palette(model.n_class)
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


def data_root():
    """The folder holding downloaded data sets: ``$SEGLEARN_DATA`` or ``~/seglearn_data``."""
    return os.path.expanduser(os.environ.get('SEGLEARN_DATA') or '~/seglearn_data')


def cmd_doctor(args):
    """``seglearn doctor``."""
    import chainer
    import numpy

    import seglearn
    from seglearn import _compat, backend
    from seglearn.datasets.download import REGISTRY, dataset_paths
    print('Python    {} ({})'.format(platform.python_version(), sys.executable))
    print('NumPy     {}'.format(numpy.__version__))
    print('Chainer   {}'.format(chainer.__version__))
    print('seglearn  {}'.format(seglearn.__version__))
    print('BLAS      {}'.format(_blas_info()))
    print('CPU path  {}'.format(seglearn.config.describe()))
    try:
        import cupy
        cupy_line = cupy.__version__
    except ImportError:
        cupy = None
        cupy_line = 'not installed (CPU only; README "GPU set-up")'
    print('CuPy      {}'.format(cupy_line))
    if cupy is not None and backend.cupy_available():
        props = cupy.cuda.runtime.getDeviceProperties(0)
        print('GPU       {} ({} device(s)); cuDNN {}'.format(
            props['name'].decode(), cupy.cuda.runtime.getDeviceCount(),
            'on' if chainer.backends.cuda.cudnn_enabled else 'off'))
    elif cupy is not None:
        print('GPU       none usable (no CUDA device or driver)')
    print('device    default: {}'.format(backend.get_device(None)))
    print('_compat   {}'.format(', '.join(_compat.APPLIED) or 'nothing needed'))
    root = data_root()
    print('data      {}{}'.format(root, '' if os.path.isdir(root) else ' (does not exist)'))
    for name, source in sorted(REGISTRY.items()):
        where = 'not found'
        for base in (os.path.join(root, name), root):
            marker, folder = dataset_paths(name, base)
            if os.path.exists(marker) or (source.path != '.' and os.path.isdir(folder)):
                where = folder
                break
        print('  {:<9s} {}'.format(name, where))
    return 0


def build_parser():
    """The argparse parser of the ``seglearn`` command."""
    parser = _Parser(prog='seglearn', description='Semantic segmentation from the papers, in '
                     'Chainer: train, evaluate and run FCN, U-Net and FC-DenseNet.')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)

    train = commands.add_parser('train', help='train a model',
                                description='Train a model; writes log, loss/mIoU plots, '
                                'snapshot.npz (resumable), best_model.npz and model.npz to --out.')
    train.add_argument('model', choices=MODELS, metavar='MODEL',
                       help='the architecture: ' + ', '.join(MODELS))
    train.add_argument('--data', required=True,
                       help='shapes | cells | voc:PATH | camvid:PATH | isbi:PATH | pets:PATH')
    train.add_argument('--epochs', type=_positive, default=10, help='default 10')
    train.add_argument('--batch-size', type=_positive, default=4, help='default 4')
    train.add_argument('--device', default=None,
                       help='@numpy (CPU), @cupy:0 (GPU 0), -1, 0, … (default: GPU if usable)')
    train.add_argument('--out', default='result', help='output folder (default: result)')
    train.add_argument('--resume', action='store_true',
                       help='continue from OUT/snapshot.npz if it exists')
    train.add_argument('--width', type=_positive_float, default=1.0,
                       help='channel multiplier, e.g. 0.25 for a small fast model (default 1)')
    train.add_argument('--depth', type=_positive, default=4, help='U-Net depth (default 4)')
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
