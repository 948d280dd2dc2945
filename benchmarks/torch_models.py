"""The benchmarked architectures written in PyTorch, for a speed comparison only.

seglearn never imports this file and does not depend on PyTorch. :mod:`benchmarks.run` calls it
in a subprocess with an interpreter that has PyTorch (e.g. ``.venv-bench/bin/python``)::

    python benchmarks/torch_models.py --device cpu --threads 2 '[{"arch": "unet", ...}]'

and reads one JSON line: ``{key: {"img_s": …, "peak_mib": …}, "_version": torch version}``; or,
with ``--serve``, keeps the models and runs one step per key it reads on stdin, so that the CPU
benchmark can interleave PyTorch steps with Chainer's.
Each model mirrors its seglearn counterpart layer for layer (same channels, kernels, padding,
ceil-mode pooling, crops, fixed bilinear upsampling, dropout, batch norm) so that the images/s
compare the frameworks, not the architectures. A training step is forward, pixel cross-entropy
(ignore -1), backward and an Adam update, as in :mod:`benchmarks.run`.
"""
import argparse
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def _conv_block(cin, cout, pad, batch_norm):
    layers = []
    for i in range(2):
        layers.append(nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=pad, bias=not batch_norm))
        if batch_norm:
            layers.append(nn.BatchNorm2d(cout))
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def _center_crop(x, size):
    h, w = size
    top, left = (x.shape[2] - h) // 2, (x.shape[3] - w) // 2
    return x[:, :, top:top + h, left:left + w]


class UNet(nn.Module):
    """U-Net as :class:`seglearn.models.UNet` (deconv upsampling)."""

    def __init__(self, n_class, in_channels, depth, base, padding, batch_norm, dropout):
        super().__init__()
        pad = 1 if padding == 'same' else 0
        ch = [base * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList(_conv_block(cin, cout, pad, batch_norm)
                                  for cin, cout in zip([in_channels] + ch[:-1], ch))
        self.up = nn.ModuleList(nn.ConvTranspose2d(cin, cout, 2, 2)
                                for cin, cout in zip(ch[:0:-1], ch[-2::-1]))
        self.up_blocks = nn.ModuleList(_conv_block(2 * cout, cout, pad, batch_norm)
                                       for cout in ch[-2::-1])
        self.final = nn.Conv2d(ch[0], n_class, 1)
        self.depth, self.dropout = depth, dropout

    def forward(self, x):
        h = x * (1.0 / 255)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h)
            if i < self.depth:
                skips.append(h)
                h = F.max_pool2d(h, 2)
        h = F.dropout(h, self.dropout, self.training)
        for up, block, skip in zip(self.up, self.up_blocks, reversed(skips)):
            h = up(h)
            h = block(torch.cat((_center_crop(skip, h.shape[2:]), h), 1))
        return self.final(h)


def bilinear_kernel(channels, ksize):
    """(channels, channels, k, k) bilinear upsampling kernel on the channel diagonal."""
    factor = (ksize + 1) // 2
    centre = factor - 1 if ksize % 2 == 1 else factor - 0.5
    r = 1 - (torch.arange(ksize, dtype=torch.float32) - centre).abs() / factor
    weight = torch.zeros(channels, channels, ksize, ksize)
    weight[range(channels), range(channels)] = r[:, None] * r[None, :]
    return weight


class FCN8s(nn.Module):
    """FCN-8s as :class:`seglearn.models.FCN8s`: VGG16 at a width, pad 100, ceil-mode pooling,
    fixed bilinear upsampling, zero-initialised score layers, the given crop offsets."""

    STAGES = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))

    def __init__(self, n_class, width, crops):
        super().__init__()

        def scaled(c):
            return max(1, int(round(c * width)))

        convs, cin = [], 3
        for stage, (depth, channels) in enumerate(self.STAGES):
            for j in range(depth):
                convs.append(nn.Conv2d(cin, scaled(channels), 3,
                                       padding=100 if not convs else 1))
                cin = scaled(channels)
        self.convs = nn.ModuleList(convs)
        self.stage_ends = {1, 3, 6, 9, 12}
        fc = scaled(4096)
        self.fc6, self.fc7 = nn.Conv2d(cin, fc, 7), nn.Conv2d(fc, fc, 1)
        self.score_fr = nn.Conv2d(fc, n_class, 1)
        self.score_pool4 = nn.Conv2d(scaled(512), n_class, 1)
        self.score_pool3 = nn.Conv2d(scaled(256), n_class, 1)
        for layer in (self.score_fr, self.score_pool4, self.score_pool3):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        for name, k, s in (('up2', 4, 2), ('up4', 4, 2), ('up8', 16, 8)):
            self.register_buffer(name, bilinear_kernel(n_class, k))
            setattr(self, name + '_stride', s)
        self.crops = crops
        self.register_buffer('mean', torch.tensor([104.00698793, 116.66876762, 122.67891434])
                             .view(1, 3, 1, 1))

    def forward(self, x):
        size = x.shape[2:]
        h = x.flip(1) - self.mean
        pools = []
        for i, conv in enumerate(self.convs):
            h = F.relu(conv(h))
            if i in self.stage_ends:
                h = F.max_pool2d(h, 2, 2, ceil_mode=True)
                pools.append(h)
        h = F.dropout(F.relu(self.fc6(h)), 0.5, self.training)
        h = F.dropout(F.relu(self.fc7(h)), 0.5, self.training)
        h = F.conv_transpose2d(self.score_fr(h), self.up2, stride=2)
        h = h + self._crop(self.score_pool4(pools[3]), self.crops[0], h.shape[2:])
        h = F.conv_transpose2d(h, self.up4, stride=2)
        h = h + self._crop(self.score_pool3(pools[2]), self.crops[1], h.shape[2:])
        h = F.conv_transpose2d(h, self.up8, stride=8)
        return self._crop(h, self.crops[2], size)

    @staticmethod
    def _crop(x, offset, size):
        return x[:, :, offset:offset + size[0], offset:offset + size[1]]


