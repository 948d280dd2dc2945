"""Training-speed and memory benchmark of seglearn's models (``make bench``; ``--gpu`` for issue 5).

CPU (default): one training step (forward, pixel cross-entropy, backward, Adam update) of each
model, timed on each of seglearn's CPU backends (``config.fast_cpu``: ``'onednn'``, ``'numpy'``
and ``False`` = stock Chainer) and in PyTorch, at the same thread count (``--threads``, default
1 and 2: NumPy's BLAS and oneDNN's OpenMP are limited with ``threadpoolctl``, PyTorch with
``torch.set_num_threads``). The models of the backends are built from the same seed and their
steps *interleaved* (the order reversed every round) so that a change of machine load hits all
alike; each figure is the median over the repeats after warm-up. Models: :data:`CPU_CASES` at the
benchmark's sizes and :data:`CHAPTER_CASES` at the CPU settings of the training chapters.
Reported per model and thread count:

- images/s of each backend and of PyTorch (medians), and the ratios oneDNN / PyTorch,
  oneDNN / NumPy kernels and oneDNN / stock Chainer as *paired* estimates: the median of the
  per-round time ratios (adjacent steps see the same load) over the rounds of each order,
  combined by their geometric mean;
- peak memory of one training step per backend: ``tracemalloc``'s peak of the NumPy allocations
  made during the step (NumPy reports its array buffers to ``tracemalloc``; oneDNN's own
  scratchpad is not seen); parameters and optimizer state allocated earlier are not included;
- the floor of Chainer's per-function overhead: a graph of do-nothing nodes on a 1-element array
  with as many node applications (forward and backward) as the model's step, timed forward +
  backward; and the Adam update alone.

The PyTorch column comes from :mod:`benchmarks.torch_models` run by ``--torch-python``
(default: ``.venv-bench/bin/python`` when it exists), a step server in a subprocess whose steps
are interleaved with the Chainer ones; its OpenMP wait policy is set to seglearn's (see
:mod:`seglearn.functions._dnnl`), so both frameworks idle the same way.

GPU (``--gpu``): the paper sizes (FCN-8s 500×500, U-Net 572×572 valid, FC-DenseNet103 224×224) on
``@cupy:0``: images/s and the CuPy memory-pool peak, and PyTorch CUDA where present. Without CuPy
and a CUDA device it stops with a message saying so.

Usage: ``python benchmarks/run.py [--repeats N] [--threads 1,2] [--json PATH] [--models KEYS]``.
"""
import argparse
import collections
import datetime
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc

import numpy
import threadpoolctl

import seglearn
import chainer

from seglearn import backend, config, models
from seglearn.models.fcn import fcn_crop_offsets
from seglearn.functions import convolution as fast_conv
from seglearn.losses import pixel_cross_entropy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

Case = collections.namedtuple('Case', 'key name build shape n_class torch_spec')

CPU_CASES = [
    Case('unet', 'U-Net depth 4, base 16, BN, same', lambda: models.build(
        'unet', 3, in_channels=3, depth=4, width=16 / 64, padding='same', batch_norm=True),
        (4, 3, 128, 128), 3,
        dict(arch='unet', n_class=3, in_channels=3, depth=4, base=16, padding='same',
             batch_norm=True, dropout=0.5)),
    Case('fcn8s', 'FCN-8s width 1/8', lambda: models.build('fcn8s', 21, width=1 / 8),
         (2, 3, 128, 128), 21,
         dict(arch='fcn8s', n_class=21, width=1 / 8, crops=fcn_crop_offsets('fcn8s'))),
    Case('fcdensenet56', 'FC-DenseNet56', lambda: models.build('fcdensenet56', 11),
         (4, 3, 64, 64), 11,
         dict(arch='fcdensenet', n_class=11, blocks=[4] * 11, growth=12)),
]

