"""Exercises of chapters 09–12: any correct answer passes, typical wrong answers fail.

Each exercise is graded on an alternative correct implementation written differently from the
reference (loops instead of library calls, another formula), and on wrong answers written the
way learners get them wrong.
"""
import chainer
import chainer.functions as F
import chainer.links as L
import numpy
import pytest

import seglearn
from seglearn.exercises import FAILED, NOT_ATTEMPTED, PASSED, get_exercise, grade
from seglearn.exercises import ch09, ch11


def _status(name, fn):
    return grade(get_exercise(name), fn).status


# --------------------------------------------------------------------------- ch09

def _is_valid(size, depth, ksize=3):
    eat = 2 * (ksize - 1)
    for _ in range(depth):
        size -= eat
        if size < 2 or size % 2:
            return False
        size //= 2
    size -= eat
    for _ in range(depth):
        if size < 1:
            return False
        size = 2 * size - eat
    return size >= 1


def _valid_size_search(size, depth=4, ksize=3):
    while not _is_valid(size, depth, ksize):
        size += 1
    return size


def _valid_size_closed_form(size, depth=4, ksize=3):
    # the bottom map b >= 1 must keep every map of the way up >= 1: 2^i·b − e(2^i − 1) >= 1
    # with e = 2(k − 1); the input then follows by walking down, and sizes repeat every 2^d
    eat = 2 * (ksize - 1)
    b = 1
    while any(2 ** i * b - eat * (2 ** i - 1) < 1 for i in range(1, depth + 1)):
        b += 1
    smallest = b + eat
    for _ in range(depth):
        smallest = 2 * smallest + eat
    period = 2 ** depth
    return smallest if size <= smallest else smallest + -(-(size - smallest) // period) * period


def _mirror_by_indices(img, margin):
    img = numpy.asarray(img)
    h, w = img.shape[1:]
    rows = [abs(i) if i < h else 2 * (h - 1) - i for i in range(-margin, h + margin)]
    cols = [abs(j) if j < w else 2 * (w - 1) - j for j in range(-margin, w + margin)]
    return img[:, rows][:, :, cols]


def _crop_with_take(skip, size):
    skip = numpy.asarray(skip)
    rows = numpy.arange(size[0]) + (skip.shape[1] - size[0]) // 2
    cols = numpy.arange(size[1]) + (skip.shape[2] - size[1]) // 2
    return numpy.take(numpy.take(skip, rows, axis=1), cols, axis=2)


@pytest.mark.parametrize('name, fn', [
    ('mirror_extend', _mirror_by_indices),
    ('crop_skip', _crop_with_take),
])
def test_ch09_alternative_answers_pass(name, fn):
    result = grade(get_exercise(name), fn)
    assert result.status == PASSED, result.details


def test_ch09_wrong_answers_fail():
    # sizes: one convolution per level, a float answer, the kernel size read wrong
    def one_conv_per_level(size, depth=4, ksize=3):
        def ok(s):
            for _ in range(depth):
                s -= ksize - 1
                if s < 2 or s % 2:
                    return False
                s //= 2
            return s - (ksize - 1) >= 1
        while not ok(size):
            size += 1
        return size
    assert _status('valid_size_at_least', one_conv_per_level) == FAILED
    assert _status('valid_size_at_least',
                   lambda s, d=4, k=3: float(_valid_size_search(s, d, k))) == FAILED
    assert _status('valid_size_at_least',
                   lambda s, d=4, k=3: _valid_size_search(s, d, max(1, k - 2))) == FAILED
    # mirror: 'wrap' (periodic) and mirroring on one side only
    assert _status('mirror_extend', lambda x, m: numpy.pad(
        numpy.asarray(x), ((0, 0), (m, m), (m, m)), mode='wrap')) == FAILED
    assert _status('mirror_extend', lambda x, m: numpy.pad(
        numpy.asarray(x), ((0, 0), (0, 2 * m), (0, 2 * m)), mode='reflect')) == FAILED
    # crops: bottom-right corner, a list instead of an array
    assert _status('crop_skip', lambda x, s: numpy.asarray(x)[:, -s[0]:, -s[1]:]) == FAILED
    assert _status('crop_skip', lambda x, s: numpy.asarray(x)[:, :s[0], :s[1]].tolist()) == FAILED


class _UpStepLinks(chainer.Chain):
    """Links, slicing for the crop."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        with self.init_scope():
            self.up = L.Deconvolution2D(in_channels, out_channels, ksize=2, stride=2)
            self.conv1 = L.Convolution2D(2 * out_channels, out_channels, ksize=3)
            self.conv2 = L.Convolution2D(out_channels, out_channels, ksize=3)

    def forward(self, h, skip):
        up = self.up(h)
        H, W = up.shape[2:]
        top, left = (skip.shape[2] - H) // 2, (skip.shape[3] - W) // 2
        h = F.concat((skip[:, :, top:top + H, left:left + W], up))
        return F.relu(self.conv2(F.relu(self.conv1(h))))


class _UpStepFunctions(_UpStepLinks):
    """The links' parameters through chainer.functions, and the package's centre crop."""

    def forward(self, h, skip):
        from seglearn.models.common import center_crop
        up = F.deconvolution_2d(h, self.up.W, self.up.b, stride=2)
        h = F.concat([center_crop(skip, up.shape[2:]), up], axis=1)
        h = F.relu(F.convolution_2d(h, self.conv1.W, self.conv1.b))
        return F.relu(F.convolution_2d(h, self.conv2.W, self.conv2.b))


class _UpStepSamePadding(_UpStepLinks):
    def __init__(self, in_channels, out_channels):
        super().__init__(in_channels, out_channels)
        self.conv1.pad = self.conv2.pad = (1, 1)


def _loss_reduce_no(logits, labels, weight_map):
    per_pixel = F.softmax_cross_entropy(logits, labels, ignore_label=-1, reduce='no')
    n = max(int((labels != -1).sum()), 1)
    return F.sum(per_pixel * weight_map) / n


def _loss_by_hand(logits, labels, weight_map):
    xp = chainer.backend.get_array_module(labels)
    b, c, h, w = logits.shape
    log_p = F.reshape(F.transpose(F.log_softmax(logits, axis=1), (0, 2, 3, 1)), (-1, c))
    flat = labels.reshape(-1)
    keep = (flat >= 0).astype(xp.float32)
    picked = F.select_item(log_p, xp.where(flat >= 0, flat, 0).astype(xp.int32))
    total = -F.sum(picked * keep * weight_map.reshape(-1))
    return total / xp.float32(max(float(keep.sum()), 1.0))


def test_ch09_networks_and_loss_wrong_answers_fail():
    assert _status('UpStep', _UpStepSamePadding) == FAILED
    assert _status('weighted_cross_entropy',
                   lambda x, t, w: float(_loss_reduce_no(x, t, w).array)) == FAILED
    assert _status('weighted_cross_entropy',
                   lambda x, t, w: F.sum(F.softmax_cross_entropy(
                       x, t, ignore_label=-1, reduce='no') * w) / t.size) == FAILED
    assert _status('weighted_cross_entropy',                            # no gradient
                   lambda x, t, w: chainer.Variable(_loss_reduce_no(x, t, w).array)) == FAILED


# --------------------------------------------------------------------------- ch10

def _channels_simulated(blocks, k, first=48, compression=1.0):
    p = len(blocks) // 2
    feats = [first]  # channel counts of the maps currently concatenated
    out, skips = [], []
    for n in blocks[:p]:
        feats += [k] * n
        skips.append(sum(feats))
        out.append(sum(feats))
        feats = [int(compression * sum(feats))]          # TD: floor for positive numbers
    new = [k] * blocks[p]
    out.append(sum(feats) + sum(new))
    for n, skip in zip(blocks[p + 1:], reversed(skips)):
        stack = [sum(new), skip]
        new = [k] * n
        out.append(sum(stack) + sum(new))
    return out


def _channels_by_position(blocks, k, first=48, compression=1.0):
    """Down-path inputs first (a list), then each block's output from its position."""
    from fractions import Fraction
    p = len(blocks) // 2
    inputs = [first]
    for n in blocks[:p]:
        inputs.append((Fraction(compression) * (inputs[-1] + n * k)).__floor__())
    out = [inputs[i] + blocks[i] * k for i in range(p + 1)]
    for i in range(p + 1, len(blocks)):
        out.append(blocks[i - 1] * k + out[2 * p - i] + blocks[i] * k)
    return tuple(out)                                      # a tuple is as good as a list


def _block_params_closed_form(c, n, k):
    # Σ_i (2 c_i + 9 c_i k + k), c_i = c + i k  →  (2 + 9k)(n c + k n(n−1)/2) + n k
    return (2 + 9 * k) * (n * c + k * n * (n - 1) // 2) + n * k


@pytest.mark.parametrize('name, fn', [
    ('dense_block_params', _block_params_closed_form),
])
def test_ch10_alternative_answers_pass(name, fn):
    result = grade(get_exercise(name), fn)
    assert result.status == PASSED, result.details


def test_ch10_wrong_answers_fail():
    assert _status('fcdensenet_channels',
                   lambda b, k, f=48, c=1.0: [f + n * k for n in b]) == FAILED
    assert _status('fcdensenet_channels',
                   lambda b, k, f=48, c=1.0: list(numpy.cumsum([f + b[0] * k]
                                                               + [n * k for n in b[1:]]))
                   ) == FAILED
    assert _status('fcdensenet_channels',                               # compression ignored
                   lambda b, k, f=48, c=1.0: _channels_simulated(b, k, f)) == FAILED
    assert _status('fcdensenet_channels',
                   lambda b, k, f=48, c=1.0: [float(v) for v in _channels_simulated(b, k, f, c)]
                   ) == FAILED
    assert _status('dense_block_params', lambda c, n, k: 9 * c * k * n) == FAILED
    assert _status('dense_block_params',
                   lambda c, n, k: sum(2 * (c + i * k) + 9 * (c + i * k) * k + k
                                       for i in range(1, n + 1))) == FAILED


# --------------------------------------------------------------------------- ch11

def _fcd_params_recursive(blocks, k, n_class, in_channels=3, first=48):
    def conv(cin, cout, ksize):
        return cin * cout * ksize * ksize + cout

    def dense(c, n):
        return sum(2 * (c + i * k) + conv(c + i * k, k, 3) for i in range(n))

    p = len(blocks) // 2
    total = conv(in_channels, first, 3)
    channels = [first]
    for n in blocks[:p]:
        total += dense(channels[-1], n)
        channels.append(channels[-1] + n * k)
        total += 2 * channels[-1] + conv(channels[-1], channels[-1], 1)
    total += dense(channels[-1], blocks[p])
    m = blocks[p] * k
    last = channels[-1] + m
    for n, skip in zip(blocks[p + 1:], channels[:0:-1]):
        total += conv(m, m, 3)
        total += dense(m + skip, n)
        last = m + skip + n * k
        m = n * k
    return total + conv(last, n_class, 1)


def _td_shape_arithmetic(shape, transition='maxpool'):
    from seglearn.arithmetic import conv_output_size
    b, c, h, w = shape
    if transition == 'maxpool':
        return (b, c, conv_output_size(h, 2, 2, cover_all=True),
                conv_output_size(w, 2, 2, cover_all=True))
    return b, c, conv_output_size(h, 1, 2), conv_output_size(w, 1, 2)


@pytest.mark.parametrize('name, fn', [
    ('fcdensenet_params', _fcd_params_recursive),
    ('transition_down_shape', _td_shape_arithmetic),
])
def test_ch11_alternative_answers_pass(name, fn):
    result = grade(get_exercise(name), fn)
    assert result.status == PASSED, result.details


def test_ch11_wrong_answers_fail():
    def no_first_conv_bias(blocks, k, n_class, in_channels=3, first=48):
        return _fcd_params_recursive(blocks, k, n_class, in_channels, first) - first
    assert _status('fcdensenet_params', no_first_conv_bias) == FAILED

    def final_for_one_class(blocks, k, n_class, in_channels=3, first=48):
        return _fcd_params_recursive(blocks, k, 1, in_channels, first)
    assert _status('fcdensenet_params', final_for_one_class) == FAILED
    assert _status('transition_down_shape', lambda s, t='maxpool': tuple(s)) == FAILED
    assert _status('transition_down_shape',
                   lambda s, t='maxpool': (s[0], s[1], s[2] / 2, s[3] / 2)) == FAILED


class _Layer(chainer.Chain):
    def __init__(self, channels, growth_rate):
        super().__init__()
        with self.init_scope():
            self.bn = L.BatchNormalization(channels)
            self.conv = L.Convolution2D(channels, growth_rate, ksize=3, pad=1)

    def forward(self, h):
        return self.conv(F.relu(self.bn(h)))


class _UpDenseBlockList(chainer.ChainList):
    def __init__(self, in_channels, n_layers, growth_rate):
        super().__init__(*[_Layer(in_channels + i * growth_rate, growth_rate)
                           for i in range(n_layers)])

    def forward(self, x):
        new = []
        for layer in self:
            new.append(layer(F.concat([x] + new, axis=1)))
        return F.concat(new, axis=1)


class _UpDenseBlockSlice(chainer.ChainList):
    """add_link per layer; the whole stack is kept and the input's channels sliced off."""

    def __init__(self, in_channels, n_layers, growth_rate):
        super().__init__()
        self.in_channels = in_channels
        for i in range(n_layers):
            self.add_link(_Layer(in_channels + i * growth_rate, growth_rate))

    def forward(self, x):
        h = x
        for layer in self:
            h = F.concat((h, layer(h)))
        return h[:, self.in_channels:]


class _UpDenseBlockDropout(_UpDenseBlockList):
    def forward(self, x):
        new = []
        for layer in self:
            new.append(F.dropout(layer(F.concat([x] + new, axis=1)), 0.2))
        return F.concat(new, axis=1)


class _UpDenseBlockNoBias(_UpDenseBlockList):
    def __init__(self, in_channels, n_layers, growth_rate):
        super().__init__(in_channels, n_layers, growth_rate)
        for layer in self:
            del layer.conv
            with layer.init_scope():
                layer.conv = L.Convolution2D(None, growth_rate, 3, pad=1, nobias=True)


def test_ch11_dense_block_wrong_answers_fail():
    assert _status('UpDenseBlock', _UpDenseBlockDropout) == FAILED
    assert _status('UpDenseBlock', _UpDenseBlockNoBias) == FAILED   # lazily built, no bias


# --------------------------------------------------------------------------- ch12

def _sliding_vectorised(score_fn, img, window, stride):
    img = numpy.asarray(img)
    h, w = img.shape[1:]

    def starts(size):
        s = set(range(0, size - window + 1, stride))
        s.add(size - window)
        return sorted(s)

    pieces = [(y, x, numpy.asarray(score_fn(img[:, y:y + window, x:x + window])))
              for y in starts(h) for x in starts(w)]
    n = pieces[0][2].shape[0]
    total = numpy.zeros((n, h, w))
    count = numpy.zeros((h, w))
    for y, x, s in pieces:
        total[:, y:y + window, x:x + window] += s
        count[y:y + window, x:x + window] += 1
    return (total / count).astype(numpy.float32)


def _ips_sorted(step_seconds, batch_size, warmup=1):
    steps = sorted(step_seconds[warmup:])
    n = len(steps)
    median = steps[n // 2] if n % 2 else (steps[n // 2 - 1] + steps[n // 2]) / 2
    return batch_size / median


@pytest.mark.parametrize('name, fn', [
    ('sliding_window_average', _sliding_vectorised),
    ('images_per_second', _ips_sorted),
])
def test_ch12_alternative_answers_pass(name, fn):
    result = grade(get_exercise(name), fn)
    assert result.status == PASSED, result.details


def test_ch12_wrong_answers_fail():
    def first_write_wins(score_fn, img, window, stride):
        img = numpy.asarray(img)
        h, w = img.shape[1:]
        out, seen = None, numpy.zeros((h, w), bool)
        starts = lambda size: sorted(set(range(0, size - window + 1, stride)) | {size - window})
        for y in starts(h):
            for x in starts(w):
                s = numpy.asarray(score_fn(img[:, y:y + window, x:x + window]))
                if out is None:
                    out = numpy.zeros((s.shape[0], h, w), numpy.float32)
                free = ~seen[y:y + window, x:x + window]
                out[:, y:y + window, x:x + window][:, free] = s[:, free]
                seen[y:y + window, x:x + window] = True
        return out
    assert _status('sliding_window_average', first_write_wins) == FAILED

    def float64_answer(score_fn, img, window, stride):
        return _sliding_vectorised(score_fn, img, window, stride).astype(numpy.float64)
    # the stub says float32, and float arrays are float32 in every exercise (chapter 00)
    assert _status('sliding_window_average', float64_answer) == FAILED
    assert _status('images_per_second', lambda t, b, w=1: b / min(t[w:])) == FAILED
    assert _status('images_per_second', lambda t, b, w=1: 1 / (b * numpy.median(t[w:]))) == FAILED


def test_sliding_reference_agrees_with_inference_module():
    """The exercise's reference averages like seglearn.inference.sliding_window_predict."""
    import chainer

    from seglearn.exercises import ch12
    from seglearn.inference import sliding_window_predict

    class LogProbModel(chainer.Chain):
        n_class, in_channels = 3, 2

        def forward(self, x):
            scores = ch12.ScoreFn()(x[0])
            probs = numpy.exp(scores - scores.max(0)) / numpy.exp(scores - scores.max(0)).sum(0)
            return numpy.log(probs)[None]

    img = ch12._image(13, 11)
    _, probs = sliding_window_predict(LogProbModel(), img, 5, 3, return_probs=True)

    def prob_fn(window):
        s = ch12.ScoreFn()(window)
        e = numpy.exp(s - s.max(0))
        return e / e.sum(0)
    numpy.testing.assert_allclose(probs, ch12._sliding_reference(prob_fn, img, 5, 3), atol=1e-5)


@pytest.mark.parametrize('name', ['valid_size_at_least', 'mirror_extend', 'crop_skip', 'UpStep',
                                  'weighted_cross_entropy', 'fcdensenet_channels',
                                  'dense_block_params', 'fcdensenet_params',
                                  'transition_down_shape', 'UpDenseBlock',
                                  'sliding_window_average', 'images_per_second'])
def test_stubs_are_not_attempted(name):
    ex = get_exercise(name)
    assert grade(ex, ex.stub_function()).status == NOT_ATTEMPTED


# The exercises of issue 12 (new or reworked): two right answers written differently each, on
# two seeds of the random cases, and at least three typical mistakes in their specs.
RIGHT = {
    'valid_size_at_least': [_valid_size_search, _valid_size_closed_form],
    'UpStep': [_UpStepLinks, _UpStepFunctions],
    'weighted_cross_entropy': [_loss_reduce_no, _loss_by_hand],
    'fcdensenet_channels': [_channels_simulated, _channels_by_position],
    'UpDenseBlock': [_UpDenseBlockList, _UpDenseBlockSlice],
}


@pytest.mark.parametrize('name, fn', [(n, f) for n, fs in RIGHT.items() for f in fs],
                         ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_new_exercises_accept_right_answers_written_differently(name, fn):
    for seed in (0, 1):
        result = grade(get_exercise(name), fn, seed=seed)
        assert result.status == PASSED, result.details


def test_new_exercises_have_two_right_answers_and_three_mistakes():
    for name, answers in RIGHT.items():
        assert len(answers) >= 2 and len(get_exercise(name).mistakes) >= 3, name


class _UpStepByTheUNet(_UpStepLinks):
    def forward(self, h, skip):
        from seglearn.models import unet
        block = unet._ConvBlock.__new__(unet._ConvBlock)
        block.__dict__.update(conv1=self.conv1, conv2=self.conv2, batch_norm=False)
        up = self.up(h)
        top, left = (skip.shape[2] - up.shape[2]) // 2, (skip.shape[3] - up.shape[3]) // 2
        return unet._ConvBlock.forward(block, F.concat(
            (skip[:, :, top:top + up.shape[2], left:left + up.shape[3]], up)))


class _UpDenseBlockByThePackage(seglearn.models.DenseBlock):
    def __init__(self, in_channels, n_layers, growth_rate):
        super().__init__(in_channels, n_layers, growth_rate, 0.0)

    def forward(self, x):
        return super().forward(x)[1]


def _sliding_by_the_package(score_fn, img, window, stride):
    from seglearn import inference
    h, w = img.shape[1:]
    total, count = None, numpy.zeros((h, w), numpy.float32)
    for y in inference.window_origins(h, window, stride):
        for x in inference.window_origins(w, window, stride):
            s = numpy.asarray(score_fn(img[:, y:y + window, x:x + window]), numpy.float32)
            total = numpy.zeros((s.shape[0], h, w), numpy.float32) if total is None else total
            total[:, y:y + window, x:x + window] += s
            count[y:y + window, x:x + window] += 1
    return total / count


def _valid_size_by_the_package(size, depth=4, ksize=3):
    if ksize == 3:
        return seglearn.models.nearest_valid_input_size(size, depth, 'up')
    return _valid_size_search(size, depth, ksize)


# Answers that call the package's finished answer: right values, one failed check.
PACKAGE_ANSWERS = {
    'valid_size_at_least': _valid_size_by_the_package,
    'mirror_extend': lambda img, m: seglearn.transforms.mirror_pad(img, m),
    'crop_skip': lambda skip, size: seglearn.models.common.center_crop(skip[None], size)[0],
    'UpStep': _UpStepByTheUNet,
    'weighted_cross_entropy': lambda x, t, w: seglearn.losses.pixel_cross_entropy(
        x, t, weight_map=w),
    'dense_block_params': lambda c, n, k: seglearn.models.count_params(
        seglearn.models.DenseBlock(c, n, k, 0.0)),
    'fcdensenet_params': lambda b, k, n, c=3, f=48: seglearn.models.count_params(
        seglearn.models.FCDenseNet(n, c, n_layers_per_block=tuple(b), growth_rate=k,
                                   first_channels=f)),
    'transition_down_shape': lambda shape, t='maxpool': tuple(
        seglearn.models.TransitionDown(shape[1], 0.0, t)(
            numpy.zeros(shape, numpy.float32)).shape),
    'UpDenseBlock': _UpDenseBlockByThePackage,
    'sliding_window_average': _sliding_by_the_package,
}


@pytest.mark.parametrize('name', sorted(PACKAGE_ANSWERS))
def test_calling_the_package_is_not_an_answer(name):
    result = grade(get_exercise(name), PACKAGE_ANSWERS[name])
    assert result.status == FAILED
    assert [c.label for c in result.cases if not c.ok] == [
        "written without the package's finished answer"], result.details


def test_every_forbidding_exercise_is_tried_with_the_package():
    from seglearn.exercises import all_exercises
    assert {ex.name for ex in all_exercises() if ex.chapter >= 'ch09' and ex.forbidden} == set(
        PACKAGE_ANSWERS)


class _UpStepFromTheReference(ch09._UpStep):
    pass


class _UpDenseBlockFromTheReference(ch11._NewMaps):
    pass


def _valid_size_by_the_checker(size, depth=4, ksize=3):
    while not ch09._is_valid(size, depth, ksize):     # the reference's own helper
        size += 1
    return size


# Answers that are the checker's reference, derive from it or run its code: one failed check.
REFERENCE_ANSWERS = [
    ('UpStep', _UpStepFromTheReference),
    ('UpStep', get_exercise('UpStep').reference),
    ('UpDenseBlock', _UpDenseBlockFromTheReference),
    ('UpDenseBlock', get_exercise('UpDenseBlock').reference),
    ('weighted_cross_entropy', lambda x, t, w: get_exercise('weighted_cross_entropy').reference(
        x, t, w)),
    ('weighted_cross_entropy', get_exercise('weighted_cross_entropy').reference),
    ('valid_size_at_least', _valid_size_by_the_checker),
]


@pytest.mark.parametrize('name, answer', REFERENCE_ANSWERS,
                         ids=['{}-{}'.format(n, i) for i, (n, _) in enumerate(REFERENCE_ANSWERS)])
def test_the_checker_s_reference_is_not_an_answer(name, answer):
    result = grade(get_exercise(name), answer)
    assert result.status == FAILED
    assert [c.label for c in result.cases if not c.ok] == [
        "written without the checker's reference"], result.details
    assert "get_exercise('{}').reference".format(name) in ' '.join(result.details.split())
