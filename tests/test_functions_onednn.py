"""The oneDNN backend: the switch, the fallback where libdnnl.so is missing, its kernels' plumbing.

Its numerics (forward, gradients, gradient checks, double backprop against Chainer) are the
function tests of tests/test_functions*.py, which run once per backend (the ``kernels`` fixture).
"""
import os
import subprocess
import sys

import numpy
import pytest

import seglearn  # noqa: F401
import chainer
import chainer.functions as F

from seglearn import config, functions, links
from seglearn.functions import _dnnl, _taps, convolution, normalization, onednn, pooling

needs_onednn = pytest.mark.skipif(not onednn.available(), reason='oneDNN did not load')
_KERNELS = ('convolution', 'deconvolution', 'filter_gradient', 'max_pooling', 'max_pooling_grad',
            'batch_normalization', 'batch_normalization_grad', 'fixed_batch_normalization')


class _Tiny(chainer.Chain):
    """Every operation the backend covers: conv, BN, pooling, transposed conv."""

    def __init__(self):
        super().__init__()
        with self.init_scope():
            self.conv = links.Convolution2D(3, 8, 3, pad=1)
            self.bn = links.BatchNormalization(8)
            self.up = links.Deconvolution2D(8, 2, 2, stride=2)

    def forward(self, x):
        h = F.relu(self.bn(self.conv(x)))
        return self.up(functions.max_pooling_2d(h, 2, cover_all=True))


def _step(x):
    """Forward and backward of a :class:`_Tiny` built from seed 0 (dropout-free, so repeatable);
    returns the output and the gradients."""
    numpy.random.seed(0)
    model = _Tiny()
    y = model(x)
    F.sum(y * y).backward()
    return [y.array] + [p.grad for _, p in sorted(model.namedparams())]


@pytest.mark.parametrize('value, expected', [
    ('', True), ('1', True), ('auto', True), (' ON ', True), ('onednn', 'onednn'),
    ('NumPy', 'numpy'), ('0', False), ('off', False), ('no', False)])
def test_parse(value, expected):
    assert config.parse(value) == expected


def test_parse_warns_on_unknown_values():
    with pytest.warns(UserWarning, match='not one of'):
        assert config.parse('mkl') is True


def test_cpu_cores_is_the_affinity_and_falls_back_to_the_count(monkeypatch):
    if hasattr(os, 'sched_getaffinity'):
        assert config.cpu_cores() == len(os.sched_getaffinity(0))
    monkeypatch.delattr(os, 'sched_getaffinity', raising=False)   # as on macOS and Windows
    monkeypatch.setattr(os, 'cpu_count', lambda: 6)
    assert config.cpu_cores() == 6
    monkeypatch.setattr(os, 'cpu_count', lambda: None)            # undeterminable
    assert config.cpu_cores() == 1


def test_using_fast_cpu_checks_its_value():
    with pytest.raises(ValueError, match='fast_cpu must be'):
        with config.using_fast_cpu('cuda'):
            pass
    with config.using_fast_cpu(False):
        assert config.cpu_kernels() is None and 'stock Chainer' in config.describe()
    with config.using_fast_cpu('numpy'):
        assert config.cpu_kernels() == 'numpy' and 'NumPy' in config.describe()


@needs_onednn
def test_default_picks_onednn_and_every_kernel_runs(spy, monkeypatch):
    # batch norm on oneDNN whatever its one-off timing against NumPy says on this machine
    monkeypatch.setattr(normalization, '_onednn_pays', lambda shape, eps, relu: True)
    calls = {name: spy(onednn, name) for name in _KERNELS}
    x = numpy.random.RandomState(1).randn(2, 3, 9, 9).astype(numpy.float32)
    with config.using_fast_cpu(True):
        assert config.cpu_kernels() == 'onednn' and 'oneDNN 3.' in config.describe()
        ours = _step(x)
        with chainer.using_config('train', False):
            _Tiny()(x)
    assert all(calls[name] for name in _KERNELS), {k: len(v) for k, v in calls.items()}
    with config.using_fast_cpu(False):
        theirs = _step(x)
    for a, b in zip(ours, theirs):
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * abs(b).max())


def test_missing_library_falls_back_to_the_numpy_kernels(monkeypatch, spy):
    """As on macOS, Windows or ARM, where the wheel does not exist."""
    def missing():
        raise _dnnl.OneDNNUnavailable('libdnnl.so.3: cannot open shared object file')

    monkeypatch.setattr(_dnnl, 'library', missing)
    numpy_kernel = spy(_taps, 'convolution')
    onednn_kernel = spy(onednn, 'convolution')
    x = numpy.random.RandomState(1).randn(2, 3, 9, 9).astype(numpy.float32)
    with config.using_fast_cpu(True):
        assert config.cpu_kernels() == 'numpy'
        assert 'oneDNN did not load: libdnnl.so.3: cannot open' in config.describe()
        ours = _step(x)
    with config.using_fast_cpu('onednn'), pytest.warns(UserWarning, match='did not load'):
        config._warned.clear()
        assert config.cpu_kernels() == 'numpy'
    assert numpy_kernel and not onednn_kernel
    with config.using_fast_cpu(False):
        theirs = _step(x)
    for a, b in zip(ours, theirs):
        numpy.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * abs(b).max())