# the training chapters' CPU settings: FCN-8s at width 1/8 on 128 px two-class shapes, batch 4
# (the next FCN training chapters); chapter 09's U-Net (depth 3, base 8, valid, batch norm, one
# channel) on its 156 px padded cells, batch 4 (make_trainer's default); FC-DenseNet56 at 64 px,
# batch 8 (chapter 11's batch)
CHAPTER_CASES = [
    Case('fcn8s-ch', 'FCN-8s width 1/8, 2 classes (ch. 06-07)',
         lambda: models.FCN8s(2, width=1 / 8), (4, 3, 128, 128), 2,
         dict(arch='fcn8s', n_class=2, width=1 / 8, crops=fcn_crop_offsets('fcn8s'))),
    Case('unet-ch09', 'U-Net depth 3, base 8, BN, valid (ch. 09)', lambda: models.UNet(
        2, in_channels=1, depth=3, base=8, padding='valid', batch_norm=True, dropout=0.0),
        (4, 1, 156, 156), 2,
        dict(arch='unet', n_class=2, in_channels=1, depth=3, base=8, padding='valid',
             batch_norm=True, dropout=0.0)),
    Case('fcdensenet56-ch11', 'FC-DenseNet56, 3 classes (ch. 11)',
         lambda: models.FCDenseNet56(3), (8, 3, 64, 64), 3,
         dict(arch='fcdensenet', n_class=3, blocks=[4] * 11, growth=12)),
]

#: the CPU backends compared: ``config.fast_cpu`` values (False: stock Chainer)
MODES = ('onednn', 'numpy', False)
MODE_NAMES = {'onednn': 'oneDNN', 'numpy': 'NumPy kernels', False: 'stock Chainer'}

GPU_CASES = [
    Case('fcn8s', 'FCN-8s (paper)', lambda: models.build('fcn8s', 21), (1, 3, 500, 500), 21,
         dict(arch='fcn8s', n_class=21, width=1.0, crops=fcn_crop_offsets('fcn8s'))),
    Case('unet', 'U-Net (paper, valid)', lambda: models.build('unet', 2, in_channels=1),
         (1, 1, 572, 572), 2,
         dict(arch='unet', n_class=2, in_channels=1, depth=4, base=64, padding='valid',
              batch_norm=False, dropout=0.5)),
    Case('fcdensenet103', 'FC-DenseNet103', lambda: models.build('fcdensenet103', 11),
         (3, 3, 224, 224), 11,
         dict(arch='fcdensenet', n_class=11, blocks=[4, 5, 7, 10, 12, 15, 12, 10, 7, 5, 4],
              growth=16)),
]

_CONV_NODES = (fast_conv.Convolution2D, chainer.functions.connection.convolution_2d
               .Convolution2DFunction)
_DECONV_NODES = (fast_conv.Deconvolution2D, chainer.functions.connection.deconvolution_2d
                 .Deconvolution2DFunction)


class ConvFlops(chainer.FunctionHook):
    """Counts the FLOPs of the convolutions of one training step from a forward pass.

    Use as a context manager around the forward pass, then read :attr:`flops`.
    """

    name = 'ConvFlops'

    def __init__(self):
        self._seen = []

    def forward_preprocess(self, function, in_data):
        if isinstance(function, _CONV_NODES + _DECONV_NODES):
            self._seen.append((function, in_data[0].shape, in_data[1].shape))

    @property
    def flops(self):
        total = 0
        for function, x_shape, w_shape in self._seen:
            if isinstance(function, _CONV_NODES):
                s, p = (function.sy, function.sx), (function.ph, function.pw)
                d = (function.dy, function.dx)
                out = [chainer.utils.conv.get_conv_outsize(
                    x_shape[2 + i], w_shape[2 + i], s[i], p[i], function.cover_all, d[i])
                    for i in (0, 1)]
                forward = 2 * x_shape[0] * out[0] * out[1] * int(numpy.prod(w_shape))
            else:  # every input pixel meets every filter tap once
                forward = 2 * int(numpy.prod(x_shape)) * int(numpy.prod(w_shape[1:]))
            x_node, w_node = function.inputs[:2]  # set once the node has run
            total += forward * (1 + int(w_node.requires_grad) + int(x_node.requires_grad))
        return total


def make_step(case, seed=0):
    """A model built from ``seed``, its Adam optimizer, fixed data, and a step function."""
    numpy.random.seed(seed)
    model = case.build()
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)
    rng = numpy.random.RandomState(seed)
    x = rng.uniform(0, 255, case.shape).astype(numpy.float32)
    with chainer.using_config('train', False), chainer.no_backprop_mode():
        out_size = model(x).shape[2:]  # smaller than the input for a valid U-Net
    t = rng.randint(0, case.n_class, (case.shape[0],) + out_size).astype(numpy.int32)

    def step():
        loss = pixel_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()

    return model, x, step


