"""The fake device (seglearn.course.fake_device) and the chapter runner's --device option."""
import json
import os

import chainer
import chainer.functions as F
import numpy
import pytest

import seglearn  # noqa: F401
from seglearn import backend, links, training
from seglearn.models.common import BilinearUpsampling2D
from seglearn.course import fake_device
from seglearn.course.run_chapters import execute_notebook, override_device

DEVICE = fake_device.install()
X = numpy.random.RandomState(0).rand(2, 3, 8, 8).astype(numpy.float32)


def in_cell(source, **names):
    """Run code as a notebook cell would (ipykernel's file name), returning its namespace."""
    namespace = dict(names, F=F, numpy=numpy, links=links, DEVICE=DEVICE)
    exec(compile(source, '/tmp/ipykernel_1/123.py', 'exec'), namespace)
    return namespace


def test_send_marks_a_copy_and_the_way_back_is_plain():
    x = DEVICE.send(X)
    assert type(x) is fake_device.DeviceArray and not numpy.shares_memory(x, X)
    numpy.testing.assert_array_equal(x, X)
    assert type(backend.to_numpy(x)) is numpy.ndarray
    assert chainer.backend.get_device_from_array(x) == DEVICE
    assert chainer.backend.get_device_from_array(X) != DEVICE
    assert not backend.is_gpu(DEVICE) and backend.get_device(DEVICE) is DEVICE
    # results of NumPy on device arrays stay on the device
    for result in (x + 1, x.sum(axis=1), numpy.dot(x[0, 0], x[0, 0]), numpy.concatenate([x, x]),
                   numpy.pad(x, 1), numpy.split(x, 2)[0]):
        assert type(result) is fake_device.DeviceArray


def test_a_model_sent_to_the_device_runs_and_trains_there(tmp_path, capsys):
    from test_training import Tiny, _data
    numpy.random.seed(0)
    model = Tiny()
    trainer = training.make_trainer(model, _data(8), _data(4, seed=2), epochs=1, batch_size=4,
                                    device=DEVICE, out=str(tmp_path), progress=False)
    trainer.run()
    assert type(model.c1.W.array) is fake_device.DeviceArray
    assert numpy.isfinite(trainer.get_extension('LogReport').log[0]['main/loss'])
    y = in_cell('y = model(DEVICE.send(x))', model=model, x=X)['y']
    assert type(y.array) is fake_device.DeviceArray


@pytest.mark.parametrize('source, message', [
    ('m.to_device(DEVICE)\nm(x)', r'Convolution2D\(…\) with its parameters mixes host'),
    ('m.to_device(DEVICE)\nF.convolution_2d(x, m.W)', 'Convolution2DFunction mixes host and dev'),
    ("m(x)", 'Convolution2D is run in the notebook but was never sent to DEVICE'),
    ('F.relu(DEVICE.send(x)) + x', '_ \\+ _ mixes host and device'),
    ('up(x)', 'BilinearUpsampling2D is run in the notebook but was never sent'),  # no params
    ('DEVICE.send(x) == x', 'numpy.equal mixes host and device'),
    ('numpy.concatenate([DEVICE.send(x), x])', 'numpy.concatenate mixes host and device'),
])
def test_cells_that_mix_host_and_device_arrays_are_refused(source, message):
    with pytest.raises(fake_device.HostDeviceMix, match=message):
        in_cell(source, m=links.Convolution2D(3, 4, 3, pad=1), x=X,
                up=BilinearUpsampling2D(3, ksize=4, stride=2))


def test_what_a_gpu_accepts_passes():
    in_cell('m.to_device("@numpy")\nm(x)', m=links.Convolution2D(3, 4, 3, pad=1), x=X)  # on purpose
    in_cell('y = DEVICE.send(x) * numpy.float32(2) + numpy.asarray(1.0)', x=X)  # scalars, 0-d
    in_cell('m.to_device(DEVICE)\nloss = F.sum(m(DEVICE.send(x)))\nloss.backward()',
            m=links.Convolution2D(3, 4, 3, pad=1), x=X)
    # outside notebook cells (package code making constants with xp = numpy) nothing is checked,
    # nor inside the methods of a model the notebook defines
    assert type(DEVICE.send(X) - X) is fake_device.DeviceArray
    in_cell('class Net(chainer.Chain):\n'
            '    def __init__(self):\n'
            '        super().__init__()\n'
            '        with self.init_scope():\n'
            '            self.c = links.Convolution2D(3, 4, 3, pad=1)\n'
            '    def predict(self, x):\n'
            '        return self.c(self.xp.asarray(x) * 2)\n'
            'net = Net()\nnet.to_device(DEVICE)\nnet.predict(x)', x=X, chainer=chainer)


def _write_notebook(path, *sources):
    cells = [{'cell_type': 'code', 'metadata': {}, 'outputs': [], 'execution_count': None,
              'source': s} for s in sources]
    path.write_text(json.dumps({'cells': cells, 'metadata': {}, 'nbformat': 4,
                                'nbformat_minor': 4}))
    return path


def test_override_device_replaces_the_chapters_device_line(tmp_path):
    import nbformat
    path = _write_notebook(tmp_path / '00_x.ipynb', 'import seglearn',
                           "x = 1\nDEVICE = '@numpy'  # '@cupy:0' on a GPU\ndevice = DEVICE", 'y = 2')
    nb = nbformat.read(str(path), as_version=4)
    assert override_device(nb, '@cupy:0') == 1
    assert [c.source for c in nb.cells] == [
        'import seglearn', "x = 1\nDEVICE = '@cupy:0'  # run_chapters --device\ndevice = DEVICE",
        'y = 2']
    with pytest.raises(ValueError, match='DEVICE'):
        override_device(nbformat.read(str(_write_notebook(tmp_path / 'n.ipynb', 'x = 1')), 4),
                        'fake')


@pytest.mark.slow
@pytest.mark.parametrize('last_cell', ['y = 2', 'raise ValueError("a failing cell")'])
def test_execute_notebook_shuts_its_kernel_down(tmp_path, last_cell):
    # make test runs every chapter in one process: a kernel left running per chapter held on to
    # its trained models (0.2-0.7 GB each, 13 kernels by the end)
    pid_file = tmp_path / 'pid'
    path = _write_notebook(tmp_path / '98_pid.ipynb',
                           'import os\nopen({!r}, "w").write(str(os.getpid()))'.format(
                               str(pid_file)), last_cell)
    seconds, error = execute_notebook(path)
    assert (error is None) == (last_cell == 'y = 2'), error
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.slow
def test_a_chapter_that_forgets_a_send_fails_on_the_fake_device_and_names_cell_and_line(tmp_path):
    path = _write_notebook(
        tmp_path / '99_demo.ipynb',
        "import numpy as np\nimport seglearn\nfrom seglearn import links\nDEVICE = '@numpy'",
        'conv = links.Convolution2D(3, 4, 3, pad=1)\nconv.to_device(DEVICE)\n'
        'x = np.zeros((1, 3, 8, 8), np.float32)\ny = conv(x)  # x was never sent')
    seconds, error = execute_notebook(path)  # on the CPU the mistake goes unnoticed
    assert error is None
    seconds, error = execute_notebook(path, device='fake')
    assert error.startswith('cell 1, line 4: HostDeviceMix: Convolution2D(…) with its '
                            'parameters mixes host and device arrays'), error
