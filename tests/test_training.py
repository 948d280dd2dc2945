"""Tests for seglearn.training: seeding, the loss chain, resumable iteration and exact resume."""
import json
import os
import random
import sys
import types

import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F
from chainer.serializers import DictionarySerializer, NpzDeserializer

from seglearn import links
from seglearn.losses import pixel_cross_entropy
from seglearn.serialization import load_model, read_header
from seglearn.training import (AtomicWriter, EpochShuffleOrderSampler, RandomStateKeeper,
                               ResumableSerialIterator, SegmentationLoss, epoch_line,
                               make_optimizer, make_trainer, resume, seed_all)
from small import examples as _data


class Tiny(chainer.Chain):
    """A 3×3 conv, dropout (so resuming must restore the random state) and a 1×1 conv."""

    def __init__(self, n_class=4, in_channels=3):
        super().__init__()
        self.n_class, self.in_channels = n_class, in_channels
        with self.init_scope():
            self.c1 = links.Convolution2D(in_channels, 6, 3, pad=1)
            self.c2 = links.Convolution2D(6, n_class, 1)

    def forward(self, x):
        return self.c2(F.dropout(F.relu(self.c1(x / 255.0)), 0.3))


def _roundtrip(obj, fresh):
    """Serialize ``obj`` to a dict and load it into ``fresh`` (what a snapshot does)."""
    s = DictionarySerializer()
    s.save(obj)
    NpzDeserializer(s.target).load(fresh)
    return fresh


def test_seed_all_reproduces_every_generator():
    seed_all(3)
    first = (random.random(), numpy.random.rand(), Tiny().c1.W.array.copy())
    seed_all(3)
    second = (random.random(), numpy.random.rand(), Tiny().c1.W.array.copy())
    assert first[:2] == second[:2]
    numpy.testing.assert_array_equal(first[2], second[2])
    assert os.environ['CHAINER_SEED'] == '3'
    seed_all(4)
    assert numpy.random.rand() != first[1]
    for bad in (-1, 1.5, '3', True):
        with pytest.raises(ValueError, match='seed'):
            seed_all(bad)


def test_segmentation_loss_matches_pixel_cross_entropy_and_reports():
    numpy.random.seed(0)
    model = Tiny()
    (x0, t0, w0), (x1, t1, w1) = _data(2, weights=True)
    x, t, w = numpy.stack([x0, x1]), numpy.stack([t0, t1]), numpy.stack([w0, w1])
    cw = numpy.array([1, 2, 3, 4], numpy.float32)
    chain = SegmentationLoss(model, class_weight=cw)
    observer = chainer.Reporter()
    observer.add_observer('main', chain)
    with chainer.using_config('train', False), observer.scope(observation := {}):
        loss = chain(x, t, w)
    with chainer.using_config('train', False):
        logits = model.forward(x)
    ref = pixel_cross_entropy(logits, t, class_weight=cw, weight_map=w)
    numpy.testing.assert_allclose(loss.array, ref.array, rtol=1e-6)
    assert float(observation['main/loss'].array) == float(loss.array)
    valid = t != -1
    expected_acc = (logits.array.argmax(axis=1) == t)[valid].mean()
    assert observation['main/pixel_accuracy'] == pytest.approx(expected_acc)


def test_segmentation_loss_crops_labels_to_smaller_logits():
    class Valid(Tiny):
        def forward(self, x):
            return super().forward(x)[:, :, 2:-2, 1:-1]

    numpy.random.seed(1)
    model = Valid()
    (x0, t0, w0), = _data(1, weights=True)
    x, t, w = x0[None], t0[None], w0[None]
    with chainer.using_config('train', False):
        loss = SegmentationLoss(model)(x, t, w)
        ref = pixel_cross_entropy(model.forward(x), t[:, 2:-2, 1:-1], weight_map=w[:, 2:-2, 1:-1])
    numpy.testing.assert_allclose(loss.array, ref.array, rtol=1e-6)