def conv_flops(case):
    """Convolution FLOPs of one training step of ``case``, counted on stock Chainer's layers.

    The fast path does the same convolutions, except FCN's fixed bilinear upsampling, which it
    runs as separable per-channel products (:mod:`seglearn.functions.separable`) doing far fewer
    FLOPs: its GFLOP/s are dense-equivalent, the same work divided by a shorter time.
    """
    model, x, _ = make_step(case)
    hook = ConvFlops()
    with config.using_fast_cpu(False), hook:
        model(x)
    return hook.flops


def matmul_gflops(n=2048, repeats=5):
    """GFLOP/s of a NumPy float32 (n, n) @ (n, n) product: the machine's BLAS reference."""
    rng = numpy.random.RandomState(0)
    a, b = rng.rand(n, n).astype(numpy.float32), rng.rand(n, n).astype(numpy.float32)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * n ** 3 / numpy.median(times) / 1e9


class TorchWorker:
    """PyTorch step server (``torch_models.py --serve``) whose steps interleave with Chainer's."""

    def __init__(self, python, cases, threads):
        specs = [dict(c.torch_spec, key=c.key, shape=list(c.shape)) for c in cases]
        config.cpu_kernels()  # loads oneDNN, which sets OMP_WAIT_POLICY unless it was set
        self.wait_policy = os.environ.get('OMP_WAIT_POLICY', 'default')
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, 'torch_models.py'), '--serve', '--threads', str(threads),
             json.dumps(specs)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=dict(os.environ))
        ready = self.proc.stdout.readline().split()
        if not ready or ready[0] != 'ready':
            self.close()
            raise RuntimeError('the PyTorch step server did not start')
        self.version, self.threads = ready[1], threads

    def step(self, key):
        self.proc.stdin.write(key + '\n')
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait()


def paired_ratio(times, mode, reference, first):
    """Paired estimate of ``times[reference] / times[mode]`` (> 1: ``mode`` is faster).

    Args:
        times (dict): mode → per-round step seconds.
        first (numpy.ndarray): bool per round, True where the modes ran in forward order.

    Returns:
        float: the geometric mean, over the two orders, of the median per-round ratio.
    """
    ratios = numpy.array(times[reference]) / numpy.array(times[mode])
    halves = [numpy.median(ratios[first == f]) for f in (True, False) if (first == f).any()]
    return float(numpy.exp(numpy.mean(numpy.log(halves))))


def time_steps(case, repeats, warmup, torch=None, modes=MODES):
    """Median step seconds per mode (and PyTorch), steps interleaved.

    Args:
        case (Case): the model.
        repeats, warmup (int): timed and untimed rounds; a round runs one step of each mode,
            in the order of ``modes`` or reversed, alternately.
        torch (TorchWorker or None): PyTorch's step server, stepped after the Chainer modes.
        modes (tuple): ``config.fast_cpu`` values.

    Returns:
        dict: mode → median seconds (``'torch'`` too with a worker), and ``'ratios'``: for each
        mode after the first and for ``'torch'``, :func:`paired_ratio` of the first mode
        against it.
    """
    steps = {}
    for mode in modes:
        with config.using_fast_cpu(mode):
            steps[mode] = make_step(case)[2]
    times = collections.defaultdict(list)
    order = list(modes) + (['torch'] if torch is not None else [])
    for i in range(warmup + repeats):
        for mode in (order if i % 2 else order[::-1]):
            # the same pause before every step: worker threads go idle, and on a machine that
            # other jobs load each step starts with the same scheduler credit (Linux favours a
            # task that slept: at a load of 6 on 2 cores, U-Net steps back to back took 600 ms,
            # after 0.4 s pauses 170-300 ms; PyTorch's server always sleeps between its steps)
            time.sleep(0.2)
            if mode == 'torch':
                elapsed = torch.step(case.key)
            else:
                with config.using_fast_cpu(mode):
                    start = time.perf_counter()
                    steps[mode]()
                    elapsed = time.perf_counter() - start
            if i >= warmup:
                times[mode].append(elapsed)
    result = {mode: float(numpy.median(t)) for mode, t in times.items()}
    first = (numpy.arange(warmup, warmup + repeats) % 2).astype(bool)
    result['ratios'] = {mode: paired_ratio(times, modes[0], mode, first) for mode in order[1:]}
    return result


