"""Tests for the seglearn command line, in-process through main([...]) and once as a subprocess."""
import json
import os
import subprocess
import sys

import numpy
import pytest

import seglearn  # noqa: F401
from seglearn import cli, metrics
from seglearn.backend import cupy_available
from seglearn.cli import main, parse_data_spec
from seglearn.datasets import CATALOG

TINY = ['--size', '32', '--n-train', '16', '--n-val', '4', '--epochs', '1', '--batch-size', '8',
        '--device', '@numpy', '--quiet']


def _one_line_error(capsys, code):
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.count('\n') == 1 and 'error:' in err and 'Traceback' not in err, err
    return err


def _write_png(path, h, w, channels=3, seed=0):
    from PIL import Image
    rng = numpy.random.RandomState(seed)
    shape = (h, w, channels) if channels == 3 else (h, w)
    Image.fromarray((rng.rand(*shape) * 255).astype(numpy.uint8)).save(path)


@pytest.mark.parametrize('spec', [
    ['unet', '--depth', '2', '--width', '0.0625'],
    pytest.param(['fcn32s', '--width', '0.0625'], marks=pytest.mark.slow),
])
def test_train_evaluate_predict_end_to_end(spec, tmp_path, capsys):
    from PIL import Image

    from seglearn.datasets import ShapesDataset
    from seglearn.inference import predict
    from seglearn.palettes import default_palette
    from seglearn.serialization import load_model
    out = str(tmp_path / 'run')
    assert main(['train'] + spec + ['--data', 'shapes', '--out', out] + TINY) == 0
    assert {'log', 'snapshot.npz', 'best_model.npz', 'model.npz'} <= set(os.listdir(out))
    with open(os.path.join(out, 'log')) as f:
        assert len(json.load(f)) == 1
    printed = capsys.readouterr().out
    assert 'validation/main/miou' in printed and 'model.npz' in printed

    # evaluate prints the metrics that an independent computation gives
    model_path = os.path.join(out, 'model.npz')
    assert main(['evaluate', model_path, '--data', 'shapes', '--size', '32', '--n-val', '4']) == 0
    printed = capsys.readouterr().out
    model = load_model(model_path)
    val = ShapesDataset(n=4, size=32, seed=1000, **CATALOG['shapes'].options)
    result = metrics.evaluate([predict(model, val[i][0]) for i in range(4)],
                              [val[i][1] for i in range(4)], model.n_class)
    assert 'mean IoU             {:.4f}'.format(result['miou']) in printed
    assert 'pixel accuracy       {:.4f}'.format(result['pixel_accuracy']) in printed
    for name in val.class_names:
        assert name in printed

    # predict writes a colour label map and an overlay of the image's size
    image = str(tmp_path / 'photo.png')
    _write_png(image, 37, 45)
    pred_dir = str(tmp_path / 'pred')
    assert main(['predict', model_path, image, '--out', pred_dir]) == 0
    label_png = numpy.asarray(Image.open(os.path.join(pred_dir, 'photo_label.png')))
    overlay_png = numpy.asarray(Image.open(os.path.join(pred_dir, 'photo_overlay.png')))
    assert label_png.shape == overlay_png.shape == (37, 45, 3)
    img = numpy.asarray(Image.open(image), numpy.float32).transpose(2, 0, 1)
    expected = default_palette(model.n_class)[predict(model, img)]
    numpy.testing.assert_array_equal(label_png, expected)

    # --resume continues the run: one more epoch in the log
    assert main(['train'] + spec + ['--data', 'shapes', '--out', out, '--resume'] + TINY
                + ['--epochs', '2']) == 0  # the last --epochs counts
    with open(os.path.join(out, 'log')) as f:
        assert [e['epoch'] for e in json.load(f)] == [1, 2]


