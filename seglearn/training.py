"""Training a segmentation model with Chainer's Trainer, reproducibly and resumably.

Chainer splits a training loop into parts you can swap: an *iterator* cuts the dataset into
batches, an *updater* runs forward, backward and the optimizer step, and the *trainer* calls
*extensions* (evaluation, logging, plots, snapshots) on triggers such as "every epoch".
:func:`make_trainer` assembles the usual set for segmentation:

* :class:`SegmentationLoss` wraps the model: pixel cross-entropy (:mod:`seglearn.losses`),
  reporting ``main/loss`` and ``main/pixel_accuracy``;
* :class:`~seglearn.metrics.SegmentationEvaluator` on the validation set (mIoU and friends);
* ``LogReport`` (``out/log``); Chainer's ``PrintReport`` table and ``ProgressBar``, or
  :class:`EpochLine` (one short line per epoch and a one-line progress bar, for notebooks);
  ``PlotReport`` curves ``out/loss.png`` and ``out/miou.png``;
* ``out/best_model.npz``: the model with the best validation mIoU so far
  (:func:`seglearn.serialization.load_model` rebuilds it);
* ``out/snapshot.npz``: the whole trainer (model, optimizer state, iterator position, logs, random
  state) every epoch, written atomically, so :func:`resume` continues a stopped run exactly where
  it left off — on the CPU the resumed run reproduces the uninterrupted one. Temporary files of a
  run killed while writing are removed when the next run starts (:func:`remove_stale_files`).

A loss that becomes NaN or infinite stops training with :class:`TrainingDivergedError` before the
step is applied, and no snapshot or model file is written from weights that are not finite.

Reproducibility: call :func:`seed_all` before building the model (its initial weights come from
NumPy's global generator), and pass the same ``seed`` to :func:`make_trainer` (it fixes the
shuffling order). GPU runs are repeatable only up to cuDNN's non-deterministic kernels.
"""
import os
import random
import sys

import chainer
import numpy
from chainer import training
from chainer.dataset import convert
from chainer.iterators import SerialIterator
from chainer.training import extensions, triggers
from chainer.training.extensions import snapshot_writers

from seglearn import backend
from seglearn._checks import check_choice, check_int, check_positive, is_int
from seglearn._files import atomic_save, remove_stale
from seglearn.serialization import (UnreadableFileError, check_finite, safe_load_npz,
                                    save_model)
from seglearn.losses import pixel_cross_entropy
from seglearn.metrics import SegmentationEvaluator
from seglearn.models.common import center_crop

SNAPSHOT = 'snapshot.npz'
BEST_MODEL = 'best_model.npz'
MODEL = 'model.npz'  # the final model (the command line writes it after the run)


class TrainingDivergedError(FloatingPointError):
    """The loss or the weights became NaN or infinite; nothing was saved from that point on."""


def seed_all(seed):
    """Seed every random generator a training run uses.

    Python's ``random``, NumPy's global generator (weight initialisation, dropout on the CPU,
    augmentation that uses ``numpy.random``), Chainer's ``CHAINER_SEED`` and CuPy's generator when
    a GPU is usable. After one call, building a model and training it on the CPU gives the same
    numbers every time.

    Args:
        seed (int): a non-negative integer.

    Raises:
        ValueError: seed is not a non-negative integer.
    """
    if not is_int(seed) or seed < 0:
        raise ValueError('seed must be a non-negative integer; got {!r}'.format(seed))
    seed = int(seed)
    random.seed(seed)
    numpy.random.seed(seed)
    os.environ['CHAINER_SEED'] = str(seed)
    if backend.cupy_available():
        import cupy
        cupy.random.seed(seed)


