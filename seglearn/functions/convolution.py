"""Fast CPU 2-D convolution and transposed convolution as Chainer ``FunctionNode`` s.

Three nodes, the same three Chainer uses, each one large matrix product on channel-last patch
buffers (see :mod:`seglearn.functions._patches` for the layout):

- :class:`Convolution2D`: ``y = im2col(x) @ W`` (+ b). Gradients: ``gx`` is a
  :class:`Deconvolution2D` of ``gy``, ``gW`` a :class:`Convolution2DGradW`, ``gb`` a sum.
- :class:`Deconvolution2D`: ``y = col2im(x @ Wᵀ)`` (+ b); with stride 1 (the input gradient of
  every 3×3 convolution) instead ``im2col(x) @ flip(W)``, a convolution with the flipped filters
  and padding ``k − 1 − p``, measured 1.5–2.6× faster than the matrix product + ``col2im``.
  Gradients: ``gx`` is a :class:`Convolution2D` of ``gy``, ``gW`` a
  :class:`Convolution2DGradW` of ``(gy, x)``. Both take the bias gradient with
  :class:`BiasGrad`.
- :class:`Convolution2DGradW`: ``gW = im2col(x)ᵀ @ gy``; its own gradients are again a
  convolution and a transposed convolution, so double backprop works to any order.

With oneDNN as the CPU backend (float32), each node's forward is one oneDNN primitive instead
(:mod:`seglearn.functions.onednn`: convolution, deconvolution, backward-weights); the graph, and so
the gradients of any order, stay these nodes'.

Semantics follow ``chainer.functions.convolution_2d`` / ``deconvolution_2d`` exactly (stride, pad,
``cover_all``, dilation, ``outsize``) for ``groups=1`` and NumPy float32/float64 arrays; the
dispatcher in :mod:`seglearn.functions` sends everything else to Chainer. Outputs are NCHW views of
channel-last memory, which the next convolution reads without a copy.
"""
import numpy
from chainer import function_node
import chainer.functions as F
from chainer.utils import conv, type_check

from seglearn._checks import pair as _pair
from seglearn.functions import _patches, _taps, onednn


class _ConvParams(object):
    """Stride, pad and dilation pairs shared by the three nodes."""

    def _set_params(self, stride, pad, dilate):
        self.sy, self.sx = _pair(stride)
        self.ph, self.pw = _pair(pad)
        self.dy, self.dx = _pair(dilate)
        if min(self.dy, self.dx) < 1:
            raise ValueError('dilate must be positive, got {}'.format(dilate))

    @property
    def _geometry(self):
        return dict(sy=self.sy, sx=self.sx, ph=self.ph, pw=self.pw, dy=self.dy, dx=self.dx)

    @property
    def _args(self):
        return dict(stride=(self.sy, self.sx), pad=(self.ph, self.pw), dilate=(self.dy, self.dx))


def _convolve(x, W, b, sy, sx, ph, pw, dy, dx, out_h, out_w):
    """``conv(x, W) + b`` on NumPy arrays: oneDNN where :func:`onednn.applies`, else shifted
    products for stride 1 and a patch matrix otherwise.

    With stride 1, output pixels whose window sees padding only (:func:`_taps.blind_border`) are
    set to ``b`` (or 0) without computing them: 84 % of FCN's conv1_1 output on a 128×128 image.
    """
    eh, ew = _taps.blind_border(W.shape[2:], (ph, pw), (dy, dx)) if (sy, sx) == (1, 1) else (0, 0)
    if eh or ew:
        inner = _convolve(x, W, b, 1, 1, ph - eh, pw - ew, dy, dx, out_h - 2 * eh, out_w - 2 * ew)
        y = numpy.empty((x.shape[0], out_h, out_w, W.shape[0]), x.dtype)
        y[...] = 0 if b is None else b
        y[:, eh:out_h - eh, ew:out_w - ew] = _patches.nhwc(inner)
        return _patches.nchw(y)
    if onednn.applies(x, W, b):
        try:
            return onednn.convolution(x, W, b, (sy, sx), (ph, pw), (dy, dx), (out_h, out_w))
        except onednn.Unsupported:
            pass
    if _taps.worth_it(x.shape, W.shape, (sy, sx), (dy, dx), (out_h, out_w)):
        return _taps.convolution(x, W, ph, pw, dy, dx, out_h, out_w, b)
    col = _patches.im2col(x, W.shape[2], W.shape[3], sy, sx, ph, pw, dy, dx, out_h, out_w)
    y = _patches.patch_product(col, _patches.filters_as_matrix(W), x.shape[0], out_h, out_w)
    if b is not None:
        y += b[:, None, None]
    return y