class _NoOp(chainer.FunctionNode):
    """Returns its input; its gradient is another :class:`_NoOp` (one node application each
    way, as a typical layer)."""

    def forward(self, inputs):
        return inputs[0],

    def backward(self, indexes, grad_outputs):
        return _NoOp().apply(grad_outputs)


class _CountApplications(chainer.FunctionHook):
    name = 'CountApplications'

    def __init__(self):
        self.count = 0

    def forward_preprocess(self, function, in_data):
        self.count += 1


def overhead_floor(case, repeats=5):
    """Chainer's fixed cost of one training step of ``case``, without the arithmetic.

    Returns:
        dict: ``nodes`` (node applications of the model's forward + backward, NumPy kernels),
        ``graph_s`` (forward + backward of a chain of :class:`_NoOp` nodes on a 1-element
        array with as many applications) and ``adam_s`` (the model's Adam update alone;
        medians).
    """
    with config.using_fast_cpu('numpy'):
        model, x, step = make_step(case)
        hook = _CountApplications()
        step()
        with hook:
            step()
    optimizer = chainer.optimizers.Adam()
    optimizer.setup(model)
    optimizer.update()  # creates the state

    def chain():
        h = chainer.Variable(numpy.zeros(1, numpy.float32))
        for _ in range(hook.count // 2):
            h = _NoOp().apply((h,))[0]
        h.grad = numpy.ones(1, numpy.float32)
        h.backward()

    graph, adam = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        chain()
        graph.append(time.perf_counter() - start)
        start = time.perf_counter()
        optimizer.update()
        adam.append(time.perf_counter() - start)
    return dict(nodes=hook.count, graph_s=float(numpy.median(graph)),
                adam_s=float(numpy.median(adam)))


def peak_memory(case, mode):
    """tracemalloc peak (bytes) of the allocations of one training step after a warm-up step,
    with ``config.fast_cpu = mode``."""
    with config.using_fast_cpu(mode):
        _, _, step = make_step(case)
        step()
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            step()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def default_torch_python():
    candidate = os.path.join(ROOT, '.venv-bench', 'bin', 'python')
    return candidate if os.path.exists(candidate) else None


def run_torch(python, cases, repeats, warmup, device):
    """Images/s of the PyTorch versions, from :mod:`benchmarks.torch_models` in a subprocess."""
    if python is None:
        return {}
    request = [dict(c.torch_spec, key=c.key, shape=list(c.shape)) for c in cases]
    cmd = [python, os.path.join(HERE, 'torch_models.py'), '--device', device,
           '--repeats', str(repeats), '--warmup', str(warmup),
           '--threads', str(config.cpu_cores()), json.dumps(request)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        print('PyTorch comparison skipped: {}'.format(proc.stderr.strip().splitlines()[-1:]),
              file=sys.stderr)
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def environment():
    """Machine and versions, for the results table."""
    info = dict(date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
                python=platform.python_version(), numpy=numpy.__version__,
                chainer=chainer.__version__, seglearn=getattr(seglearn, '__version__', '?'),
                machine=platform.machine(), cores=config.cpu_cores(),
                cpu=_cpu_name(), load=os.getloadavg()[0] if hasattr(os, 'getloadavg') else None)
    return info


def _cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or '?'


def cpu_benchmark(cases, repeats, warmup, torch_python, threads):
    """The CPU comparison at each thread count in ``threads`` (see the module docstring)."""
    report = dict(env=environment(), repeats=repeats, kernels=config.describe(), runs=[],
                  results=[])
    for n in threads:
        torch = None
        with threadpoolctl.threadpool_limits(limits=n):
            if torch_python:
                try:
                    torch = TorchWorker(torch_python, cases, n)
                except (OSError, RuntimeError) as error:
                    print('PyTorch comparison skipped: {}'.format(error), file=sys.stderr)
            try:
                report['runs'].append(_cpu_run(cases, repeats, warmup, torch, n))
            finally:
                if torch is not None:
                    torch.close()
    for case in cases:
        report['results'].append(dict(
            key=case.key, name=case.name, shape=list(case.shape),
            peak_mib={MODE_NAMES[m]: peak_memory(case, m) / 2 ** 20 for m in MODES},
            conv_gflop=conv_flops(case) / 1e9, overhead=overhead_floor(case)))
    return report


def _cpu_run(cases, repeats, warmup, torch, threads):
    run = dict(threads=threads, blas_gflops=matmul_gflops(), load=_load(), results=[],
               torch_version=torch.version if torch is not None else None,
               torch_wait_policy=torch.wait_policy if torch is not None else None)
    for case in cases:
        seconds = time_steps(case, repeats, warmup, torch)
        b = case.shape[0]
        result = dict(key=case.key, img_s={MODE_NAMES[m]: b / seconds[m] for m in MODES},
                      ratios={('PyTorch' if m == 'torch' else MODE_NAMES[m]): r
                              for m, r in seconds['ratios'].items()})
        if 'torch' in seconds:
            result['img_s']['PyTorch'] = b / seconds['torch']
        run['results'].append(result)
        print('  {} thread(s) {:<44} {}'.format(threads, case.name, '  '.join(
            '{} {:.2f}'.format(k, v) for k, v in result['img_s'].items())), file=sys.stderr)
    run['load_after'] = _load()
    return run


def _load():
    return os.getloadavg()[0] if hasattr(os, 'getloadavg') else None


def format_cpu(report):
    env = report['env']
    lines = ['CPU: {cpu}, {cores} cores; Python {python}, NumPy {numpy}, Chainer {chainer}; {date}'
             .format(**env), 'seglearn kernels: {}; median of {} interleaved rounds'.format(
                 report['kernels'], report['repeats'])]
    names = [MODE_NAMES[m] for m in MODES]
    for run in report['runs']:
        torch = run['torch_version']
        lines += ['', '{} thread(s): NumPy float32 matmul (2048²) {:.1f} GFLOP/s; load average '
                  '{:.1f} → {:.1f}{}'.format(
                      run['threads'], run['blas_gflops'], run['load'], run['load_after'],
                      '; PyTorch {} (OMP_WAIT_POLICY {})'.format(torch, run['torch_wait_policy'])
                      if torch else ''), '',
                  '| model | batch | ' + ' | '.join('{} img/s'.format(n) for n in names)
                  + ' | PyTorch img/s | oneDNN / PyTorch | oneDNN / NumPy | oneDNN / stock |',
                  '|---|---|' + '---|' * (len(names) + 4)]
        shapes = {r['key']: r for r in report['results']}
        for r in run['results']:
            ratios = r['ratios']
            lines.append('| {} | {} | {} | {} | {} | {} | {} |'.format(
                shapes[r['key']]['name'], '×'.join(map(str, shapes[r['key']]['shape'])),
                ' | '.join('{:.2f}'.format(r['img_s'][n]) for n in names),
                '{:.2f}'.format(r['img_s']['PyTorch']) if 'PyTorch' in r['img_s'] else 'n/a',
                '**{:.2f}**'.format(ratios['PyTorch']) if 'PyTorch' in ratios else 'n/a',
                '{:.2f}'.format(ratios[names[1]]), '{:.2f}'.format(ratios[names[2]])))
    lines += ['', '| model | step peak MiB ' + ' / '.join(names) + ' | conv GFLOP per step '
              '| node applications per step | no-op graph ms | Adam update ms |',
              '|---|---|---|---|---|---|']
    for r in report['results']:
        o = r['overhead']
        lines.append('| {} | {} | {:.2f} | {} | {:.1f} | {:.1f} |'.format(
            r['name'], ' / '.join('{:.0f}'.format(r['peak_mib'][n]) for n in names),
            r['conv_gflop'], o['nodes'], o['graph_s'] * 1e3, o['adam_s'] * 1e3))
    return '\n'.join(lines)


def gpu_benchmark(cases, repeats, warmup, torch_python):
    if not backend.cupy_available():
        sys.exit('benchmarks/run.py --gpu needs CuPy and a CUDA device; none is usable here '
                 '(install cupy-cuda12x as the README says, or run the CPU benchmark without '
                 '--gpu).')
    import cupy
    device = backend.get_device('@cupy:0')
    pool = cupy.get_default_memory_pool()
    results = []
    for case in cases:
        model, x, _ = make_step(case)
        model.to_device(device)
        optimizer = chainer.optimizers.Adam()
        optimizer.setup(model)
        x = device.send(x)
        t = device.send(numpy.random.RandomState(0).randint(
            0, case.n_class, (case.shape[0],) + model(x).shape[2:]).astype(numpy.int32))

        def step():
            loss = pixel_cross_entropy(model(x), t)
            model.cleargrads()
            loss.backward()
            optimizer.update()

        for _ in range(warmup):
            step()
        times = []
        for _ in range(repeats):
            with backend.Timer(device) as timer:
                step()
            times.append(timer.seconds)
        # the pool keeps freed blocks: emptied before one step, its size after it is the peak
        model.cleargrads()
        pool.free_all_blocks()
        step()
        backend.synchronize(device)
        results.append(dict(key=case.key, name=case.name, shape=list(case.shape),
                            img_s=case.shape[0] / float(numpy.median(times)),
                            peak_mib=pool.total_bytes() / 2 ** 20))
        del model, optimizer, x, t
        pool.free_all_blocks()
    torch = run_torch(torch_python, cases, repeats, warmup, 'cuda')
    for r in results:
        r['torch_img_s'] = torch.get(r['key'], {}).get('img_s')
        r['torch_peak_mib'] = torch.get(r['key'], {}).get('peak_mib')
    env = environment()
    env['gpu'] = cupy.cuda.runtime.getDeviceProperties(0)['name'].decode()
    env['cupy'] = cupy.__version__
    return dict(env=env, results=results, repeats=repeats, torch_version=torch.get('_version'))


def format_gpu(report):
    env = report['env']
    lines = ['GPU: {gpu}; CuPy {cupy}, Chainer {chainer}, NumPy {numpy}, Python {python}; {date}'
             .format(**env), '',
             '| model | batch | img/s | peak pool MiB | PyTorch img/s | PyTorch peak MiB |',
             '|---|---|---|---|---|---|']
    for r in report['results']:
        lines.append('| {} | {} | {:.2f} | {:.0f} | {} | {} |'.format(
            r['name'], '×'.join(map(str, r['shape'])), r['img_s'], r['peak_mib'],
            '{:.2f}'.format(r['torch_img_s']) if r['torch_img_s'] else 'n/a',
            '{:.0f}'.format(r['torch_peak_mib']) if r['torch_peak_mib'] else 'n/a'))
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--gpu', action='store_true', help='GPU benchmark at the paper sizes')
    parser.add_argument('--repeats', type=int, default=7, help='timed steps per mode')
    parser.add_argument('--warmup', type=int, default=2, help='untimed steps per mode first')
    parser.add_argument('--models', default=None,
                        help='comma-separated subset of: unet, fcn8s, fcdensenet56, fcn8s-ch, '
                             'unet-ch09, fcdensenet56-ch11 (CPU) / fcn8s, unet, fcdensenet103 '
                             '(GPU)')
    parser.add_argument('--torch-python', default=default_torch_python(),
                        help='interpreter with PyTorch for the comparison ("" to skip)')
    parser.add_argument('--threads', default=None,
                        help='comma-separated thread counts for every framework (default: 1 '
                             'and 2, or 1 on one core)')
    parser.add_argument('--json', default=None, help='also write the raw figures here')
    args = parser.parse_args(argv)
    cases = GPU_CASES if args.gpu else CPU_CASES + CHAPTER_CASES
    if args.models:
        wanted = args.models.split(',')
        unknown = set(wanted) - {c.key for c in cases}
        if unknown:
            parser.error('unknown model(s) {}; choose from {}'.format(
                sorted(unknown), [c.key for c in cases]))
        cases = [c for c in cases if c.key in wanted]
    torch_python = args.torch_python or None
    if args.gpu:
        report = gpu_benchmark(cases, args.repeats, args.warmup, torch_python)
        text = format_gpu(report)
    else:
        threads = ([int(n) for n in args.threads.split(',')] if args.threads
                   else [n for n in (1, 2) if n <= config.cpu_cores()])
        report = cpu_benchmark(cases, args.repeats, args.warmup, torch_python, threads)
        text = format_cpu(report)
    print(text)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