def test_order_sampler_depends_only_on_seed_and_epoch():
    a, b = EpochShuffleOrderSampler(5), EpochShuffleOrderSampler(5)
    orders = [a(numpy.arange(10), 0) for _ in range(3)]
    assert all(sorted(o) == list(range(10)) for o in orders)
    assert not numpy.array_equal(orders[0], orders[1])
    b.calls = 2  # jumping to epoch 2 gives epoch 2's order, whatever came before
    numpy.testing.assert_array_equal(b(numpy.arange(10), 0), orders[2])
    assert not numpy.array_equal(EpochShuffleOrderSampler(6)(numpy.arange(10), 0), orders[0])


def test_resumable_iterator_continues_identically():
    data = list(range(7))
    it = ResumableSerialIterator(data, 3, seed=1)
    for _ in range(4):  # 12 examples: into the second epoch
        it.next()
    fresh = _roundtrip(it, ResumableSerialIterator(data, 3, seed=1))
    assert fresh.order_sampler.calls == it.order_sampler.calls
    for _ in range(6):  # through two more epoch boundaries
        assert fresh.next() == it.next()
    # A plain SerialIterator with a shuffle sampler loses its random state in a snapshot.
    plain = chainer.iterators.SerialIterator(data, 3, order_sampler=chainer.iterators.
                                             ShuffleOrderSampler(numpy.random.RandomState(1)))
    for _ in range(4):
        plain.next()
    fresh_plain = _roundtrip(plain, chainer.iterators.SerialIterator(
        data, 3, order_sampler=chainer.iterators.ShuffleOrderSampler(numpy.random.RandomState(1))))
    assert [fresh_plain.next() for _ in range(6)] != [plain.next() for _ in range(6)]


def test_random_state_keeper_round_trip():
    keeper = RandomStateKeeper()
    random.seed(1)
    numpy.random.seed(1)
    numpy.random.randn()  # leaves a cached Gaussian in NumPy's state
    random.gauss(0, 1)  # and one in Python's
    s = DictionarySerializer()
    s.save(keeper)
    expected = (random.random(), random.gauss(0, 1), numpy.random.randn(), numpy.random.rand())
    random.seed(99)
    numpy.random.seed(99)
    NpzDeserializer(s.target).load(keeper)
    got = (random.random(), random.gauss(0, 1), numpy.random.randn(), numpy.random.rand())
    assert got == expected


def _fake_cupy(monkeypatch):
    """Stand-in for CuPy on the CPU: its generator only records the seeds it is given."""
    seeds = []
    generator = types.SimpleNamespace(seed=seeds.append)
    fake = types.ModuleType('cupy')
    fake.random = types.SimpleNamespace(get_random_state=lambda: generator)
    monkeypatch.setitem(sys.modules, 'cupy', fake)
    return seeds


def test_random_state_keeper_reseeds_cupy_each_epoch_and_on_resume(monkeypatch):
    seeds = _fake_cupy(monkeypatch)
    trainer = types.SimpleNamespace(updater=types.SimpleNamespace(iteration=6))
    keeper = RandomStateKeeper(seed=3, gpu=True)
    keeper(trainer)
    trainer.updater.iteration = 9
    keeper(trainer)
    assert len(seeds) == 2 and seeds[0] != seeds[1] and keeper.cupy_seed == seeds[1]
    assert all(0 <= seed < 2 ** 32 for seed in seeds)
    RandomStateKeeper(seed=4, gpu=True)(trainer)  # the base seed matters too
    assert seeds[2] != seeds[1]
    s = DictionarySerializer()
    s.save(keeper)  # saving re-seeds nothing
    assert len(seeds) == 3
    fresh = RandomStateKeeper(seed=3, gpu=True)
    NpzDeserializer(s.target).load(fresh)  # a resumed run continues from the saved seed
    assert seeds[3:] == [seeds[1]] and fresh.cupy_seed == seeds[1]
    # On the CPU the keeper never touches CuPy, and its snapshot still loads on a GPU.
    cpu = RandomStateKeeper(seed=3)
    cpu(trainer)
    _roundtrip(cpu, RandomStateKeeper(seed=3, gpu=True))
    assert len(seeds) == 4 and cpu.cupy_seed == -1


