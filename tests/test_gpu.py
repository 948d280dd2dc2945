"""The GPU path: every model, loss, metric, the trainer, inference and save/load on CuPy.

Each test compares the CuPy result with the NumPy one (the CPU side runs seglearn's fast CPU
convolution, the GPU side Chainer's own kernels, so the two are independent implementations).
All tests are marked ``gpu`` and skip cleanly without CuPy and a CUDA device (tests/conftest.py).
``make gpu-check`` runs them.
"""
import copy
import functools

import chainer
import numpy
import pytest

import seglearn  # noqa: F401
from seglearn import (backend, datasets, functions, inference, losses, metrics, models,
                      serialization, training)
from small import width_option

pytestmark = pytest.mark.gpu
GPU = '@cupy:0'


def _close(gpu_array, cpu_array, rtol=1e-3):
    expected = numpy.asarray(cpu_array)
    scale = float(numpy.abs(expected).max()) or 1.0
    numpy.testing.assert_allclose(backend.to_numpy(gpu_array), expected, rtol=rtol,
                                  atol=rtol * scale)


# every model of the zoo (a new line in seglearn.models.MODELS is tested here too) at 1/16 of its
# width, and two variants: name -> (factory, (batch, H, W)); the valid U-Net needs 188 pixels
MODEL_CASES = {name: (functools.partial(models.build, name, 3, **width_option(spec.cls, 1 / 16)),
                      (1, 188, 188) if spec.cls is models.UNet else (2, 40, 36))
               for name, spec in models.MODELS.items()}
MODEL_CASES['unet_same'] = (functools.partial(models.UNet, 2, in_channels=1, base=4,
                                              padding='same', upsample='bilinear',
                                              batch_norm=True), (2, 48, 48))
MODEL_CASES['fcdensenet_convtd'] = (functools.partial(models.FCDenseNet, 3, n_layers_per_block=2,
                                                      growth_rate=4, transition='conv'),
                                    (2, 64, 64))


@pytest.mark.parametrize('name', sorted(MODEL_CASES))
def test_model_forward_and_backward_match_cpu(name):
    build, (batch, h, w) = MODEL_CASES[name]
    chainer.global_config.train = True
    numpy.random.seed(0)
    cpu_model = build()
    shape = (batch, cpu_model.in_channels, h, w)
    x = (numpy.random.RandomState(1).rand(*shape) * 255).astype(numpy.float32)
    with chainer.using_config('train', False):
        cpu_model(x)  # lazily initialised links get their parameters
    gpu_model = copy.deepcopy(cpu_model).to_device(GPU)
    results = []
    for model, array in ((cpu_model, x), (gpu_model, backend.to_device(x, GPU))):
        model.cleargrads()
        with chainer.using_config('train', False):  # dropout off, BN on running statistics
            y = model(array)
            weights = model.xp.asarray(
                numpy.random.RandomState(2).randn(*y.shape).astype(numpy.float32))
            chainer.functions.sum(y * weights).backward()
        grads = {path: param.grad for path, param in model.namedparams() if param.grad is not None}
        results.append((y.array, grads))
    (y_cpu, g_cpu), (y_gpu, g_gpu) = results
    _close(y_gpu, y_cpu)
    assert sorted(g_cpu) == sorted(g_gpu) and g_cpu
    for path in g_cpu:
        _close(g_gpu[path], g_cpu[path], rtol=5e-3)


def test_fast_cpu_functions_take_chainers_path_on_gpu():
    import cupy
    rng = numpy.random.RandomState(0)
    x = rng.randn(2, 3, 9, 9).astype(numpy.float32)
    w = rng.randn(4, 3, 3, 3).astype(numpy.float32)
    y = functions.convolution_2d(cupy.asarray(x), cupy.asarray(w), stride=2, pad=1)
    assert isinstance(y.array, cupy.ndarray)
    _close(y.array, chainer.functions.convolution_2d(x, w, stride=2, pad=1).array, rtol=1e-4)
    z = functions.deconvolution_2d(cupy.asarray(x), cupy.asarray(w.transpose(1, 0, 2, 3)),
                                   stride=2, pad=1)
    _close(z.array, chainer.functions.deconvolution_2d(x, w.transpose(1, 0, 2, 3),
                                                       stride=2, pad=1).array, rtol=1e-4)


def test_losses_match_cpu():
    rng = numpy.random.RandomState(0)
    logits = rng.randn(2, 3, 8, 8).astype(numpy.float32)
    labels = rng.randint(-1, 3, size=(2, 8, 8)).astype(numpy.int32)
    weight_map = rng.rand(2, 8, 8).astype(numpy.float32)
    class_weight = numpy.array([1.0, 2.0, 0.5], numpy.float32)
    cpu = losses.pixel_cross_entropy(logits, labels, class_weight, weight_map)
    gpu = losses.pixel_cross_entropy(*(backend.to_device(a, GPU) for a in
                                       (logits, labels, class_weight, weight_map)))
    _close(gpu.array, cpu.array, rtol=1e-5)