class _DenseBlock(nn.Module):
    def __init__(self, cin, n_layers, growth, dropout):
        super().__init__()
        self.layers = nn.ModuleList(nn.Sequential(
            nn.BatchNorm2d(cin + i * growth), nn.ReLU(),
            nn.Conv2d(cin + i * growth, growth, 3, padding=1), nn.Dropout(dropout))
            for i in range(n_layers))
        self.out_channels, self.new_channels = cin + n_layers * growth, n_layers * growth

    def forward(self, x):
        new, h = [], x
        for layer in self.layers:
            new.append(layer(h))
            h = torch.cat((h, new[-1]), 1)
        return h, torch.cat(new, 1)


class FCDenseNet(nn.Module):
    """FC-DenseNet as :class:`seglearn.models.FCDenseNet` (max-pool transitions)."""

    def __init__(self, n_class, blocks, growth, first=48, dropout=0.2):
        super().__init__()
        n_pools = len(blocks) // 2
        self.first = nn.Conv2d(3, first, 3, padding=1)
        down, tds, skips, ch = [], [], [], first
        for n in blocks[:n_pools]:
            down.append(_DenseBlock(ch, n, growth, dropout))
            ch = down[-1].out_channels
            skips.append(ch)
            tds.append(nn.Sequential(nn.BatchNorm2d(ch), nn.ReLU(), nn.Conv2d(ch, ch, 1),
                                     nn.Dropout(dropout), nn.MaxPool2d(2)))
        self.down, self.tds = nn.ModuleList(down), nn.ModuleList(tds)
        self.bottleneck = _DenseBlock(ch, blocks[n_pools], growth, dropout)
        new, ups, up_blocks = self.bottleneck.new_channels, [], []
        for n, skip in zip(blocks[n_pools + 1:], reversed(skips)):
            ups.append(nn.ConvTranspose2d(new, new, 3, 2))
            up_blocks.append(_DenseBlock(new + skip, n, growth, dropout))
            new = up_blocks[-1].new_channels
        self.tus, self.up = nn.ModuleList(ups), nn.ModuleList(up_blocks)
        self.final = nn.Conv2d(up_blocks[-1].out_channels, n_class, 1)

    def forward(self, x):
        h = self.first(x * (1.0 / 255))
        skips = []
        for block, td in zip(self.down, self.tds):
            h, _ = block(h)
            skips.append(h)
            h = td(h)
        _, new = self.bottleneck(h)
        for tu, block, skip in zip(self.tus, self.up, reversed(skips)):
            new = tu(new)[:, :, :skip.shape[2], :skip.shape[3]]
            h, new = block(torch.cat((new, skip), 1))
        return self.final(h)


def build(spec):
    """A model from a benchmark spec dict (see :data:`benchmarks.run.CPU_CASES`)."""
    arch = spec['arch']
    if arch == 'unet':
        return UNet(spec['n_class'], spec['in_channels'], spec['depth'], spec['base'],
                    spec['padding'], spec['batch_norm'], spec['dropout'])
    if arch == 'fcn8s':
        return FCN8s(spec['n_class'], spec['width'], spec['crops'])
    if arch == 'fcdensenet':
        return FCDenseNet(spec['n_class'], spec['blocks'], spec['growth'])
    raise ValueError('unknown arch {!r}'.format(arch))


def make_step(spec, device):
    """A training-step function for the model of ``spec`` on ``device``."""
    torch.manual_seed(0)
    model = build(spec).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(*spec['shape'], device=device) * 255
    with torch.no_grad():
        out_size = model(x).shape[2:]
    t = torch.randint(0, spec['n_class'], (spec['shape'][0],) + tuple(out_size), device=device)

    def step():
        loss = F.cross_entropy(model(x), t, ignore_index=-1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def benchmark(spec, device, repeats, warmup):
    """Median images/s of training steps (and the CUDA allocator's peak MiB on a GPU)."""
    step = make_step(spec, device)

    def sync():
        if device == 'cuda':
            torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    result = dict(img_s=spec['shape'][0] / times[len(times) // 2])
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
        step()
        result['peak_mib'] = torch.cuda.max_memory_allocated() / 2 ** 20
    return result


def serve(specs, device):
    """Step server for interleaved timing: after ``ready``, each input line names a model key;
    one training step of it is run and its seconds printed."""
    steps = {spec['key']: make_step(spec, device) for spec in specs}
    print('ready', torch.__version__, flush=True)
    for line in sys.stdin:
        key = line.strip()
        if not key:
            break
        start = time.perf_counter()
        steps[key]()
        print(time.perf_counter() - start, flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description='PyTorch versions of the benchmarked models')
    parser.add_argument('specs', help='JSON list of model specs, each with a "key"')
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--serve', action='store_true', help='run as a step server (CPU)')
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.device == 'cuda' and not torch.cuda.is_available():
        sys.exit('PyTorch has no CUDA device here')
    if args.serve:
        return serve(json.loads(args.specs), args.device)
    results = {spec['key']: benchmark(spec, args.device, args.repeats, args.warmup)
               for spec in json.loads(args.specs)}
    results['_version'] = torch.__version__
    print(json.dumps(results))


if __name__ == '__main__':
    main()