class SegmentationLoss(chainer.Chain):
    """A model plus its loss: what the optimizer minimises.

    ``forward(x, t)`` or ``forward(x, t, weight_map)`` (a dataset of ``(img, label, weight)``
    triples gives the latter) runs ``model.forward(x)`` and returns
    :func:`~seglearn.losses.pixel_cross_entropy`. When the logits are smaller than the labels
    (U-Net with valid convolutions) the labels and weights are centre-cropped to the logits.
    Reports ``loss`` and ``pixel_accuracy`` (over non-ignored pixels) to Chainer's reporter, seen
    as ``main/loss`` and ``main/pixel_accuracy`` in the trainer's log. In training mode a loss
    that is NaN or infinite raises :class:`TrainingDivergedError` before the optimizer uses it.

    Args:
        model (chainer.Chain): segmentation model with ``forward(x)`` → (B, n_class, H, W).
        class_weight (array or None): (n_class,) per-class weights.
        normalize (bool): mean over non-ignored pixels (True) or sum (False, FCN reference).
    """

    def __init__(self, model, class_weight=None, normalize=True):
        super().__init__()
        with self.init_scope():
            self.model = model
        self.class_weight = None if class_weight is None else numpy.asarray(
            class_weight, numpy.float32)
        self.normalize = normalize

    def forward(self, x, t, weight_map=None):
        """Loss of one batch.

        Args:
            x (array): (B, C, H, W) float32 images.
            t (array): (B, H, W) int32 labels, -1 = ignore.
            weight_map (array or None): (B, H, W) float32 per-pixel weights.

        Returns:
            chainer.Variable: scalar loss.
        """
        logits = self.model.forward(x)
        size = logits.shape[2:]
        if t.shape[1:] != size:  # the crop of U-Net's skips, on a (B, 1, H, W) view
            t = center_crop(t[:, None], size)[:, 0]
            if weight_map is not None:
                weight_map = center_crop(weight_map[:, None], size)[:, 0]
        loss = pixel_cross_entropy(logits, t, class_weight=self.class_weight,
                                   weight_map=weight_map, normalize=self.normalize)
        if chainer.config.train and not bool(self.xp.isfinite(loss.array)):
            raise TrainingDivergedError(
                'the training loss is {}: training diverged (a learning rate too large?) and '
                'was stopped before this step was applied or saved'.format(float(loss.array)))
        valid = t != -1
        hits = (logits.array.argmax(axis=1) == t) & valid
        accuracy = float(hits.sum()) / max(int(valid.sum()), 1)
        chainer.report({'loss': loss, 'pixel_accuracy': accuracy}, self)
        return loss


class EpochShuffleOrderSampler:
    """Shuffles the dataset at each epoch with an order that depends only on (seed, epoch).

    Chainer's ``ShuffleOrderSampler`` keeps a ``RandomState`` that is not saved in snapshots, so
    a resumed run would see different batches. Here the k-th permutation is drawn from
    ``RandomState([seed, k])`` and the counter k is saved with the iterator
    (:class:`ResumableSerialIterator`).

    Args:
        seed (int): base seed.
    """

    def __init__(self, seed):
        self.seed = int(seed)
        self.calls = 0

    def __call__(self, current_order, current_position):
        rng = numpy.random.RandomState([self.seed, self.calls])
        self.calls += 1
        return rng.permutation(len(current_order))


class ResumableSerialIterator(SerialIterator):
    """``SerialIterator`` whose snapshot also holds its order sampler's counter.

    Args:
        dataset: the dataset.
        batch_size (int): examples per batch.
        seed (int): seed of the :class:`EpochShuffleOrderSampler`.
    """

    def __init__(self, dataset, batch_size, seed=0):
        super().__init__(dataset, batch_size, repeat=True,
                         order_sampler=EpochShuffleOrderSampler(seed))

    def serialize(self, serializer):
        super().serialize(serializer)
        self.order_sampler.calls = int(serializer('order_sampler_calls',
                                                  self.order_sampler.calls))


