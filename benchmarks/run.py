"""Training-speed and memory benchmark of seglearn's models (``make bench``; ``--gpu`` for issue 5).

CPU (default): for U-Net, FCN-8s and FC-DenseNet56 at their CPU-demo sizes, one training step
(forward, pixel cross-entropy, backward, Adam update) is timed with seglearn's fast CPU path ON
and OFF (stock Chainer). The two models are built from the same seed and their steps are
*interleaved* (ON, OFF, OFF, ON, …) so that a change of machine load hits both alike; each figure
is the median over the repeats after warm-up. Reported per model:

- images/s ON and OFF (medians) and the speed-up from the ratios of adjacent ON/OFF steps (the
  headline; steadier on a shared machine than the ratio of the medians, which is kept in the
  JSON as ``speedup_of_medians``): the median ratio of the rounds where ON ran first and of those
  where OFF ran first, combined by their geometric mean;
- peak memory of one training step, ON and OFF: ``tracemalloc``'s peak of the NumPy allocations
  made during the step (NumPy reports its array buffers to ``tracemalloc``); parameters and
  optimizer state allocated earlier are not included, so it is the step's working memory;
- GFLOP/s of the convolutions: their FLOPs are counted analytically from the shapes
  (2·B·H_out·W_out·C_out·C_in·kh·kw for the forward, the same again for the filter gradient when
  the filters are trained and for the input gradient when the input needs one), divided by the
  step time, next to a NumPy float32 matrix product measured in the same run;
- where PyTorch is importable by ``--torch-python`` (default: ``.venv-bench/bin/python`` when it
  exists), the same architectures written in PyTorch (:mod:`benchmarks.torch_models`, a step
  server in a subprocess with the same thread count whose steps are interleaved with the Chainer
  ones), for comparison only.

GPU (``--gpu``): the paper sizes (FCN-8s 500×500, U-Net 572×572 valid, FC-DenseNet103 224×224) on
``@cupy:0``: images/s and the CuPy memory-pool peak, and PyTorch CUDA where present. Without CuPy
and a CUDA device it stops with a message saying so.

Usage: ``python benchmarks/run.py [--repeats N] [--json PATH] [--models unet,fcn8s,fcdensenet56]``.
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
    t = rng.randint(0, case.n_class, (case.shape[0],) + case.shape[2:]).astype(numpy.int32)

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
        self.proc = subprocess.Popen(
            [python, os.path.join(HERE, 'torch_models.py'), '--serve', '--threads', str(threads),
             json.dumps(specs)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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


def time_steps(case, repeats, warmup, torch=None):
    """Median step seconds, fast path ON and OFF (and PyTorch), steps interleaved.

    Returns:
        dict: ``{True: s, False: s}`` plus ``'torch': s`` when a :class:`TorchWorker` is given.
    """
    steps = {mode: make_step(case)[2] for mode in (True, False)}
    times = collections.defaultdict(list)
    for i in range(warmup + repeats):
        for mode in ((True, False) if i % 2 else (False, True)):
            with config.using_fast_cpu(mode):
                start = time.perf_counter()
                steps[mode]()
                elapsed = time.perf_counter() - start
            if i >= warmup:
                times[mode].append(elapsed)
        if torch is not None:
            time.sleep(0.2)  # let spinning BLAS / OpenMP worker threads go idle between
            elapsed = torch.step(case.key)  # the two frameworks
            time.sleep(0.2)
            if i >= warmup:
                times['torch'].append(elapsed)
    result = {mode: float(numpy.median(t)) for mode, t in times.items()}
    # adjacent ON/OFF steps see the same machine load, so their ratio is steadier than the ratio
    # of the medians on a shared machine; the rounds alternate which mode goes first, and the
    # geometric mean of the two orders' medians cancels any first-step effect
    ratios = numpy.array(times[False]) / numpy.array(times[True])
    first = (numpy.arange(warmup, warmup + repeats) % 2).astype(bool)  # True: ON went first
    halves = [numpy.median(ratios[first == f]) for f in (True, False) if (first == f).any()]
    result['paired_speedup'] = float(numpy.exp(numpy.mean(numpy.log(halves))))
    return result


def peak_memory(case, fast):
    """tracemalloc peak (bytes) of the allocations of one training step after a warm-up step."""
    with config.using_fast_cpu(fast):
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
           '--threads', str(_threads()), json.dumps(request)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        print('PyTorch comparison skipped: {}'.format(proc.stderr.strip().splitlines()[-1:]),
              file=sys.stderr)
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _threads():
    return len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()


def environment():
    """Machine and versions, for the results table."""
    info = dict(date=datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
                python=platform.python_version(), numpy=numpy.__version__,
                chainer=chainer.__version__, seglearn=getattr(seglearn, '__version__', '?'),
                machine=platform.machine(), cores=_threads(),
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


def cpu_benchmark(cases, repeats, warmup, torch_python, torch_threads):
    torch = None
    if torch_python:
        try:
            torch = TorchWorker(torch_python, cases, torch_threads)
        except (OSError, RuntimeError) as error:
            print('PyTorch comparison skipped: {}'.format(error), file=sys.stderr)
    try:
        return _cpu_benchmark(cases, repeats, warmup, torch)
    finally:
        if torch is not None:
            torch.close()


def _cpu_benchmark(cases, repeats, warmup, torch):
    results = []
    blas = matmul_gflops()
    for case in cases:
        seconds = time_steps(case, repeats, warmup, torch)
        flops = conv_flops(case)
        b = case.shape[0]
        results.append(dict(
            key=case.key, name=case.name, shape=list(case.shape),
            on_img_s=b / seconds[True], off_img_s=b / seconds[False],
            speedup=seconds['paired_speedup'],
            speedup_of_medians=seconds[False] / seconds[True],
            on_gflops=flops / seconds[True] / 1e9, off_gflops=flops / seconds[False] / 1e9,
            conv_gflop_per_step=flops / 1e9,
            on_peak_mib=peak_memory(case, True) / 2 ** 20,
            off_peak_mib=peak_memory(case, False) / 2 ** 20,
            torch_img_s=b / seconds['torch'] if 'torch' in seconds else None))
        print('  {:<36} ON {:6.2f} img/s  OFF {:6.2f} img/s  ×{:.2f}'.format(
            case.name, results[-1]['on_img_s'], results[-1]['off_img_s'],
            results[-1]['speedup']), file=sys.stderr)
    return dict(env=environment(), blas_gflops=blas, repeats=repeats, results=results,
                torch_version=torch.version if torch is not None else None,
                torch_threads=torch.threads if torch is not None else None)


def format_cpu(report):
    env = report['env']
    lines = [
        'CPU: {cpu}, {cores} cores; Python {python}, NumPy {numpy}, Chainer {chainer}; {date}; '
        'load average at start {load:.1f}'.format(**env),
        'NumPy float32 matmul (2048²): {:.1f} GFLOP/s; median of {} interleaved steps'.format(
            report['blas_gflops'], report['repeats'])
        + ('; PyTorch {} on {} thread(s)'.format(report['torch_version'], report['torch_threads'])
           if report.get('torch_version') else ''),
        '',
        '| model | batch | img/s fast ON | img/s OFF (stock Chainer) | speed-up '
        '| conv GFLOP/s ON / OFF | step peak MiB ON / OFF | PyTorch img/s | ON / PyTorch |',
        '|---|---|---|---|---|---|---|---|---|',
    ]
    for r in report['results']:
        torch = r.get('torch_img_s')
        lines.append('| {} | {} | {:.2f} | {:.2f} | **×{:.2f}** | {:.1f} / {:.1f} '
                     '| {:.0f} / {:.0f} | {} | {} |'.format(
                         r['name'], '×'.join(map(str, r['shape'])), r['on_img_s'], r['off_img_s'],
                         r['speedup'], r['on_gflops'], r['off_gflops'], r['on_peak_mib'],
                         r['off_peak_mib'], '{:.2f}'.format(torch) if torch else 'n/a',
                         '{:.2f}'.format(r['on_img_s'] / torch) if torch else 'n/a'))
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
                        help='comma-separated subset of: unet, fcn8s, fcdensenet56 (CPU) / '
                             'fcn8s, unet, fcdensenet103 (GPU)')
    parser.add_argument('--torch-python', default=default_torch_python(),
                        help='interpreter with PyTorch for the comparison ("" to skip)')
    parser.add_argument('--torch-threads', type=int, default=None,
                        help='PyTorch CPU threads (default: the cores NumPy/OpenBLAS uses)')
    parser.add_argument('--json', default=None, help='also write the raw figures here')
    args = parser.parse_args(argv)
    cases = GPU_CASES if args.gpu else CPU_CASES
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
        report = cpu_benchmark(cases, args.repeats, args.warmup, torch_python,
                               args.torch_threads or _threads())
        text = format_cpu(report)
    print(text)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