def test_train_unet_on_cells_and_evaluate(tmp_path, capsys):
    out = str(tmp_path / 'unet')
    assert main(['train', 'unet', '--data', 'cells', '--width', '0.0625', '--depth', '2',
                 '--flip', '--weight-map', '--out', out] + TINY) == 0
    from seglearn.serialization import load_model
    unet = load_model(os.path.join(out, 'best_model.npz'))
    assert (unet.depth, unet.base, unet.padding, unet.in_channels) == (2, 4, 'valid', 1)
    assert main(['evaluate', os.path.join(out, 'model.npz'), '--data', 'cells', '--size', '32',
                 '--n-val', '4']) == 0
    assert 'cell' in capsys.readouterr().out
    image = str(tmp_path / 'grey.png')
    _write_png(image, 30, 41, channels=1)
    assert main(['predict', os.path.join(out, 'model.npz'), image, '--out', str(tmp_path)]) == 0
    assert os.path.exists(str(tmp_path / 'grey_overlay.png'))


def test_module_help_in_a_subprocess():
    done = subprocess.run([sys.executable, '-m', 'seglearn', '--help'], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for command in ('train', 'evaluate', 'predict', 'doctor'):
        assert command in done.stdout


@pytest.mark.parametrize('command', ['train', 'evaluate', 'predict', 'doctor'])
def test_help_of_each_command(command, capsys):
    assert main([command, '--help']) == 0
    assert 'usage: seglearn ' + command in capsys.readouterr().out


@pytest.mark.parametrize('argv,message', [
    ([], 'required: COMMAND'),
    (['fly'], "invalid choice: 'fly'"),
    (['train', 'segnet', '--data', 'shapes'], "invalid choice: 'segnet'"),
    (['train', 'unet'], '--data'),
    (['train', 'unet', '--data', 'mnist'], "bad --data 'mnist'"),
    (['train', 'unet', '--data', 'voc'], "bad --data 'voc'"),
    (['train', 'unet', '--data', 'voc:/no/such/folder'], 'data folder not found: /no/such/folder'),
    (['train', 'unet', '--data', 'shapes', '--epochs', '0'], '--epochs'),
    (['train', 'unet', '--data', 'shapes', '--lr', 'fast'], '--lr'),
    (['train', 'unet', '--data', 'shapes', '--device', 'tpu'], "unknown device 'tpu'"),
    (['train', 'unet', '--data', 'shapes', '--size', '8'], 'size'),
    (['train', 'unet', '--data', 'shapes', '--weight-map'], 'instances(i)'),
    (['train', 'fcn32s', '--data', 'shapes', '--depth', '3'], 'FCN32s has no depth option'),
    (['evaluate', 'missing.npz', '--data', 'shapes'], 'model file not found: missing.npz'),
    (['predict', 'missing.npz', 'x.png'], 'not found'),
])
def test_bad_arguments_give_one_line_and_status_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = _one_line_error(capsys, main(argv))
    assert message in err


@pytest.mark.skipif(cupy_available(), reason='a GPU is usable here')
def test_gpu_without_cupy_is_a_usage_error(capsys, tmp_path):
    err = _one_line_error(capsys, main(['train', 'unet', '--data', 'shapes', '--device',
                                        '@cupy:0', '--out', str(tmp_path)]))
    assert 'needs a GPU' in err


@pytest.mark.filterwarnings('ignore::seglearn.serialization.UnrecordedArgumentWarning')
def test_predict_missing_image_and_mismatched_data(tmp_path, capsys):
    from seglearn.serialization import save_model
    from seglearn.models import UNet
    model_path = str(tmp_path / 'm.npz')
    save_model(UNet(n_class=3, in_channels=1, depth=2, base=2), model_path)
    err = _one_line_error(capsys, main(['predict', model_path, str(tmp_path / 'none.png')]))
    assert 'image not found' in err
    err = _one_line_error(capsys, main(['evaluate', model_path, '--data', 'cells', '--n-val', '2',
                                        '--size', '32']))
    assert 'predicts 3 classes' in err


def test_doctor(tmp_path, capsys, monkeypatch):
    import chainer
    monkeypatch.setenv('SEGLEARN_DATA', str(tmp_path))
    (tmp_path / 'isbi2012').mkdir()
    (tmp_path / 'isbi2012' / '.seglearn-isbi2012-complete').write_text('done')
    (tmp_path / 'VOCdevkit' / 'VOC2012').mkdir(parents=True)
    assert main(['doctor']) == 0
    out = capsys.readouterr().out
    assert numpy.__version__ in out and chainer.__version__ in out
    assert 'CuPy' in out and 'BLAS' in out and '_compat' in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith('  ')}
    assert lines['isbi2012'].endswith(os.path.join(str(tmp_path), 'isbi2012'))
    assert lines['voc2012'].endswith(os.path.join(str(tmp_path), 'VOCdevkit', 'VOC2012'))
    assert lines['camvid'].endswith('not found')