class RandomStateKeeper(training.Extension):
    """Keeps the random state of Python, NumPy and, on a GPU, CuPy with the trainer snapshot.

    Dropout and random augmentation draw from these generators; restoring them makes a resumed
    run draw the same numbers as an uninterrupted one. Python's and NumPy's states are saved as
    they are. CuPy's generator (cuRAND, one per GPU) cannot be read back, so on a GPU the keeper
    re-seeds it at the end of every epoch, before the snapshot is written, with a seed drawn from
    ``(seed, iteration)``; the snapshot holds that seed and :func:`resume` re-seeds with it, so
    both runs continue from the same CuPy state. (cuDNN's dropout keeps a generator of its own
    that no snapshot holds: README "GPU set-up".)

    Args:
        seed (int): base of the CuPy seeds.
        gpu (bool): whether the trainer runs on a CuPy device (CuPy is touched only then).
    """

    trigger = 1, 'epoch'
    priority = training.PRIORITY_READER  # after the epoch's evaluation, before the snapshot

    def __init__(self, seed=0, gpu=False):
        self.seed, self.gpu = int(seed), gpu
        self.cupy_seed = -1  # none drawn yet: CuPy runs on seed_all's seed until the first epoch

    def __call__(self, trainer):
        if self.gpu:
            state = numpy.random.SeedSequence([self.seed, trainer.updater.iteration])
            self.cupy_seed = int(state.generate_state(1, numpy.uint32)[0])
            _seed_cupy(self.cupy_seed)

    def serialize(self, serializer):
        name, keys, pos, has_gauss, cached = numpy.random.get_state()
        keys = serializer('numpy_keys', numpy.asarray(keys, numpy.uint32).copy())
        ints = serializer('numpy_pos_has_gauss', numpy.array([pos, has_gauss], numpy.int64))
        cached = serializer('numpy_cached_gaussian', numpy.array(cached, numpy.float64))
        numpy.random.set_state((name, keys, int(ints[0]), int(ints[1]), float(cached)))
        version, internal, gauss_next = random.getstate()
        internal = serializer('python_state', numpy.array(internal, numpy.int64))
        gauss = serializer('python_gauss_next', numpy.array(
            numpy.nan if gauss_next is None else gauss_next, numpy.float64))
        gauss = None if numpy.isnan(gauss) else float(gauss)
        random.setstate((version, tuple(int(v) for v in internal), gauss))
        self.cupy_seed = int(serializer('cupy_seed', numpy.array(self.cupy_seed, numpy.int64)))
        if isinstance(serializer, chainer.Deserializer) and self.gpu and self.cupy_seed >= 0:
            _seed_cupy(self.cupy_seed)


class EpochLine(training.Extension):
    """One line per epoch, at most 90 columns, and a one-line progress bar within the epoch.

    Chainer's ``PrintReport`` table is wider than a notebook's output area and its
    ``ProgressBar`` redraws several lines with terminal escapes; this extension prints
    ``epoch 3/6 | step 300 | loss 0.412 | val loss 0.398 | val mIoU 0.731 | 42 s``
    (the validation columns when a validation set is evaluated) and, while an epoch runs,
    rewrites one line with ``\\r`` (which JupyterLab and terminals both honour). Add it after
    ``LogReport``: it reads the epoch's averages from there.

    Args:
        epochs (int): the number of epochs of the run (for ``3/6``).
        out: a text stream; None = ``sys.stdout`` at each write (notebooks replace it).
        bar (bool): show the progress bar within the epoch.
        interval (float): seconds between redraws of the bar (it is drawn at the first step of
            each epoch, then at most once per interval).
    """

    trigger = 1, 'iteration'
    priority = training.PRIORITY_READER

    def __init__(self, epochs, out=None, bar=True, interval=1.0):
        self.epochs, self.out, self.bar, self.interval = epochs, out, bar, interval
        self._written = 0
        self._drawn_at = None  # elapsed time of the last redraw; None: not yet in this epoch

    def _write(self, text):
        out = self.out or sys.stdout
        out.write(text)
        out.flush()

    def __call__(self, trainer):
        updater = trainer.updater
        iterator = updater.get_iterator('main')
        if updater.is_new_epoch:
            entry = trainer.get_extension('LogReport').log[-1]
            self._write('\r' + epoch_line(entry, self.epochs).ljust(self._written) + '\n')
            self._written, self._drawn_at = 0, None
        elif self.bar and (self._drawn_at is None
                           or trainer.elapsed_time - self._drawn_at >= self.interval):
            self._drawn_at = trainer.elapsed_time
            done = iterator.epoch_detail - iterator.epoch
            loss = trainer.observation.get('main/loss')
            if loss is not None:
                loss = ' | loss {:.3f}'.format(float(getattr(loss, 'array', loss)))
            width = 20
            text = 'epoch {}/{} [{:<{}}] {:3.0%} | step {}{} | {:.0f} s'.format(
                iterator.epoch + 1, self.epochs, '#' * int(done * width), width, done,
                updater.iteration, loss or '', trainer.elapsed_time)
            self._write('\r' + text.ljust(self._written))
            self._written = len(text)


