"""The benchmark harness's analytic FLOP count and argument handling (benchmarks/run.py)."""
import importlib.util
import os

import numpy
import pytest

import seglearn  # noqa: F401
import chainer

from seglearn import config, links

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'benchmarks',
                     'run.py')
_spec = importlib.util.spec_from_file_location('seglearn_benchmarks_run', _PATH)
run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run)


class _Tiny(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = links.Convolution2D(3, 4, 3, pad=1)
            self.up = links.Deconvolution2D(4, 2, 2, stride=2)

    def forward(self, x):
        return self.up(self.conv(x))


@pytest.mark.parametrize('fast', [True, False])
def test_conv_flops_counts_forward_and_gradients(fast):
    x = numpy.zeros((2, 3, 5, 5), numpy.float32)
    hook = run.ConvFlops()
    with config.using_fast_cpu(fast), hook:
        _Tiny()(x)
    conv = 2 * 2 * 5 * 5 * 4 * 3 * 3 * 3   # B·Ho·Wo·Co·Ci·k² multiply-adds, ×2
    deconv = 2 * (2 * 4 * 5 * 5) * 2 * 2 * 2  # every input value meets Co·k² taps
    # conv: forward + filter gradient (the data needs no gradient); deconv: + input gradient
    assert hook.flops == 2 * conv + 3 * deconv


def test_unknown_model_is_an_error(capsys):
    with pytest.raises(SystemExit):
        run.main(['--models', 'nope', '--torch-python', ''])
    assert 'unknown model' in capsys.readouterr().err


class _Segmenter(chainer.Chain):
    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = links.Convolution2D(3, 4, 3, pad=1)
            self.score = links.Convolution2D(4, 2, 1)

    def forward(self, x):
        return self.score(chainer.functions.relu(self.conv(x)))


def test_step_timing_memory_and_overhead_on_a_tiny_model():
    case = run.Case('tiny', 'tiny', _Segmenter, (2, 3, 8, 8), 2, None)
    seconds = run.time_steps(case, repeats=3, warmup=1, modes=('numpy', False))
    assert seconds['numpy'] > 0 and seconds[False] > 0 and seconds['ratios'][False] > 0
    # the step's working memory includes at least the activations (2 × 4 × 8 × 8 floats
    # twice) and never more than a few MiB here
    for mode in ('numpy', False):
        peak = run.peak_memory(case, mode)
        assert 2 * 2 * 4 * 8 * 8 * 4 <= peak < 8 * 2 ** 20
    floor = run.overhead_floor(case, repeats=2)
    # forward: conv, ReLU, conv, loss (log-softmax, select, …); backward about as many
    assert 8 <= floor['nodes'] < 60 and floor['graph_s'] > 0 and floor['adam_s'] > 0


def test_paired_ratio():
    first = numpy.array([True, False, True, False])
    times = {'a': [1., 2., 1., 2.], 'b': [2., 2., 2., 2.]}  # a twice as fast when it ran first
    assert run.paired_ratio(times, 'a', 'b', first) == pytest.approx(2 ** 0.5)