def test_metrics_on_cupy_arrays():
    rng = numpy.random.RandomState(0)
    pred = rng.randint(0, 4, size=(3, 16, 16)).astype(numpy.int32)
    gt = rng.randint(-1, 4, size=(3, 16, 16)).astype(numpy.int32)
    on_gpu = metrics.confusion_matrix(backend.to_device(pred, GPU), backend.to_device(gt, GPU), 4)
    numpy.testing.assert_array_equal(backend.to_numpy(on_gpu),
                                     metrics.confusion_matrix(pred, gt, 4))
    assert metrics.scores(on_gpu)['miou'] == pytest.approx(metrics.evaluate(pred, gt, 4)['miou'])


def test_short_training_run_on_gpu(tmp_path):
    train = datasets.ShapesDataset(n=8, size=32, seed=0)
    val = datasets.ShapesDataset(n=4, size=32, seed=1)
    model = models.FCDenseNet(train.n_class, n_layers_per_block=2, growth_rate=4)
    trainer = training.make_trainer(model, train, val, epochs=2, batch_size=4, device=GPU,
                                    out=str(tmp_path), progress=False)
    trainer.run()
    log = trainer.get_extension('LogReport').log
    assert len(log) == 2 and all(numpy.isfinite(entry['main/loss']) for entry in log)
    assert 0.0 <= log[-1]['validation/main/miou'] <= 1.0
    assert (tmp_path / 'best_model.npz').exists()


def test_resume_on_gpu_reproduces_the_uninterrupted_log(tmp_path, capsys, monkeypatch):
    """CuPy's generator drives the dropout here (cuDNN off: its dropout has its own generator);
    a snapshot restores it, and without that the resumed run differs."""
    from test_training import _train  # the CPU test's model (with dropout), data and interruption
    keys = ['main/loss', 'validation/main/loss', 'validation/main/miou']
    with chainer.using_config('use_cudnn', 'never'):
        full, _ = _train(str(tmp_path / 'full'), epochs=3, device=GPU)
        _train(str(tmp_path / 'split'), epochs=3, stop_at=5, device=GPU)
        resumed, _ = _train(str(tmp_path / 'split'), epochs=3, resume_run=True, device=GPU)
        _train(str(tmp_path / 'control'), epochs=3, stop_at=5, device=GPU)
        monkeypatch.setattr(training, '_seed_cupy', lambda seed: None)
        control, _ = _train(str(tmp_path / 'control'), epochs=3, resume_run=True, device=GPU)
    for a, b in zip(full, resumed):
        for key in keys:
            assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6), key
    assert any(a['main/loss'] != pytest.approx(c['main/loss'], rel=1e-5)
               for a, c in zip(full[1:], control[1:]))


def test_predict_on_gpu_matches_cpu_and_save_on_gpu_loads_on_cpu(tmp_path):
    numpy.random.seed(0)
    model = models.FCN8s(3, width=1 / 16)
    img = (numpy.random.RandomState(3).rand(3, 45, 37) * 255).astype(numpy.float32)
    cpu_labels, cpu_probs = inference.predict(model, img, return_probs=True)
    model.to_device(GPU)
    gpu_labels, gpu_probs = inference.predict(model, img, return_probs=True)
    assert isinstance(gpu_labels, numpy.ndarray) and gpu_labels.dtype == numpy.int32
    _close(gpu_probs, cpu_probs, rtol=1e-4)
    path = str(tmp_path / 'fcn8s.npz')
    serialization.save_model(model, path)
    loaded = serialization.load_model(path)
    assert loaded.xp is numpy
    _, loaded_probs = inference.predict(loaded, img, return_probs=True)
    _close(loaded_probs, cpu_probs, rtol=1e-4)


def test_overlap_tile_and_sliding_window_on_gpu():
    numpy.random.seed(0)
    unet = models.UNet(2, in_channels=1, base=4)
    img = (numpy.random.RandomState(4).rand(1, 100, 90) * 255).astype(numpy.float32)
    cpu = inference.overlap_tile_predict(unet, img, return_probs=True)[1]
    unet.to_device(GPU)
    gpu = inference.overlap_tile_predict(unet, img, return_probs=True)[1]
    _close(gpu, cpu, rtol=1e-4)
    fcn = models.FCN32s(3, width=1 / 16)
    rgb = (numpy.random.RandomState(5).rand(3, 70, 70) * 255).astype(numpy.float32)
    cpu = inference.sliding_window_predict(fcn, rgb, window=48, stride=32, return_probs=True)[1]
    fcn.to_device(GPU)
    gpu = inference.sliding_window_predict(fcn, rgb, window=48, stride=32, return_probs=True)[1]
    _close(gpu, cpu, rtol=1e-4)