def test_parse_data_spec():
    assert parse_data_spec('shapes') == ('shapes', None)
    assert parse_data_spec('cells') == ('cells', None)
    assert parse_data_spec('camvid:~/data/CamVid') == ('camvid',
                                                      os.path.expanduser('~/data/CamVid'))
    assert parse_data_spec('voc:C:/x') == ('voc', 'C:/x')
    for bad in ('shapes:/x', 'pets:', 'imagenet:/x', ''):
        with pytest.raises(cli.CLIError, match='bad --data'):
            parse_data_spec(bad)


def test_format_scores():
    result = metrics.evaluate(numpy.array([[0, 1], [1, 1]]), numpy.array([[0, 1], [0, 1]]), 2)
    text = cli.format_scores(result, ['bg', 'fg'])
    assert 'pixel accuracy       0.7500' in text
    assert 'mean IoU             {:.4f}'.format((0.5 + 2 / 3) / 2) in text
    assert text.splitlines()[-1].split() == ['fg', '0.6667', '1.0000']


def _fake_camvid(root, sizes):
    from PIL import Image
    rng = numpy.random.RandomState(0)
    for split, n in (('train', 4), ('val', 2)):
        os.makedirs(os.path.join(root, split))
        os.makedirs(os.path.join(root, split + 'annot'))
        for i in range(n):
            h, w = sizes[i % len(sizes)]
            name = '{}_{}.png'.format(split, i)
            Image.fromarray((rng.rand(h, w, 3) * 255).astype(numpy.uint8)).save(
                os.path.join(root, split, name))
            Image.fromarray(rng.randint(0, 12, size=(h, w)).astype(numpy.uint8)).save(
                os.path.join(root, split + 'annot', name))


def test_train_and_evaluate_on_a_real_layout(tmp_path, capsys):
    root = str(tmp_path / 'CamVid')
    _fake_camvid(root, [(40, 50), (36, 44)])  # images of different sizes, resized by --size
    out = str(tmp_path / 'run')
    common = ['--data', 'camvid:' + root, '--size', '32', '--device', '@numpy']
    assert main(['train', 'unet', '--depth', '2', '--width', '0.0625', '--epochs', '1',
                 '--batch-size', '2', '--n-train', '3', '--quiet', '--out', out] + common) == 0
    with open(os.path.join(out, 'log')) as f:
        assert json.load(f)[0]['iteration'] == 2  # 3 images in batches of 2
    capsys.readouterr()
    assert main(['evaluate', os.path.join(out, 'model.npz')] + common) == 0
    printed = capsys.readouterr().out
    assert printed.startswith('2 images of camvid:') and 'Bicyclist' in printed
    # without the train/ folder: the dataset's own message, no traceback
    os.rename(os.path.join(root, 'train'), os.path.join(root, 'elsewhere'))
    code = main(['train', 'unet', '--out', out] + common)
    stderr = capsys.readouterr().err
    assert code == 2 and 'train' in stderr and 'Traceback' not in stderr