def epoch_line(entry, epochs=None):
    """One log entry of ``LogReport`` as the short line :class:`EpochLine` prints.

    Args:
        entry (dict): ``epoch``, ``iteration``, ``main/loss``, ``elapsed_time`` and, when there
            was validation, ``validation/main/loss`` and ``validation/main/miou``.
        epochs (int or None): the run's number of epochs, for ``epoch 3/6``.

    Returns:
        str: e.g. ``'epoch 3/6 | step 300 | loss 0.412 | val loss 0.398 | val mIoU 0.731 | 42 s'``.
    """
    parts = ['epoch {}{}'.format(entry['epoch'], '' if epochs is None else '/{}'.format(epochs)),
             'step {}'.format(entry['iteration']), 'loss {:.3f}'.format(entry['main/loss'])]
    if 'validation/main/loss' in entry:
        parts.append('val loss {:.3f}'.format(entry['validation/main/loss']))
    if 'validation/main/miou' in entry:
        parts.append('val mIoU {:.3f}'.format(entry['validation/main/miou']))
    parts.append('{:.0f} s'.format(entry['elapsed_time']))
    return ' | '.join(parts)


def _seed_cupy(seed):
    """Seed CuPy's generator of the current GPU."""
    import cupy
    cupy.random.get_random_state().seed(seed)


class AtomicWriter(snapshot_writers.Writer):
    """Snapshot writer that never leaves a half-written file, nor a diverged model.

    It writes to a temporary file in the same folder, flushes it to disk (``fsync``) and renames
    it over the target with ``os.replace``, an atomic operation: after a crash or a Ctrl-C the
    target is either the old snapshot or the new one, never a mix
    (:func:`seglearn._files.atomic_save`). (Chainer's ``SimpleWriter`` also renames a temporary
    file, without the ``fsync``.)

    Args:
        savefun: ``savefun(file, target)``; :func:`chainer.serializers.save_npz` by default.
        model (chainer.Link or None): when given, a snapshot is written only while its weights
            are finite (else :class:`TrainingDivergedError`).
    """

    def __init__(self, savefun=chainer.serializers.save_npz, model=None):
        super().__init__()
        self._savefun = savefun
        self._model = model

    def __call__(self, filename, outdir, target):
        if self._model is not None:
            _check_not_diverged(self._model, os.path.join(outdir, filename))
        atomic_save(os.path.join(outdir, filename), lambda f: self._savefun(f, target))
        self._post_save()


def _check_not_diverged(model, path):
    """Raise :class:`TrainingDivergedError` rather than save NaN or infinite weights to path."""
    try:
        check_finite(model)
    except ValueError as error:
        raise TrainingDivergedError('{}; {} was not written'.format(error, path)) from None


def _save_best(model, path):
    def save(trainer):
        _check_not_diverged(model, path)
        save_model(model, path)
    return save


def remove_stale_files(out):
    """Remove the temporary files a killed run left in ``out`` (``.snapshot.npz.*.tmp``,
    ``.best_model.npz.*.tmp``, ``.model.npz.*.tmp``; see :func:`seglearn._files.remove_stale`).

    :func:`make_trainer` and :func:`resume` call it; two runs must not share ``out``.

    Returns:
        list of str: the removed files.
    """
    return [path for name in (SNAPSHOT, BEST_MODEL, MODEL)
            for path in remove_stale(os.path.join(out, name))]


def make_optimizer(name='adam', lr=None):
    """A Chainer optimizer by name.

    Args:
        name (str): ``'adam'`` (Adam, α = lr or 1e-3), ``'sgd'`` (MomentumSGD, momentum 0.9,
            lr or 0.01), ``'momentum99'`` (MomentumSGD, momentum 0.99 as in FCN/U-Net, lr or
            1e-4) or ``'rmsprop'`` (RMSprop, lr or 1e-3, as in FC-DenseNet).
        lr (float or None): learning rate; None = the default above.

    Returns:
        chainer.Optimizer: not yet set up on a model.

    Raises:
        ValueError: unknown name, or lr not a finite number > 0.
    """
    if lr is not None:
        lr = check_positive('lr', lr)
    optimizers = chainer.optimizers
    makers = {
        'adam': lambda: optimizers.Adam(alpha=lr or 1e-3),
        'sgd': lambda: optimizers.MomentumSGD(lr=lr or 0.01, momentum=0.9),
        'momentum99': lambda: optimizers.MomentumSGD(lr=lr or 1e-4, momentum=0.99),
        'rmsprop': lambda: optimizers.RMSprop(lr=lr or 1e-3),
    }
    if name not in makers:
        raise ValueError('optimizer must be one of {} or a chainer Optimizer; got {!r}'.format(
            sorted(makers), name))
    return makers[name]()