def _check_bias(in_types, n_out_axis):
    if type_check.eval(in_types.size()) == 3:
        x_type, w_type, b_type = in_types
        type_check.expect(b_type.dtype == x_type.dtype, b_type.ndim == 1,
                          b_type.shape[0] == w_type.shape[n_out_axis])


class Convolution2D(function_node.FunctionNode, _ConvParams):
    """``y = conv(x, W) + b`` on NumPy arrays; see :func:`seglearn.functions.convolution_2d`."""

    def __init__(self, stride=1, pad=0, cover_all=False, dilate=1):
        self._set_params(stride, pad, dilate)
        self.cover_all = bool(cover_all)

    def check_type_forward(self, in_types):
        n_in = in_types.size()
        type_check.expect(2 <= n_in, n_in <= 3)
        x_type, w_type = in_types[:2]
        type_check.expect(x_type.dtype.kind == 'f', w_type.dtype == x_type.dtype,
                          x_type.ndim == 4, w_type.ndim == 4,
                          x_type.shape[1] == w_type.shape[1])
        _check_bias(in_types, 0)

    def forward_cpu(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[:2]
        b = inputs[2] if len(inputs) == 3 else None
        c_out, _, kh, kw = W.shape
        out_h = conv.get_conv_outsize(x.shape[2], kh, self.sy, self.ph, self.cover_all, self.dy)
        out_w = conv.get_conv_outsize(x.shape[3], kw, self.sx, self.pw, self.cover_all, self.dx)
        if out_h <= 0 or out_w <= 0:
            raise ValueError('convolution output size must be positive, got {}x{} for input {} '
                             'and filters {}'.format(out_h, out_w, x.shape, W.shape))
        return _convolve(x, W, b, out_h=out_h, out_w=out_w, **self._geometry),

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(Deconvolution2D(outsize=x.shape[2:], **self._args).apply((gy, W))[0])
        if 1 in indexes:
            ret.append(Convolution2DGradW(W.shape[2:], self.cover_all,
                                          **self._args).apply((x, gy))[0])
        if 2 in indexes:
            ret.append(BiasGrad().apply((gy,))[0])
        return ret


class Deconvolution2D(function_node.FunctionNode, _ConvParams):
    """Transposed convolution on NumPy arrays; see :func:`seglearn.functions.deconvolution_2d`."""

    def __init__(self, stride=1, pad=0, outsize=None, dilate=1):
        self._set_params(stride, pad, dilate)
        self.outh, self.outw = (None, None) if outsize is None else tuple(outsize)

    def check_type_forward(self, in_types):
        n_in = in_types.size()
        type_check.expect(2 <= n_in, n_in <= 3)
        x_type, w_type = in_types[:2]
        type_check.expect(x_type.dtype.kind == 'f', w_type.dtype == x_type.dtype,
                          x_type.ndim == 4, w_type.ndim == 4,
                          x_type.shape[1] == w_type.shape[0])
        for out, axis, s, p, d in ((self.outh, 2, self.sy, self.ph, self.dy),
                                   (self.outw, 3, self.sx, self.pw, self.dx)):
            if out is not None:
                k = w_type.shape[axis]
                type_check.expect(conv.get_conv_outsize(out, k, s, p, d=d) <= x_type.shape[axis],
                                  x_type.shape[axis] <= conv.get_conv_outsize(
                                      out, k, s, p, cover_all=True, d=d))
        _check_bias(in_types, 1)

    def forward_cpu(self, inputs):
        self.retain_inputs((0, 1))
        x, W = inputs[:2]
        b = inputs[2] if len(inputs) == 3 else None
        n, _, h, w = x.shape
        _, c_out, kh, kw = W.shape
        out_h = self.outh or conv.get_deconv_outsize(h, kh, self.sy, self.ph, d=self.dy)
        out_w = self.outw or conv.get_deconv_outsize(w, kw, self.sx, self.pw, d=self.dx)
        if out_h <= 0 or out_w <= 0:
            raise ValueError('deconvolution output size must be positive, got {}x{} for input {} '
                             'and filters {}'.format(out_h, out_w, x.shape, W.shape))
        self.cover_all = (h != conv.get_conv_outsize(out_h, kh, self.sy, self.ph, d=self.dy) or
                          w != conv.get_conv_outsize(out_w, kw, self.sx, self.pw, d=self.dx))
        if onednn.applies(x, W, b):
            try:
                return onednn.deconvolution(x, W, b, out_hw=(out_h, out_w), **self._args),
            except onednn.Unsupported:
                pass
        dkh, dkw = (kh - 1) * self.dy + 1, (kw - 1) * self.dx + 1
        if (self.sy == self.sx == 1 and self.ph < dkh and self.pw < dkw
                and out_h * out_w * x.shape[1] <= 2 * h * w * c_out):
            # stride 1: a plain convolution with flipped filters and the complementary pad is
            # one im2col + GEMM, cheaper than GEMM + col2im's kh·kw scattered adds, unless its
            # patch buffer is much the larger one (a 7×7 'valid' conv's input gradient: 11×11
            # patches of 512 channels against 5×5 rows of 64)
            flipped = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
            return _convolve(x, flipped, b, 1, 1, dkh - 1 - self.ph, dkw - 1 - self.pw,
                             self.dy, self.dx, out_h, out_w),
        gcol = _patches.rows(x) @ _patches.filters_as_matrix(W).T
        y = _patches.col2im(gcol, n, out_h, out_w, c_out, kh, kw, out_h=h, out_w=w,
                            **self._geometry)
        if b is not None:
            y += b[:, None, None]
        return y,

    def backward(self, indexes, grad_outputs):
        x, W = self.get_retained_inputs()
        gy, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(Convolution2D(cover_all=self.cover_all, **self._args).apply((gy, W))[0])
        if 1 in indexes:
            ret.append(Convolution2DGradW(W.shape[2:], self.cover_all,
                                          **self._args).apply((gy, x))[0])
        if 2 in indexes:
            ret.append(BiasGrad().apply((gy,))[0])
        return ret


class BiasGrad(function_node.FunctionNode):
    """Bias gradient ``Σ_(b,h,w) gy``, one BLAS matrix-vector product (:func:`channel_sum`)
    instead of NumPy's slow reduction over the outer axes of channel-last memory."""

    def forward_cpu(self, inputs):
        gy, = inputs
        self.shape = gy.shape
        return _patches.channel_sum(gy),

    def backward(self, indexes, grad_outputs):
        gb, = grad_outputs
        return F.broadcast_to(F.reshape(gb, (1, -1, 1, 1)), self.shape),


class Convolution2DGradW(function_node.FunctionNode, _ConvParams):
    """Filter gradient of a convolution: ``gW = im2col(x)ᵀ @ gy`` from ``(x, gy)``.

    Args:
        ksize (tuple): (kh, kw).
        cover_all (bool): the convolution's ``cover_all``.
        stride, pad, dilate: the convolution's, as pairs or ints.
    """

    def __init__(self, ksize, cover_all, stride=1, pad=0, dilate=1):
        self._set_params(stride, pad, dilate)
        self.kh, self.kw = ksize
        self.cover_all = cover_all

    def forward_cpu(self, inputs):
        self.retain_inputs((0, 1))
        x, gy = inputs
        ph, pw = self.ph, self.pw
        if (self.sy, self.sx) == (1, 1):  # windows that see padding only add nothing
            eh, ew = _taps.blind_border((self.kh, self.kw), (ph, pw), (self.dy, self.dx))
            gy = gy[:, :, eh:gy.shape[2] - eh, ew:gy.shape[3] - ew]
            ph, pw = ph - eh, pw - ew
        if onednn.applies(x, gy):
            try:
                return onednn.filter_gradient(x, gy, (self.kh, self.kw), (self.sy, self.sx),
                                              (ph, pw), (self.dy, self.dx)),
            except onednn.Unsupported:
                pass
        out_h, out_w = gy.shape[2:]
        if x.shape[1] >= _taps.MIN_CHANNELS_FOR_FILTER_GRADIENT and _taps.worth_it(
                x.shape, gy.shape[1:2] + x.shape[1:2] + (self.kh, self.kw), (self.sy, self.sx),
                (self.dy, self.dx), (out_h, out_w)):
            return _taps.filter_gradient(x, gy, self.kh, self.kw, ph, pw, self.dy, self.dx),
        col = _patches.im2col(x, self.kh, self.kw, self.sy, self.sx, ph, pw, self.dy, self.dx,
                              out_h, out_w)
        gW = col.T @ _patches.rows(gy)
        shape = (gy.shape[1], x.shape[1], self.kh, self.kw)
        return _patches.matrix_as_filters(gW, shape),  # x, gy and W share one dtype

    def backward(self, indexes, grad_outputs):
        x, gy = self.get_retained_inputs()
        ggW, = grad_outputs
        ret = []
        if 0 in indexes:
            ret.append(Deconvolution2D(outsize=x.shape[2:], **self._args).apply((gy, ggW))[0])
        if 1 in indexes:
            ret.append(Convolution2D(cover_all=self.cover_all, **self._args).apply((x, ggW))[0])
        return ret