def test_library_path_from_the_environment_hides_onednn():
    """``SEGLEARN_ONEDNN_LIBRARY`` naming a missing file: a fresh process falls back."""
    env = dict(os.environ, SEGLEARN_ONEDNN_LIBRARY='/nonexistent/libdnnl.so.3')
    env.pop('SEGLEARN_FAST_CPU', None)
    code = ('import numpy, seglearn; from seglearn import config, functions; '
            'y = functions.convolution_2d(numpy.ones((1, 2, 5, 5), numpy.float32), '
            'numpy.ones((3, 2, 3, 3), numpy.float32)); '
            'print(config.cpu_kernels(), float(y.array.sum())); print(config.describe())')
    out = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0] == 'numpy 486.0'  # 3 channels × 3×3 outputs, each a sum of 2×3×3 ones
    assert out[1].startswith('NumPy kernels (oneDNN did not load: /nonexistent/libdnnl.so.3')


@needs_onednn
def test_unsupported_geometry_uses_the_numpy_kernel_and_is_not_retried(monkeypatch, spy):
    builds = []

    def refuse(*args):
        builds.append(args)
        raise _dnnl.OneDNNError('dnnl_convolution_forward_primitive_desc_create failed: '
                                'unimplemented')

    monkeypatch.setattr(onednn, '_build_convolution', refuse)
    monkeypatch.setattr(onednn, '_kernels', type(onednn._kernels)())
    numpy_kernel = spy(_taps, 'convolution')
    rng = numpy.random.RandomState(2)
    x, W = rng.randn(1, 2, 12, 12).astype(numpy.float32), rng.randn(3, 2, 3, 3).astype(
        numpy.float32)
    with config.using_fast_cpu('onednn'):
        for _ in range(2):
            y = functions.convolution_2d(x, W, pad=1)
    assert len(builds) == 1 and len(numpy_kernel) == 2
    numpy.testing.assert_allclose(y.array, F.convolution_2d(x, W, pad=1).array, atol=1e-5)


@needs_onednn
def test_kernel_cache_keeps_the_most_recent(monkeypatch):
    monkeypatch.setattr(onednn, '_kernels', type(onednn._kernels)())
    monkeypatch.setattr(onednn, '_CACHE_SIZE', 2)
    W = numpy.ones((1, 1, 3, 3), numpy.float32)
    for size in (5, 6, 7, 6):
        onednn.convolution(numpy.ones((1, 1, size, size), numpy.float32), W, None, (1, 1),
                           (0, 0), (1, 1), (size - 2, size - 2))
    assert [key[1][2] for key in onednn._kernels] == [7, 6]


@pytest.mark.parametrize('size, k, s, p, d, cover_all', [
    (9, 3, 2, 1, 1, False), (9, 3, 2, 1, 1, True), (8, 3, 2, 1, 1, False), (10, 3, 3, 0, 2, True),
    (128, 3, 1, 100, 1, False), (5, 2, 2, 0, 1, True)])
def test_right_pads_give_chainers_output_size(size, k, s, p, d, cover_all):
    out = chainer.utils.conv.get_conv_outsize(size, k, s, p, cover_all, d)
    pad_r, = onednn.right_pads((size,), (out,), (k,), (s,), (p,), (d,))
    assert size + p + pad_r - ((k - 1) * d + 1) == (out - 1) * s  # oneDNN's size, exactly


@needs_onednn
def test_pooling_workspace_is_the_numpy_kernels_argmax():
    x = numpy.random.RandomState(3).randn(2, 3, 7, 9).astype(numpy.float32)
    x[:, :, :4, :4] = 1  # ties: the first maximum in row-major window order
    node = pooling.MaxPooling2D((2, 2), True)
    with config.using_fast_cpu('numpy'):
        y = node.apply((x,))[0].array
    y_dnnl, indexes = onednn.max_pooling(x, (2, 2), y.shape[2:])
    numpy.testing.assert_array_equal(y_dnnl, y)
    numpy.testing.assert_array_equal(indexes, node.indexes)


@needs_onednn
def test_outputs_are_channel_last_and_inputs_any_layout():
    rng = numpy.random.RandomState(4)
    x = rng.randn(2, 4, 6, 6).astype(numpy.float32)
    W = rng.randn(5, 4, 3, 3).astype(numpy.float32)
    expected = F.convolution_2d(x, W, pad=1).array
    for layout in (x, numpy.asfortranarray(x), x[:, :, ::-1, :][:, :, ::-1, :]):
        y = onednn.convolution(layout, W, None, (1, 1), (1, 1), (1, 1), (6, 6))
        assert convolution._patches.nhwc(y).flags.c_contiguous
        numpy.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
