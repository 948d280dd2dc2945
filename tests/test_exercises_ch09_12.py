"""Exercises of chapters 09–12: any correct answer passes, typical wrong answers fail.

Each exercise is graded on an alternative correct implementation written differently from the
reference (loops instead of library calls, another formula), and on wrong answers written the
way learners get them wrong.
"""
import numpy
import pytest

import seglearn  # noqa: F401
from seglearn.exercises import FAILED, NOT_ATTEMPTED, PASSED, get_exercise, grade


def _status(name, fn):
    return grade(get_exercise(name), fn).status


# --------------------------------------------------------------------------- ch09

def _is_valid(size, depth):
    for _ in range(depth):
        size -= 4
        if size < 2 or size % 2:
            return False
        size //= 2
    size -= 4
    for _ in range(depth):
        if size < 1:
            return False
        size = 2 * size - 4
    return size >= 1


def _valid_size_search(size, depth=4):
    while not _is_valid(size, depth):
        size += 1
    return size


def _valid_size_closed_form(size, depth=4):
    # the bottom map b >= 1 gives input 2^d·(b + 4) + 4·(2^d − 1)... solved for the first b
    # with output 2^d·b − 4(2^d − 1) >= 1 and every map positive on the way up
    b = 1
    while any(2 ** i * b - 4 * (2 ** i - 1) < 1 for i in range(1, depth + 1)):
        b += 1
    smallest = b + 4
    for _ in range(depth):
        smallest = 2 * smallest + 4
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
    ('valid_size_at_least', _valid_size_search),
    ('valid_size_at_least', _valid_size_closed_form),
    ('mirror_extend', _mirror_by_indices),
    ('crop_skip', _crop_with_take),
])
def test_ch09_alternative_answers_pass(name, fn):
    result = grade(get_exercise(name), fn)
    assert result.status == PASSED, result.details


def test_ch09_wrong_answers_fail():
    # sizes: off by one in the walk (one pixel per conv), and a float answer
    def one_pixel_per_conv(size, depth=4):
        def ok(s):
            for _ in range(depth):
                s -= 2
                if s < 2 or s % 2:
                    return False
                s //= 2
            return s - 2 >= 1
        while not ok(size):
            size += 1
        return size
    assert _status('valid_size_at_least', one_pixel_per_conv) == FAILED
    assert _status('valid_size_at_least', lambda s, d=4: float(_valid_size_search(s, d))) == FAILED
    # mirror: 'wrap' (periodic) and mirroring on one side only
    assert _status('mirror_extend', lambda x, m: numpy.pad(
        numpy.asarray(x), ((0, 0), (m, m), (m, m)), mode='wrap')) == FAILED
    assert _status('mirror_extend', lambda x, m: numpy.pad(
        numpy.asarray(x), ((0, 0), (0, 2 * m), (0, 2 * m)), mode='reflect')) == FAILED
    # crops: bottom-right corner, a list instead of an array
    assert _status('crop_skip', lambda x, s: numpy.asarray(x)[:, -s[0]:, -s[1]:]) == FAILED
    assert _status('crop_skip', lambda x, s: numpy.asarray(x)[:, :s[0], :s[1]].tolist()) == FAILED


# --------------------------------------------------------------------------- ch10

def _block_out_loop(c, n, k):
    for _ in range(n):
        c = c + k
    return c


def _channels_simulated(blocks, k, first=48):
    p = len(blocks) // 2
    feats = [first]  # channel counts of the maps currently concatenated
    out, skips = [], []
    for n in blocks[:p]:
        feats += [k] * n
        skips.append(sum(feats))
        out.append(sum(feats))
    new = [k] * blocks[p]
    out.append(sum(feats) + sum(new))
    for n, skip in zip(blocks[p + 1:], reversed(skips)):
        stack = [sum(new), skip]
        new = [k] * n
        out.append(sum(stack) + sum(new))
    return out


def _block_params_closed_form(c, n, k):
    # Σ_i (2 c_i + 9 c_i k + k), c_i = c + i k  →  (2 + 9k)(n c + k n(n−1)/2) + n k
    return (2 + 9 * k) * (n * c + k * n * (n - 1) // 2) + n * k


@pytest.mark.parametrize('name, fn', [
    ('dense_block_out', _block_out_loop),
    ('fcdensenet_channels', _channels_simulated),
    ('dense_block_params', _block_params_closed_form),
])
def test_ch10_alternative_answers_pass(name, fn):
    result = grade(get_exercise(name), fn)
    assert result.status == PASSED, result.details


def test_ch10_wrong_answers_fail():
    assert _status('dense_block_out', lambda c, n, k: c + n * k + 1) == FAILED
    assert _status('dense_block_out', lambda c, n, k: float(c + n * k)) == FAILED  # not an int
    assert _status('fcdensenet_channels', lambda b, k, f=48: [f + n * k for n in b]) == FAILED
    assert _status('fcdensenet_channels',
                   lambda b, k, f=48: list(numpy.cumsum([f + b[0] * k] + [n * k for n in b[1:]]))
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
    # any float dtype is accepted; a wrong coverage is not
    assert _status('sliding_window_average', float64_answer) == PASSED
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


@pytest.mark.parametrize('name', ['valid_size_at_least', 'mirror_extend', 'crop_skip',
                                  'dense_block_out', 'fcdensenet_channels', 'dense_block_params',
                                  'fcdensenet_params', 'transition_down_shape',
                                  'sliding_window_average', 'images_per_second'])
def test_stubs_are_not_attempted(name):
    ex = get_exercise(name)
    assert grade(ex, ex.stub_function()).status == NOT_ATTEMPTED