def test_grey_data_repeated_for_rgb_models():
    from seglearn.datasets import CellsDataset
    from seglearn.pipeline import augment
    cells = CellsDataset(n=2, size=32, seed=0)
    rgb = cli._with_channels(augment(cells, x_flip=False), 3)
    img, label = rgb[0]
    assert img.shape == (3, 32, 32) and img.dtype == numpy.float32
    numpy.testing.assert_array_equal(img, numpy.repeat(cells[0][0], 3, axis=0))
    numpy.testing.assert_array_equal(label, cells[0][1])
    assert rgb.class_names == cells.class_names
    grey = cli._with_channels(rgb, 1)
    numpy.testing.assert_allclose(grey[0][0], cells[0][0], rtol=1e-6)
    assert cli._with_channels(cells, 1) is cells
    with pytest.raises(cli.CLIError, match='4 input channels'):
        cli._with_channels(cells, 4)


def test_a_hostile_model_file_is_one_line_and_runs_nothing(tmp_path, capsys, monkeypatch):
    import json
    monkeypatch.chdir(tmp_path)
    numpy.savez('evil.npz', _seglearn_header=numpy.array(json.dumps(
        {'module': 'os', 'class': 'system', 'kwargs': {'command': 'touch pwned'}})))
    _write_png(str(tmp_path / 'img.png'), 8, 8)
    for argv in (['predict', 'evil.npz', 'img.png'], ['evaluate', 'evil.npz', '--data', 'cells']):
        assert 'names the module' in _one_line_error(capsys, main(argv))
    assert not (tmp_path / 'pwned').exists()


def test_doctor_report_is_a_public_function(capsys):
    text = cli.doctor()
    assert isinstance(text, str) and text.splitlines()[0].startswith('Python    ')
    assert any(line.startswith('_compat   ') for line in text.splitlines())
    assert main(['doctor']) == 0
    assert capsys.readouterr().out == text + '\n'


# --- issue 16: one line per error; 2 before the work, 1 during it ---------------------------

def _one_line_failure(capsys, code):
    out, err = capsys.readouterr()
    assert code == 1, (out, err)
    assert err.count('\n') == 1 and 'error:' in err and 'Traceback' not in err, err
    return err


@pytest.mark.parametrize('options,message', [
    (['--width', 'inf'], 'positive finite number'),           # was OverflowError
    (['--width', 'nan'], 'positive finite number'),
    (['--lr', 'inf'], 'positive finite number'),              # trained and saved NaN weights
    (['--width', '1e6'], 'parameter budget'),                 # was a MemoryError after minutes
    (['--size', '20000'], '--size 20000 is above the limit'),
    (['--n-train', '2', '--batch-size', '100000'], '--batch-size 100000 is more than the 2'),
    (['--size', '2048', '--batch-size', '8'], 'above the limit of 16,777,216'),
    (['--n-train', '10000000'], '--n-train 10000000 is above the limit'),
    (['--depth', '12'], '--depth 12 halves the images 12 times'),
    (['--depth', '7', '--width', '0.0625'], '--depth 7 halves the images 7 times, but they are '
                                            'only 64 pixels high or wide: use --depth 6'),
])
def test_absurd_or_non_finite_training_options_are_refused_up_front(options, message, capsys,
                                                                    tmp_path):
    argv = ['train', 'unet', '--data', 'shapes', '--out', str(tmp_path), '--quiet'] + options
    assert message in _one_line_error(capsys, main(argv))  # refused by a check, not by trying
    assert not os.path.exists(os.path.join(str(tmp_path), 'snapshot.npz'))


@pytest.mark.parametrize('content', [b'', b'PK\x03\x04', b'not a model at all'])
def test_an_empty_or_truncated_model_file_is_one_line(content, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'e.npz').write_bytes(content)  # the probe: ': > e.npz'
    _write_png(str(tmp_path / 'img.png'), 8, 8)
    for argv in (['evaluate', 'e.npz', '--data', 'shapes'], ['predict', 'e.npz', 'img.png']):
        assert 'not an npz file' in _one_line_error(capsys, main(argv))