def test_atomic_writer_keeps_old_snapshot_when_interrupted(tmp_path):
    out = str(tmp_path)
    AtomicWriter()('snap.npz', out, {'a': numpy.arange(3)})

    def dying_save(f, target):
        f.write(b'PK\x03\x04 partial zip')
        raise RuntimeError('killed while writing')

    with pytest.raises(RuntimeError, match='killed'):
        AtomicWriter(savefun=dying_save)('snap.npz', out, {'a': numpy.arange(5)})
    with numpy.load(os.path.join(out, 'snap.npz')) as npz:
        numpy.testing.assert_array_equal(npz['a'], numpy.arange(3))
    assert os.listdir(out) == ['snap.npz']


def _train(out, epochs, resume_run=False, val=True, stop_at=None, device='@numpy', **kwargs):
    seed_all(0)
    model = Tiny()
    trainer = make_trainer(model, _data(12, seed=1), _data(4, seed=2) if val else None,
                           epochs=epochs, batch_size=4, device=device, out=out,
                           progress=False, resume=resume_run, **kwargs)
    if stop_at is not None:  # Ctrl-C in the middle of an iteration's extensions
        def interrupt(trainer):
            if trainer.updater.iteration == stop_at:
                raise KeyboardInterrupt
        trainer.extend(interrupt, trigger=(1, 'iteration'))
        with pytest.raises(KeyboardInterrupt):
            trainer.run()
    else:
        trainer.run()
    with open(os.path.join(out, 'log')) as f:
        return json.load(f), model


def test_resume_reproduces_uninterrupted_run(tmp_path, capsys):
    full, full_model = _train(str(tmp_path / 'full'), epochs=3)
    # 3 iterations per epoch: killed in the middle of epoch 2, after the epoch-1 snapshot.
    first, _ = _train(str(tmp_path / 'split'), epochs=3, stop_at=5)
    assert len(first) == 1
    # A new model, optimizer and trainer, as in a new process, picking up the snapshot; two more
    # epochs so that the resumed run crosses an epoch boundary (a new shuffling order) itself.
    resumed, resumed_model = _train(str(tmp_path / 'split'), epochs=3, resume_run=True)
    assert len(full) == len(resumed) == 3
    keys = ['main/loss', 'main/pixel_accuracy', 'validation/main/loss', 'validation/main/miou',
            'validation/main/pixel_accuracy', 'epoch', 'iteration']
    for a, b in zip(full, resumed):
        for key in keys:
            assert a[key] == pytest.approx(b[key], rel=1e-6, abs=1e-7), key
    numpy.testing.assert_allclose(full_model.c1.W.array, resumed_model.c1.W.array, rtol=1e-6)
    # The second epoch really differs from the first (the test could fail).
    assert full[0]['main/loss'] != full[1]['main/loss']


def test_trainer_outputs(tmp_path, capsys):
    out = str(tmp_path / 'r')
    log, model = _train(out, epochs=2, weight_decay=1e-4, label_names=['a', 'b', 'c', 'd'])
    files = set(os.listdir(out))
    assert {'log', 'snapshot.npz', 'best_model.npz'} <= files
    if chainer.training.extensions.PlotReport.available():
        assert {'loss.png', 'miou.png'} <= files
    assert 'validation/main/iou/a' in log[-1]
    # Tiny is not a model of the zoo: a file does not rebuild it (issue 16), it loads into one
    assert read_header(os.path.join(out, 'best_model.npz'))['class'] == 'Tiny'
    best = load_model(os.path.join(out, 'best_model.npz'), model=Tiny())
    assert isinstance(best, Tiny)
    # the model inside the trainer snapshot loads too (it is the last epoch's)
    last = load_model(os.path.join(out, 'snapshot.npz'), model=Tiny())
    numpy.testing.assert_array_equal(last.c1.W.array, model.c1.W.array)
    printed = capsys.readouterr().out
    assert 'main/loss' in printed and 'validation/main/miou' in printed
    # best_model.npz holds the epoch with the best validation mIoU
    best_epoch = max(log, key=lambda e: e['validation/main/miou'])['epoch']
    if best_epoch == len(log):
        numpy.testing.assert_array_equal(best.c1.W.array, model.c1.W.array)