def _pairs(batch, device=None):
    """Batch converter for evaluation: (img, label[, weight]) examples → (x, t)."""
    return convert.concat_examples(batch, device)[:2]


def make_trainer(model, train, val=None, optimizer='adam', epochs=10, batch_size=4, device=None,
                 out='result', n_class=None, label_names=None, seed=0, snapshot_every=1,
                 progress=True, lr=None, weight_decay=0.0, class_weight=None, normalize=True,
                 resume=False, val_batch_size=None, report='table'):
    """Build a Chainer Trainer for a segmentation model.

    The model is moved to ``device`` and wrapped in :class:`SegmentationLoss`. Extensions (see
    the module docstring): validation with :class:`~seglearn.metrics.SegmentationEvaluator`
    (when ``val`` is given), ``LogReport``, ``PrintReport``, ``ProgressBar`` (if ``progress``),
    ``PlotReport`` (loss.png, miou.png), ``best_model.npz`` on the best ``validation/main/miou``
    and an atomic trainer snapshot ``snapshot.npz`` every ``snapshot_every`` epochs.

    Args:
        model (chainer.Chain): ``forward(x)`` → logits; ``n_class`` attribute unless given.
        train: dataset of ``(img, label)`` or ``(img, label, weight_map)`` examples.
        val: validation dataset of ``(img, label)`` examples, or None.
        optimizer (str or chainer.Optimizer): a name for :func:`make_optimizer` or an optimizer
            instance (it is set up on the loss chain here).
        epochs (int): number of epochs.
        batch_size (int): examples per batch (validation too).
        device: anything :func:`seglearn.backend.get_device` accepts; None = GPU if usable.
        out (str): output folder (created).
        n_class (int or None): classes; None = ``model.n_class``.
        label_names (list of str or None): class names for per-class IoU in the log.
        seed (int): seed of the shuffling order (see :class:`EpochShuffleOrderSampler`).
        snapshot_every (int): epochs between trainer snapshots.
        progress (bool): show a progress bar.
        lr (float or None): learning rate for a named optimizer.
        weight_decay (float): L2 weight decay (an optimizer hook) when > 0.
        class_weight (array or None): (n_class,) class weights for the loss.
        normalize (bool): loss normalisation, see :func:`~seglearn.losses.pixel_cross_entropy`.
        resume (bool): continue from ``out/snapshot.npz`` when it exists (see :func:`resume`).
        val_batch_size (int or None): validation batch size; None = ``batch_size`` (use 1 for
            images of different sizes, as in VOC).
        report (str): ``'table'`` (Chainer's ``PrintReport``, and its ``ProgressBar`` if
            ``progress``; for terminals) or ``'line'`` (:class:`EpochLine`, one short line per
            epoch, with a one-line progress bar if ``progress``; for notebooks).

    Returns:
        chainer.training.Trainer: call ``.run()``; ``trainer.loss_chain`` is the loss wrapper.

    Raises:
        ValueError: epochs/batch_size/val_batch_size/snapshot_every below 1, a batch_size above
            the number of training examples, a negative weight_decay, an empty dataset, or no
            n_class.
        TypeError: one of those counts is not an int, or optimizer is neither a name nor a
            chainer Optimizer.
    """
    check_int('epochs', epochs, 1)
    check_choice('report', report, ('table', 'line'))
    check_int('batch_size', batch_size, 1)
    check_int('snapshot_every', snapshot_every, 1)
    val_batch_size = batch_size if val_batch_size is None else val_batch_size
    check_int('val_batch_size', val_batch_size, 1)
    if len(train) == 0:
        raise ValueError('train must hold at least one example; got an empty dataset')
    if n_class is None:
        n_class = getattr(model, 'n_class', None)
        if n_class is None:
            raise ValueError('n_class is None and the model has no n_class attribute')
    device = backend.get_device(device)
    device.use()
    model.to_device(device)

    loss_chain = SegmentationLoss(model, class_weight=class_weight, normalize=normalize)
    if not weight_decay >= 0:
        raise ValueError('weight_decay must be >= 0; got {!r}'.format(weight_decay))
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer, lr=lr)
    elif not isinstance(optimizer, chainer.Optimizer):
        raise TypeError('optimizer must be a name such as "adam" or a chainer Optimizer; '
                        'got {!r}'.format(optimizer))
    optimizer.setup(loss_chain)
    if weight_decay > 0:
        optimizer.add_hook(chainer.optimizer_hooks.WeightDecay(weight_decay))

    if batch_size > len(train):
        raise ValueError('batch_size ({}) must not exceed the number of training examples ({})'
                         .format(batch_size, len(train)))
    train_iter = ResumableSerialIterator(train, batch_size, seed=seed)
    updater = training.updaters.StandardUpdater(train_iter, optimizer, device=device)
    trainer = training.Trainer(updater, (epochs, 'epoch'), out=out)
    trainer.loss_chain = loss_chain
    os.makedirs(out, exist_ok=True)
    remove_stale_files(out)

    epoch = (1, 'epoch')
    plot_keys = {'loss.png': ['main/loss']}
    columns = ['epoch', 'iteration', 'main/loss', 'main/pixel_accuracy']
    if val is not None:
        val_iter = SerialIterator(val, val_batch_size, repeat=False, shuffle=False)
        trainer.extend(SegmentationEvaluator(val_iter, model, n_class, device=device,
                                             label_names=label_names, converter=_pairs),
                       trigger=epoch)
        plot_keys['loss.png'].append('validation/main/loss')
        plot_keys['miou.png'] = ['validation/main/miou']
        columns += ['validation/main/loss', 'validation/main/miou',
                    'validation/main/pixel_accuracy']
        best_path = os.path.join(out, BEST_MODEL)
        trainer.extend(_save_best(model, best_path),
                       name='best_model',
                       trigger=triggers.MaxValueTrigger('validation/main/miou', epoch))
    trainer.extend(extensions.LogReport(trigger=epoch))
    if report == 'line':
        trainer.extend(EpochLine(epochs, bar=progress))
    else:
        # sys.stdout looked up now, not when Chainer was imported (notebooks and tests replace it)
        trainer.extend(extensions.PrintReport(columns + ['elapsed_time'], out=sys.stdout))
        if progress:
            trainer.extend(extensions.ProgressBar(update_interval=1, out=sys.stdout))
    if extensions.PlotReport.available():
        for filename, keys in plot_keys.items():
            trainer.extend(extensions.PlotReport(keys, 'epoch', filename=filename))
    trainer.extend(RandomStateKeeper(seed, gpu=device.xp is not numpy), name='random_state')
    trainer.extend(extensions.snapshot(filename=SNAPSHOT, writer=AtomicWriter(model=loss_chain)),
                   trigger=(snapshot_every, 'epoch'))
    if resume:
        _resume(trainer, out, missing_ok=True)
    return trainer