@pytest.mark.parametrize('content', [b'', b'PK\x03\x04 cut short'])
def test_resume_from_an_empty_or_corrupt_snapshot_is_one_line(content, capsys, tmp_path):
    out = tmp_path / 'run'
    out.mkdir()
    (out / 'snapshot.npz').write_bytes(content)
    err = _one_line_error(capsys, main(['train', 'unet', '--data', 'shapes', '--depth', '2',
                                        '--width', '0.0625', '--out', str(out), '--resume']
                                       + TINY))
    assert 'snapshot.npz' in err and 'delete it' in err


def test_a_nan_loss_stops_training_with_status_1_and_saves_nothing(capsys, tmp_path):
    out = str(tmp_path / 'run')
    err = _one_line_failure(capsys, main(['train', 'unet', '--data', 'shapes', '--depth', '2',
                                          '--width', '0.0625', '--lr', '1e30', '--out', out]
                                         + TINY))
    assert 'TrainingDivergedError' in err and 'training loss is' in err
    assert not {'model.npz', 'best_model.npz', 'snapshot.npz'} & set(os.listdir(out))


def test_a_full_disk_during_a_snapshot_is_one_line_and_keeps_the_last_one(capsys, tmp_path,
                                                                          monkeypatch):
    import errno

    from seglearn import training
    out = str(tmp_path / 'run')
    argv = ['train', 'unet', '--data', 'shapes', '--depth', '2', '--width', '0.0625', '--out',
            out] + TINY
    assert main(argv) == 0
    with open(os.path.join(out, 'snapshot.npz'), 'rb') as f:
        before = f.read()
    real = training.atomic_save

    def full(path, write):
        if path.endswith('snapshot.npz'):
            raise OSError(errno.ENOSPC, 'No space left on device', path)
        real(path, write)

    monkeypatch.setattr(training, 'atomic_save', full)
    err = _one_line_failure(capsys, main(argv + ['--resume', '--epochs', '2']))
    assert 'No space left on device' in err
    with open(os.path.join(out, 'snapshot.npz'), 'rb') as f:
        assert f.read() == before
    assert not [name for name in os.listdir(out) if name.endswith('.tmp')]


