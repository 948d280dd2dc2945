"""Chapter 12 (Comparison and inference): sliding-window prediction, images per second."""
import numpy

from seglearn import inference
from seglearn.exercises.core import Case, Exercise, Property, allclose, register
from seglearn.messages import gettext


# --------------------------------------------------------------------------- sliding window

def _sliding_reference(score_fn, img, window, stride):
    img = numpy.asarray(img)
    h, w = img.shape[1:]
    total = None
    for y in inference.window_origins(h, window, stride):
        for x in inference.window_origins(w, window, stride):
            scores = numpy.asarray(score_fn(img[:, y:y + window, x:x + window]), numpy.float64)
            if total is None:
                total = numpy.zeros((scores.shape[0], h, w))
            total[:, y:y + window, x:x + window] += scores
    return (total / inference.coverage((h, w), window, stride)).astype(numpy.float32)


class ScoreFn:
    """A stand-in for a model: scores that depend on the pixel *and* on where it sits in the
    window, so that overlapping windows disagree (as a real network does near window borders).

    Calling it with a (C, h, w) window returns (3, h, w) float32 scores.
    """

    def __repr__(self):
        return 'score_fn'

    def __call__(self, window):
        window = numpy.asarray(window, numpy.float32)
        h, w = window.shape[1:]
        grey = window.mean(axis=0)
        yy, xx = numpy.mgrid[:h, :w].astype(numpy.float32)
        return numpy.stack([grey, 0.5 * grey + yy, xx - 0.25 * grey]).astype(numpy.float32)


def _image(h, w, seed=0):
    return numpy.random.RandomState(seed).randint(0, 256, size=(2, h, w)).astype(numpy.float32)


def _random_windows(rng):
    cases = []
    for i in range(10):
        window = int(rng.randint(2, 12))
        stride = int(rng.randint(1, window + 1))
        h, w = (int(v) for v in rng.randint(window, 30, size=2))
        cases.append(Case(ScoreFn(), _image(h, w, i), window, stride,
                          _label='sliding_window_average(score_fn, img {}x{}, window={}, '
                                 'stride={})'.format(h, w, window, stride)))
    return cases


SLIDING_STUB = '''
def sliding_window_average(score_fn, img, window, stride):
    """Scores of a large image, window by window, averaged where windows overlap.

    Windows are window x window; along each axis they start at 0, stride, 2*stride, ... as long
    as they fit, plus one more flush with the bottom/right edge (start = size - window) if the
    last one does not reach it.

    Args:
        score_fn: score_fn(crop) with crop (C, window, window) returns (n, window, window) scores.
        img: float32 array (C, H, W) with H, W >= window.
        window, stride: ints, 1 <= stride <= window.

    Returns:
        float32 array (n, H, W): at every pixel the mean of the scores of all windows covering it.
    """
    raise NotImplementedError  # your code here
'''


def _last_write_wins(score_fn, img, window, stride):
    img = numpy.asarray(img)
    h, w = img.shape[1:]
    out = None
    for y in inference.window_origins(h, window, stride):
        for x in inference.window_origins(w, window, stride):
            s = numpy.asarray(score_fn(img[:, y:y + window, x:x + window]))
            if out is None:
                out = numpy.zeros((s.shape[0], h, w), numpy.float32)
            out[:, y:y + window, x:x + window] = s
    return out


def _sum_only(score_fn, img, window, stride):
    img = numpy.asarray(img)
    h, w = img.shape[1:]
    out = None
    for y in inference.window_origins(h, window, stride):
        for x in inference.window_origins(w, window, stride):
            s = numpy.asarray(score_fn(img[:, y:y + window, x:x + window]))
            if out is None:
                out = numpy.zeros((s.shape[0], h, w), numpy.float32)
            out[:, y:y + window, x:x + window] += s
    return out


def _no_flush_window(score_fn, img, window, stride):
    img = numpy.asarray(img)
    h, w = img.shape[1:]
    out, count = None, numpy.zeros((h, w), numpy.float32)
    for y in range(0, h - window + 1, stride):
        for x in range(0, w - window + 1, stride):
            s = numpy.asarray(score_fn(img[:, y:y + window, x:x + window]))
            if out is None:
                out = numpy.zeros((s.shape[0], h, w), numpy.float32)
            out[:, y:y + window, x:x + window] += s
            count[y:y + window, x:x + window] += 1
    return out / numpy.maximum(count, 1)


class PixelwiseScores:
    """A score function that ignores where a pixel sits in the window: one score, the sum of
    the pixel's channels."""

    def __repr__(self):
        return 'pixelwise_scores'

    def __call__(self, window):
        return numpy.stack([numpy.asarray(window, numpy.float32).sum(axis=0)])


def _matches_constant(fn):
    """A score function that ignores the position gives back exactly its per-pixel scores."""
    img = _image(23, 17, 7)
    got = numpy.asarray(fn(PixelwiseScores(), img.copy(), 8, 3))
    want = img.sum(axis=0)[None]
    if got.shape != want.shape:
        return gettext('expected shape {}, got {}').format(want.shape, got.shape)
    if not numpy.allclose(got, want, rtol=1e-5, atol=1e-3):
        bad = numpy.argwhere(~numpy.isclose(got, want, rtol=1e-5, atol=1e-3))[0]
        return (gettext('with scores that do not depend on the window position the average must '
                        'equal the scores of the whole image; first difference at '
                        '{}').format(tuple(bad)))
    return None