def _resume(trainer, out, missing_ok):  # make_trainer's ``resume`` argument hides resume()
    out = out if out is not None else trainer.out
    remove_stale_files(out)
    path = os.path.join(out, SNAPSHOT)
    if not os.path.exists(path):
        if missing_ok:
            return False
        raise FileNotFoundError('no trainer snapshot to resume from: {} does not exist'.format(
            path))
    try:
        safe_load_npz(path, trainer)
    except UnreadableFileError as error:
        raise ValueError('{} (delete it, or choose another output folder, to start over)'.format(
            error)) from None
    except (KeyError, ValueError) as error:
        raise ValueError('the snapshot {} does not match this trainer (was it made with another '
                         'model, optimizer or validation set-up?): {}'.format(
                             path, error)) from None
    return True


def resume(trainer, out=None, missing_ok=False):
    """Load the latest trainer snapshot so that ``trainer.run()`` continues from it.

    Build the trainer exactly as for the interrupted run (same model class and size, optimizer,
    datasets, ``val`` or not, seed), then call ``resume``. The epochs to run may be raised.

    Temporary files a killed run left in ``out`` are removed first (:func:`remove_stale_files`).
    The snapshot is read with :func:`seglearn.serialization.safe_load_npz`: nothing in it is
    unpickled, and every array must have the shape of what it is loaded into.

    Args:
        trainer (chainer.training.Trainer): made by :func:`make_trainer`.
        out (str or None): folder holding ``snapshot.npz``; None = ``trainer.out``.
        missing_ok (bool): return False instead of raising when there is no snapshot.

    Returns:
        bool: True when a snapshot was loaded.

    Raises:
        FileNotFoundError: no snapshot and not ``missing_ok``.
        ValueError: the snapshot does not fit this trainer, or is empty, truncated or corrupt.
    """
    return _resume(trainer, out, missing_ok)