def test_epoch_line_is_one_short_line_per_epoch(tmp_path, capsys):
    seed_all(0)
    trainer = make_trainer(Tiny(), _data(12, seed=1), _data(4, seed=2), epochs=2, batch_size=4,
                           device='@numpy', out=str(tmp_path), report='line')
    trainer.run()
    printed = capsys.readouterr().out
    with open(os.path.join(str(tmp_path), 'log')) as f:
        log = json.load(f)
    finished = [line.rsplit('\r', 1)[-1].rstrip() for line in printed.split('\n')[:-1]]
    assert finished == [epoch_line(entry, 2) for entry in log]
    assert all(len(line) <= 90 for line in finished)
    assert finished[1].startswith('epoch 2/2 | step 6 | loss ')
    assert 'val loss' in finished[1] and 'val mIoU' in finished[1]
    assert printed.count('[') >= 2  # the progress bar, drawn at the first step of each epoch
    assert 'main/loss' not in printed  # no PrintReport table


def test_epoch_line_formats():
    entry = {'epoch': 3, 'iteration': 300, 'main/loss': 0.41234, 'elapsed_time': 41.6,
             'validation/main/loss': 0.398, 'validation/main/miou': 0.7312}
    assert epoch_line(entry, 6) == ('epoch 3/6 | step 300 | loss 0.412 | val loss 0.398 | '
                                    'val mIoU 0.731 | 42 s')
    assert epoch_line({'epoch': 1, 'iteration': 5, 'main/loss': 1.0, 'elapsed_time': 2.2}) == (
        'epoch 1 | step 5 | loss 1.000 | 2 s')
    with pytest.raises(ValueError, match="report must be one of 'table', 'line'"):
        make_trainer(Tiny(), _data(4), None, device='@numpy', out='unused', report='lines')


def test_trainer_without_validation_and_with_weight_maps(tmp_path, capsys):
    numpy.random.seed(0)
    model = Tiny()
    trainer = make_trainer(model, _data(8, weights=True), None, epochs=1, batch_size=4,
                           device='@numpy', out=str(tmp_path), progress=False,
                           optimizer=chainer.optimizers.MomentumSGD(lr=0.01))
    before = model.c1.W.array.copy()
    trainer.run()
    assert not numpy.array_equal(before, model.c1.W.array)
    assert 'best_model.npz' not in os.listdir(str(tmp_path))
    assert 'snapshot.npz' in os.listdir(str(tmp_path))


def test_resume_errors(tmp_path, capsys):
    numpy.random.seed(0)
    trainer = make_trainer(Tiny(), _data(4), None, epochs=1, device='@numpy',
                           out=str(tmp_path / 'a'), progress=False)
    with pytest.raises(FileNotFoundError, match='snapshot.npz'):
        resume(trainer)
    assert resume(trainer, missing_ok=True) is False
    trainer.run()
    other = make_trainer(Tiny(n_class=5), _data(4), None, epochs=2, device='@numpy',
                         out=str(tmp_path / 'b'), progress=False)
    with pytest.raises(ValueError, match='does not match this trainer'):
        resume(other, str(tmp_path / 'a'))
    same = make_trainer(Tiny(), _data(4), None, epochs=2, device='@numpy',
                        out=str(tmp_path / 'c'), progress=False)
    assert resume(same, str(tmp_path / 'a')) is True
    assert same.updater.epoch == 1


def test_make_trainer_bad_arguments(tmp_path):
    model, data = Tiny(), _data(2)
    for name in ('epochs', 'batch_size', 'val_batch_size', 'snapshot_every'):
        with pytest.raises(ValueError, match=name):
            make_trainer(model, data, out=str(tmp_path), **{name: 0})
    with pytest.raises(ValueError, match='at least one example'):
        make_trainer(model, [], out=str(tmp_path))
    with pytest.raises(ValueError, match='n_class'):
        make_trainer(chainer.Chain(), data, out=str(tmp_path))
    with pytest.raises(TypeError, match='optimizer'):
        make_trainer(model, data, optimizer=3, out=str(tmp_path))
    with pytest.raises(ValueError, match='weight_decay'):
        make_trainer(model, data, weight_decay=-1, out=str(tmp_path))