def test_an_unexpected_error_is_one_line_with_status_1(capsys, monkeypatch):
    monkeypatch.setattr(cli, 'doctor', lambda: 1 // 0)  # a bug, in the middle of a command
    err = _one_line_failure(capsys, main(['doctor']))
    assert 'seglearn doctor: error: ZeroDivisionError' in err and 'SEGLEARN_DEBUG=1' in err
    monkeypatch.setenv('SEGLEARN_DEBUG', '1')
    with pytest.raises(ZeroDivisionError):
        main(['doctor'])


def _camvid_with_a_bad_later_item(root, bad):
    from PIL import Image
    _fake_camvid(root, [(32, 32)])
    label = os.path.join(root, 'trainannot', 'train_3.png')
    if bad == 'label 255':
        Image.fromarray(numpy.full((32, 32), 255, numpy.uint8)).save(label)
    else:
        Image.fromarray(numpy.zeros((30, 32), numpy.uint8)).save(label)


@pytest.mark.parametrize('bad,message', [('label 255', '[255]'),
                                         ('size mismatch', 'but its label')])
def test_a_bad_item_after_the_first_is_found_before_training(bad, message, capsys, tmp_path):
    root = str(tmp_path / 'CamVid')
    _camvid_with_a_bad_later_item(root, bad)
    out = str(tmp_path / 'run')
    err = _one_line_error(capsys, main(['train', 'unet', '--depth', '2', '--width', '0.0625',
                                        '--data', 'camvid:' + root, '--epochs', '1',
                                        '--batch-size', '2', '--quiet', '--out', out]))
    assert 'example 3 of the training set' in err and message in err
    assert not os.path.exists(os.path.join(out, 'log'))  # no training started


def test_images_of_different_sizes_need_size_for_batches(capsys, tmp_path):
    root = str(tmp_path / 'CamVid')
    _fake_camvid(root, [(40, 50), (36, 44)])
    err = _one_line_error(capsys, main(['train', 'unet', '--depth', '2', '--width', '0.0625',
                                        '--data', 'camvid:' + root, '--batch-size', '2',
                                        '--quiet', '--out', str(tmp_path / 'run')]))
    assert 'differ in size' in err and '--size' in err


def test_a_five_page_isbi_stack_is_one_line(capsys, tmp_path):
    from PIL import Image
    frames = [Image.fromarray(numpy.zeros((32, 32), numpy.uint8)) for _ in range(5)]
    for name in ('train-volume.tif', 'train-labels.tif'):
        frames[0].save(str(tmp_path / name), save_all=True, append_images=frames[1:])
    err = _one_line_error(capsys, main(['train', 'unet', '--data', 'isbi:' + str(tmp_path),
                                        '--out', str(tmp_path / 'run')]))
    assert 'has 5 examples: it needs more than 5' in err  # was an IndexError


@pytest.fixture
def tiny_model(tmp_path):
    from seglearn.models import UNet
    from seglearn.serialization import save_model
    numpy.random.seed(0)
    path = str(tmp_path / 'm.npz')
    save_model(UNet(n_class=3, in_channels=3, depth=2, base=2, padding='same'), path)
    return path


def test_predict_refuses_a_10000_by_10000_image_up_front(tiny_model, capsys, tmp_path):
    from PIL import Image
    Image.fromarray(numpy.zeros((10000, 10000), numpy.uint8)).save(
        str(tmp_path / 'huge.png'), compress_level=1)
    err = _one_line_error(capsys, main(['predict', tiny_model, str(tmp_path / 'huge.png'),
                                        '--out', str(tmp_path / 'p')]))
    assert '10000×10000 = 100,000,000' in err and 'crop or downscale' in err


def test_predict_runs_a_large_image_window_by_window(tiny_model, capsys, tmp_path,
                                                     monkeypatch):
    from PIL import Image

    from seglearn.inference import sliding_window_predict
    from seglearn.palettes import default_palette
    from seglearn.serialization import load_model
    monkeypatch.setattr(cli, 'PREDICT_WINDOW_PIXELS', 40 * 40)
    monkeypatch.setattr(cli, 'PREDICT_WINDOW', 24)
    monkeypatch.setattr(cli, 'PREDICT_OVERLAP', 8)
    image = str(tmp_path / 'wide.png')
    _write_png(image, 41, 57)
    assert main(['predict', tiny_model, image, '--out', str(tmp_path / 'p')]) == 0
    model = load_model(tiny_model)
    img = numpy.asarray(Image.open(image), numpy.float32).transpose(2, 0, 1)
    expected = default_palette(3)[sliding_window_predict(model, img, 24, 16)]
    got = numpy.asarray(Image.open(str(tmp_path / 'p' / 'wide_label.png')))
    numpy.testing.assert_array_equal(got, expected)


def test_predict_out_must_be_a_writable_folder(tiny_model, capsys, tmp_path):
    image = str(tmp_path / 'img.png')
    _write_png(image, 8, 8)
    (tmp_path / 'a_file').write_bytes(b'x')
    err = _one_line_error(capsys, main(['predict', tiny_model, image, '--out',
                                        str(tmp_path / 'a_file')]))
    assert 'is a file, not a folder' in err
    err = _one_line_error(capsys, main(['predict', tiny_model, image, '--out',
                                        str(tmp_path / 'a_file' / 'sub')]))
    assert 'cannot write into --out' in err
    assert (tmp_path / 'a_file').read_bytes() == b'x'


@pytest.mark.skipif(os.name != 'posix' or os.geteuid() == 0,
                    reason='permissions do not stop root')
def test_predict_out_in_a_read_only_folder(tiny_model, capsys, tmp_path):
    image = str(tmp_path / 'img.png')
    _write_png(image, 8, 8)
    locked = tmp_path / 'locked'
    locked.mkdir()
    locked.chmod(0o500)
    try:
        err = _one_line_error(capsys, main(['predict', tiny_model, image, '--out', str(locked)]))
    finally:
        locked.chmod(0o700)
    assert 'cannot write into --out' in err


def test_two_images_with_the_same_name_do_not_overwrite_each_other(tiny_model, capsys,
                                                                   tmp_path):
    from PIL import Image
    for folder, seed in (('a', 1), ('b', 2)):
        (tmp_path / folder).mkdir()
        _write_png(str(tmp_path / folder / 'img.png'), 12, 14, seed=seed)
    out = tmp_path / 'p'
    images = [str(tmp_path / 'a' / 'img.png'), str(tmp_path / 'b' / 'img.png')]
    assert main(['predict', tiny_model] + images + ['--out', str(out)]) == 0
    assert sorted(os.listdir(out)) == ['img-2_label.png', 'img-2_overlay.png', 'img_label.png',
                                       'img_overlay.png']
    first = numpy.asarray(Image.open(str(out / 'img_overlay.png')))
    second = numpy.asarray(Image.open(str(out / 'img-2_overlay.png')))
    assert not numpy.array_equal(first, second)
    assert cli.output_stems(['x/A.png', 'y/a.jpg', 'a-2.png', 'z/a.png']) == \
        ['A', 'a-2', 'a-2-2', 'a-3']


def test_a_16_bit_png_is_predicted_from_its_scaled_values(tiny_model, capsys, tmp_path):
    from PIL import Image

    from seglearn.inference import predict
    from seglearn.palettes import default_palette
    from seglearn.serialization import load_model
    values = (numpy.random.RandomState(0).rand(20, 24) * 65535).astype(numpy.uint16)
    Image.fromarray(values).save(str(tmp_path / 'deep.png'))
    assert main(['predict', tiny_model, str(tmp_path / 'deep.png'), '--out',
                 str(tmp_path / 'p')]) == 0
    from seglearn.visualize import overlay
    scaled = numpy.repeat((values / 257.0).astype(numpy.float32)[None], 3, axis=0)
    label = predict(load_model(tiny_model), scaled)
    got = numpy.asarray(Image.open(str(tmp_path / 'p' / 'deep_label.png')))
    numpy.testing.assert_array_equal(got, default_palette(3)[label])
    # the overlay shows the image itself: scaled, not 99 % clipped to white
    got = numpy.asarray(Image.open(str(tmp_path / 'p' / 'deep_overlay.png')))
    numpy.testing.assert_array_equal(got, overlay(scaled, label, default_palette(3)))


def test_the_readme_states_the_limits_the_code_uses():
    import pathlib

    from seglearn import serialization
    from seglearn.datasets import archives, fetch
    readme = (pathlib.Path(__file__).resolve().parents[1] / 'README.md').read_text()
    readme = ' '.join(readme.split())
    for words, value, expected in [
            ('a `--size` above 4096', cli.MAX_SIZE, 4096),
            ('above 2^24 pixels', cli.MAX_BATCH_PIXELS, 2 ** 24),
            ('a model above 2^28 weights', serialization.MAX_ELEMENTS, 2 ** 28),
            ('an image above 2^26 pixels', cli.PREDICT_MAX_PIXELS, 2 ** 26),
            ('images above 2^22 pixels window by window', cli.PREDICT_WINDOW_PIXELS, 2 ** 22),
            ('(4 hours by default)', fetch.DEADLINE, 4 * 3600),
            ('more than 8 GiB', archives.MAX_BYTES, 8 * 2 ** 30),
            ('more than 100 times its own size', archives.MAX_RATIO, 100),
            ('more than 100,000 members', archives.MAX_MEMBERS, 100_000)]:
        assert words in readme and value == expected, words


def test_predict_names_an_image_it_cannot_read(tiny_model, capsys, tmp_path):
    (tmp_path / 'notes.png').write_text('not an image')
    err = _one_line_error(capsys, main(['predict', tiny_model, str(tmp_path / 'notes.png'),
                                        '--out', str(tmp_path / 'p')]))
    assert 'cannot read image' in err and 'notes.png' in err


# --- the laptop recipes: the defaults of `seglearn train` on the built-in data -------------------

def _resolved(argv):
    args = cli.build_parser().parse_args(argv)
    name, path = parse_data_spec(args.data)
    from seglearn import models
    options = cli._apply_recipe(args, models.MODELS[args.model].recipe if path is None else None)
    return args, options


def test_built_in_data_takes_the_models_recipe_and_real_data_the_papers_defaults():
    from seglearn import recipes
    args, options = _resolved(['train', 'fcn8s', '--data', 'shapes'])
    r = recipes.FCN
    assert (args.width, args.size, args.n_train, args.epochs, args.batch_size, args.lr,
            args.flip, args.depth) == (r.width, r.size, r.n_train, r.epochs, r.batch_size, r.lr,
                                       r.flip, None)
    assert options == {'dropout': 0.0}
    args, options = _resolved(['train', 'unet', '--data', 'cells'])
    assert (args.depth, args.width, args.size) == (4, 1 / 8, 64)
    assert options == {'dropout': 0.0, 'batch_norm': True}
    args, options = _resolved(['train', 'fcdensenet103', '--data', 'shapes'])
    assert (args.width, args.size, args.batch_size) == (1 / 3, 64, 8) and options == {
        'dropout': 0.0}
    # what you give wins; a recipe's learning rate is Adam's, so another optimizer keeps its own
    args, options = _resolved(['train', 'fcn8s', '--data', 'shapes', '--width', '0.25',
                               '--no-flip', '--dropout', '0.5', '--epochs', '1',
                               '--optimizer', 'sgd'])
    assert (args.width, args.flip, args.epochs, args.lr) == (0.25, False, 1, None)
    assert options == {'dropout': 0.5}
    args, options = _resolved(['train', 'fcn8s', '--data', 'voc:/data'])
    assert (args.width, args.epochs, args.batch_size, args.flip, args.size, args.n_train,
            args.lr) == (1.0, 10, 4, False, None, None, None) and options == {}


def test_the_settings_line_and_the_baseline_are_printed(tmp_path, capsys):
    assert main(['train', 'unet', '--data', 'shapes', '--out', str(tmp_path)] + TINY) == 0
    out = capsys.readouterr().out
    assert ('training unet (width 0.125, depth 4, batch norm, dropout 0) on 16 images of 32×32 '
            '× 1 epochs = 2 steps of 8, adam 0.001, flips') in out
    assert 'the all-background answer scores validation mIoU 0.' in out


def test_help_lists_every_recipe_and_what_it_takes():
    from seglearn import models, recipes
    text = cli.build_parser()._subparsers._group_actions[0].choices['train'].format_help()
    for recipe in (recipes.FCN, recipes.UNET, recipes.FCDENSENET):
        assert recipes.describe(recipe) in text
    assert all(name in text for name in models.MODELS) and cli.MEASURED in text
    assert recipes.steps(recipes.FCN) == 600 and recipes.steps(recipes.FCDENSENET) == 400
    assert recipes.steps(recipes.FCN._replace(n_train=401)) == 606  # a last, smaller batch


@pytest.mark.parametrize('model', ['fcn8s', 'fcdensenet56'])
@pytest.mark.slow
@pytest.mark.heavy(4)
def test_the_defaults_learn_the_built_in_shapes(model, tmp_path, capsys):
    out = str(tmp_path / model)
    assert main(['train', model, '--data', 'shapes', '--out', out, '--device', '@numpy',
                 '--quiet']) == 0
    printed = capsys.readouterr().out
    background = float(printed.split('validation mIoU ')[1].split(':')[0])
    with open(os.path.join(out, 'log')) as f:
        log = json.load(f)
    final = log[-1]['validation/main/miou']
    assert final >= 0.75 and final > background + 0.3, (final, background)
