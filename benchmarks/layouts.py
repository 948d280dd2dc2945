"""Which activation layout pays for oneDNN's convolutions (``benchmarks/RESULTS.md``, "Layout").

For 3×3 'same' convolutions of the course's models' shapes, times one forward convolution (+ bias)
from and to NumPy arrays, on one thread, with the activations handed to oneDNN as

- ``nhwc``: channel-last memory as it is (seglearn's choice);
- ``nchw``: C-contiguous NCHW as it is;
- ``blocked``: in the layout oneDNN prefers (``format_tag_any``: ``nChw16c`` here), reordered
  from NHWC before and back after each call, as a framework that keeps NumPy arrays must.

Filters are reordered from Chainer's OIHW in all three. Each figure is the median of 20 calls.
Usage: ``python benchmarks/layouts.py``.
"""
import time

import numpy
import threadpoolctl

import seglearn  # noqa: F401
from seglearn.functions import _dnnl
from seglearn.functions._dnnl import ARG_BIAS, ARG_DST, ARG_SRC, ARG_WEIGHTS, Dims, Primitive

#: (B, C_in, H, C_out): FCN-8s at width 1/8 (conv1_2, conv2_2 at 128 px with pad 100), U-Net base
#: 16 at 128 px, FC-DenseNet56's first and up-path layers at 64 px
SHAPES = [(2, 8, 326, 8), (2, 16, 163, 16), (4, 16, 128, 16), (4, 64, 32, 64), (4, 128, 16, 128),
          (4, 48, 64, 12), (4, 180, 64, 12)]


def _reorder(lib, src_md, dst_md):
    pd = lib.new(lib.reorder_primitive_desc_create, src_md, lib.engine, dst_md, lib.engine, None)
    return Primitive(lib, pd, (ARG_SRC, ARG_DST))


def convolution(lib, layout, x_shape, c_out):
    """A function running one convolution of ``layout`` on fixed random arrays."""
    n, c, h, w = x_shape
    y_shape = (n, c_out, h, w)
    rng = numpy.random.RandomState(0)
    x_nhwc = rng.randn(n, h, w, c).astype(numpy.float32)
    x = numpy.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)) if layout == 'nchw' else x_nhwc
    y = numpy.empty(y_shape if layout == 'nchw' else (n, h, w, c_out), numpy.float32)
    W = rng.randn(c_out, c, 3, 3).astype(numpy.float32)
    b = rng.randn(c_out).astype(numpy.float32)
    with lib.descriptors() as md:
        user_x = md.strided(x_shape, (c * h * w, h * w, w, 1)) if layout == 'nchw' else \
            md.nhwc(x_shape)
        user_y = md.strided(y_shape, (c_out * h * w, h * w, w, 1)) if layout == 'nchw' else \
            md.nhwc(y_shape)
        src, dst = ((md.any(x_shape), md.any(y_shape)) if layout == 'blocked'
                    else (user_x, user_y))
        pd = lib.new(lib.convolution_forward_primitive_desc_create, lib.engine,
                     _dnnl.FORWARD_TRAINING, _dnnl.CONVOLUTION_DIRECT, src, md.any(W.shape),
                     md.plain((c_out,)), dst, Dims(1, 1), Dims(0, 0), Dims(1, 1), Dims(1, 1),
                     None)
        conv = Primitive(lib, pd, (ARG_SRC, ARG_WEIGHTS, ARG_BIAS, ARG_DST))
        to_filters = _reorder(lib, md.plain(W.shape), conv.mds[ARG_WEIGHTS])
        if layout == 'blocked':
            to_src = _reorder(lib, user_x, conv.mds[ARG_SRC])
            from_dst = _reorder(lib, conv.mds[ARG_DST], user_y)
    filters = _dnnl.empty_buffer(conv.sizes[ARG_WEIGHTS])
    if layout != 'blocked':
        def run():
            to_filters(W, filters)
            conv(x, filters, b, y)
    else:
        src_buffer = _dnnl.empty_buffer(conv.sizes[ARG_SRC])
        dst_buffer = _dnnl.empty_buffer(conv.sizes[ARG_DST])

        def run():
            to_filters(W, filters)
            to_src(x, src_buffer)
            conv(src_buffer, filters, b, dst_buffer)
            from_dst(dst_buffer, y)
    return run, conv.impl


def median_ms(fn, repeats=20):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(numpy.median(times))


def main():
    lib = _dnnl.library()
    layouts = ('nhwc', 'nchw', 'blocked')
    print('oneDNN {}, 1 thread; ms per 3x3 convolution forward (+ bias), median of 20'.format(
        lib.version))
    print('| B×C_in×H×W → C_out | ' + ' | '.join(layouts) + ' | implementations |')
    print('|---|---|---|---|---|')
    with threadpoolctl.threadpool_limits(limits=1):
        for n, c, h, c_out in SHAPES:
            runs = [convolution(lib, layout, (n, c, h, h), c_out) for layout in layouts]
            times = [median_ms(run) for run, _ in runs]
            best = min(times)
            print('| {}×{}×{}×{} → {} | {} | {} |'.format(
                n, c, h, h, c_out, ' | '.join(('**{:.2f}**' if t == best else '{:.2f}').format(t)
                                               for t in times),
                ', '.join(impl for _, impl in runs)))


if __name__ == '__main__':
    main()