def test_make_optimizer():
    assert isinstance(make_optimizer('adam'), chainer.optimizers.Adam)
    assert make_optimizer('adam', lr=0.5).alpha == 0.5
    sgd = make_optimizer('momentum99', lr=1e-10)
    assert (sgd.lr, sgd.momentum) == (1e-10, 0.99)
    assert isinstance(make_optimizer('rmsprop'), chainer.optimizers.RMSprop)
    with pytest.raises(ValueError, match='optimizer must be one of'):
        make_optimizer('adamw')
    with pytest.raises(ValueError, match='lr'):
        make_optimizer('sgd', lr=0)


# --- robustness (issue 16): stale files, divergence, a full disk, damaged or hostile snapshots ----

_KILLED_CHILD = '''
import os, signal, sys
sys.path.insert(0, {tests!r})
import seglearn, chainer
from seglearn import _files, training
from small import examples
from test_training import Tiny

def die(f, *args):
    f.write(b'PK half a file')
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)

training.seed_all(0)
trainer = training.make_trainer(Tiny(), examples(12, seed=1), examples(4, seed=2), epochs=3,
                                batch_size=4, device='@numpy', out={out!r}, progress=False)
if {target!r} == 'snapshot.npz':  # in the second epoch's snapshot, after a good first one
    writer = trainer.get_extension('_Snapshot').writer
    save = writer._savefun
    writer._savefun = lambda f, t: die(f) if trainer.updater.epoch == 2 else save(f, t)
else:  # in the first best model
    training.save_model = lambda model, path: _files.atomic_save(path, die)
trainer.run()
'''