register(Exercise(
    name='sliding_window_average',
    chapter='ch12',
    title='sliding-window scores averaged over overlapping windows',
    reference=_sliding_reference,
    stub=SLIDING_STUB,
    forbidden=[inference.sliding_window_predict, inference.window_origins, inference.coverage],
    cases=[
        Case(ScoreFn(), _image(8, 8), 8, 8, _label='sliding_window_average(score_fn, img 8x8, '
                                                   'window=8, stride=8)  (one window)'),
        Case(ScoreFn(), _image(8, 12), 4, 4, _label='sliding_window_average(score_fn, img 8x12, '
                                                    'window=4, stride=4)  (tiles, no overlap)'),
        Case(ScoreFn(), _image(10, 10), 6, 2, _label='sliding_window_average(score_fn, img 10x10, '
                                                     'window=6, stride=2)  (overlap)'),
        Case(ScoreFn(), _image(11, 13), 5, 4,
             _label='sliding_window_average(score_fn, img 11x13, window=5, stride=4)',
             _hint='11 = 0..4, 4..8, then one window flush with the edge: 6..10.'),
    ],
    random_cases=_random_windows,
    compare=allclose(rtol=1e-4, atol=1e-3),
    properties=[Property('position-independent scores come back unchanged', _matches_constant)],
    hint='Keep two arrays: the sum of the scores and the number of windows covering each pixel; '
         'divide at the end. Do not forget the window flush with the bottom/right edge.',
    mistakes=[
        (_last_write_wins, 'Writing each window over the previous one keeps only the last '
                           'window: add the scores up and divide by the count.'),
        (_sum_only, 'Divide the summed scores by how many windows cover each pixel.'),
        (_no_flush_window, 'When (size − window) is not a multiple of the stride, the last '
                           'rows/columns need one more window flush with the edge.'),
    ],
))


# --------------------------------------------------------------------------- images per second

def _ips_reference(step_seconds, batch_size, warmup=1):
    steps = numpy.asarray(step_seconds, numpy.float64)[warmup:]
    return float(batch_size / numpy.median(steps))


IPS_STUB = '''
def images_per_second(step_seconds, batch_size, warmup=1):
    """Throughput from the measured duration of training (or inference) steps.

    Args:
        step_seconds: list of floats, the seconds each step took, in order.
        batch_size: int, images per step.
        warmup: int, number of first steps to leave out (memory allocation, caches, cuDNN
            autotuning make them slow).

    Returns:
        float: batch_size divided by the MEDIAN duration of the remaining steps.
    """
    raise NotImplementedError  # your code here
'''


def _ips_mean_all(step_seconds, batch_size, warmup=1):
    return batch_size * len(step_seconds) / float(sum(step_seconds))


def _ips_no_batch(step_seconds, batch_size, warmup=1):
    return float(1 / numpy.median(step_seconds[warmup:]))


def _ips_keep_warmup(step_seconds, batch_size, warmup=1):
    return float(batch_size / numpy.median(step_seconds))


def _ips_mean(step_seconds, batch_size, warmup=1):
    return float(batch_size / numpy.mean(step_seconds[warmup:]))


def _random_timings(rng):
    cases = []
    for _ in range(15):
        n = int(rng.randint(3, 12))
        steps = [float(v) for v in rng.uniform(0.05, 0.5, size=n)]
        steps[0] *= 10
        cases.append((steps, int(rng.randint(1, 17)), int(rng.randint(1, 3))))
    return cases


def _robust(fn):
    steps = [2.0, 0.1, 0.1, 0.1, 0.1, 5.0, 0.1]
    got = fn(list(steps), 4, 1)
    if abs(got - 40.0) > 1e-6:
        return (gettext('one slow step (5 s, another process took the CPU) must not change the '
                        'result: steps {} at batch 4 give 40 images/s, got {}').format(steps, got))
    return None


register(Exercise(
    name='images_per_second',
    chapter='ch12',
    title='images per second from step timings (median after warm-up)',
    reference=_ips_reference,
    stub=IPS_STUB,
    cases=[
        ([3.0, 0.5, 0.5, 0.5], 8),
        ([1.0, 0.2, 0.3, 0.25, 0.2], 4),
        Case([0.9, 0.4, 0.1, 0.1, 0.1, 0.1], 2, 2, _hint='warmup=2 leaves out two steps.'),
        ([0.1, 0.1, 0.2, 0.2], 1, 0),
    ],
    random_cases=_random_timings,
    properties=[Property('a single slow step does not move the median', _robust)],
    hint='Drop the first `warmup` steps, take the median duration, and divide the batch size by '
         'it.',
    mistakes=[
        (_ips_mean_all, 'The first step is not representative: leave out the warm-up steps.'),
        (_ips_no_batch, 'Each step processes batch_size images.'),
        (_ips_keep_warmup, 'Leave out the first `warmup` steps before taking the median.'),
        (_ips_mean, 'Use the median: one step slowed down by something else would move the mean.'),
    ],
))