@pytest.mark.parametrize('target', ['snapshot.npz', 'best_model.npz'])
def test_kill_9_while_writing_leaves_a_temporary_file_that_resume_removes(tmp_path, target,
                                                                           capsys):
    import signal
    import subprocess
    import sys
    out = str(tmp_path / 'run')
    script = _KILLED_CHILD.format(tests=os.path.dirname(os.path.abspath(__file__)), out=out,
                                  target=target)
    done = subprocess.run([sys.executable, '-c', script], capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    leftovers = [name for name in os.listdir(out) if name.endswith('.tmp')]
    assert len(leftovers) == 1 and leftovers[0].startswith('.' + target + '.'), leftovers
    resumed, resumed_model = _train(out, epochs=3, resume_run=True)
    assert not [name for name in os.listdir(out) if name.endswith('.tmp')]
    full, full_model = _train(str(tmp_path / 'full'), epochs=3)
    assert [e['epoch'] for e in resumed] == [1, 2, 3]
    for a, b in zip(full, resumed):
        assert a['main/loss'] == pytest.approx(b['main/loss'], rel=1e-6)
    numpy.testing.assert_allclose(full_model.c1.W.array, resumed_model.c1.W.array, rtol=1e-6)


def test_stale_temporary_files_are_removed_at_start_and_on_resume(tmp_path):
    out = tmp_path / 'run'
    out.mkdir()
    stale = ['.snapshot.npz.ab12cd34.tmp', '.best_model.npz.x_y7z9q1.tmp',
             '.model.npz.0123abcd.tmp']
    kept = ['.snapshot.npz.tmp', 'notes.tmp', '.other.npz.ab12cd34.tmp', 'snapshot.npz.bak']
    for name in stale + kept:
        (out / name).write_bytes(b'x')
    make_trainer(Tiny(), _data(4), None, epochs=1, device='@numpy', out=str(out), progress=False)
    assert sorted(os.listdir(str(out))) == sorted(kept)
    (out / stale[0]).write_bytes(b'x')
    trainer = make_trainer(Tiny(), _data(4), None, epochs=1, device='@numpy',
                           out=str(tmp_path / 'elsewhere'), progress=False)
    assert resume(trainer, str(out), missing_ok=True) is False
    assert sorted(os.listdir(str(out))) == sorted(kept)


def test_a_nan_loss_stops_training_before_anything_is_saved(tmp_path, capsys):
    from seglearn.training import TrainingDivergedError
    numpy.random.seed(0)
    out = str(tmp_path / 'r')
    trainer = make_trainer(Tiny(), _data(12), _data(4, seed=2), epochs=3, batch_size=4,
                           device='@numpy', out=out, progress=False,
                           optimizer=chainer.optimizers.MomentumSGD(lr=1e30))
    with pytest.raises(TrainingDivergedError, match='training loss is (nan|inf)'):
        with numpy.errstate(all='ignore'):
            trainer.run(show_loop_exception_msg=False)
    assert trainer.updater.iteration == 1  # the second step saw the NaN and was not applied
    assert not {'snapshot.npz', 'best_model.npz'} & set(os.listdir(out))


def test_weights_that_diverge_at_the_end_of_an_epoch_are_not_saved(tmp_path, capsys):
    from seglearn.training import TrainingDivergedError
    numpy.random.seed(0)
    out = str(tmp_path / 'r')
    for val in (_data(4, seed=2), None):  # saving the best model, or the snapshot, comes first
        trainer = make_trainer(Tiny(), _data(4), val, epochs=2, batch_size=4, device='@numpy',
                               out=out, progress=False,
                               optimizer=chainer.optimizers.SGD(lr=float('inf')))
        with pytest.raises(TrainingDivergedError, match='NaN or infinity in .*was not written'):
            with numpy.errstate(all='ignore'):
                trainer.run(show_loop_exception_msg=False)
        assert not {'snapshot.npz', 'best_model.npz'} & set(os.listdir(out))


def test_a_full_disk_while_writing_a_snapshot_keeps_the_previous_one(tmp_path, capsys,
                                                                    monkeypatch):
    import errno
    numpy.random.seed(0)
    out = str(tmp_path / 'r')
    trainer = make_trainer(Tiny(), _data(8), None, epochs=3, batch_size=4, device='@numpy',
                           out=out, progress=False)
    writer = trainer.get_extension('_Snapshot').writer
    save = writer._savefun

    def full_disk(f, target):
        if trainer.updater.epoch == 2:
            f.write(b'PK some bytes')
            raise OSError(errno.ENOSPC, 'No space left on device')
        save(f, target)

    monkeypatch.setattr(writer, '_savefun', full_disk)
    with pytest.raises(OSError, match='No space left'):
        trainer.run(show_loop_exception_msg=False)
    assert 'snapshot.npz' in os.listdir(out)
    assert not [name for name in os.listdir(out) if name.startswith('.')]  # no temporary file
    again = make_trainer(Tiny(), _data(8), None, epochs=3, batch_size=4, device='@numpy',
                         out=out, progress=False)
    assert resume(again) and again.updater.epoch == 1


@pytest.mark.parametrize('damage', [b'', b'PK\x03\x04 truncated', b'not a zip at all'])
def test_resuming_from_an_empty_or_damaged_snapshot_is_a_clear_error(tmp_path, damage):
    trainer = make_trainer(Tiny(), _data(4), None, epochs=1, device='@numpy',
                           out=str(tmp_path), progress=False)
    (tmp_path / 'snapshot.npz').write_bytes(damage)
    with pytest.raises(ValueError, match='snapshot.npz.*delete it') as info:
        resume(trainer)
    assert '\n' not in str(info.value)


def test_a_pickled_array_in_a_snapshot_is_never_unpickled(tmp_path, capsys):
    marker = tmp_path / 'pwned'

    class Evil:
        def __reduce__(self):
            return os.system, ('touch {}'.format(marker),)

    _train(str(tmp_path), epochs=1, val=False)
    path = str(tmp_path / 'snapshot.npz')
    with numpy.load(path) as npz:
        arrays = {key: npz[key] for key in npz.files}
    arrays['updater/iteration'] = numpy.array([Evil()], dtype=object)
    numpy.savez(path, **arrays)
    trainer = make_trainer(Tiny(), _data(12, seed=1), None, epochs=2, batch_size=4,
                           device='@numpy', out=str(tmp_path), progress=False)
    with pytest.raises(ValueError, match='updater/iteration'):
        resume(trainer)
    assert not marker.exists()


def test_a_batch_larger_than_the_data_set_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r'batch_size \(5\) must not exceed the number of '
                                         r'training examples \(4\)'):
        make_trainer(Tiny(), _data(4), None, batch_size=5, device='@numpy', out=str(tmp_path))


@pytest.mark.parametrize('lr', [float('inf'), float('nan'), -1.0])
def test_make_optimizer_refuses_a_learning_rate_that_is_not_finite(lr):
    with pytest.raises(ValueError, match='lr'):
        make_optimizer('adam', lr=lr)
