"""Exercise checkers of chapters 05–08: references pass, independent correct answers pass, stubs are
"not attempted", typical wrong answers fail."""
import numpy
import pytest
from scipy import ndimage

import seglearn  # noqa: F401
from seglearn.arithmetic import Crop, Deconv
from seglearn.exercises import FAILED, NOT_ATTEMPTED, PASSED, all_exercises, get_exercise, grade
from seglearn.models import fcn

CHAPTERS = ('ch05', 'ch06', 'ch07', 'ch08')


# --------------------------------------------------------------------------- alternative answers
# Written differently from the references on purpose (other order, loops, floats, brute force).

def alt_compose_coord_map(layers):
    a, b = 1.0, 0.0                      # map from the current output back to the input
    for layer in reversed(layers):       # walk from the output side: prepend each layer's map
        if isinstance(layer, Crop):
            la, lb = 1.0, float(layer.offset)
        elif isinstance(layer, Deconv):
            la = 1.0 / layer.stride
            lb = -((layer.ksize - 1) / 2.0 - layer.pad) / layer.stride
        else:
            la, lb = float(layer.stride), (layer.ksize - 1) / 2.0 - layer.pad
        a, b = la * a, la * b + lb
    return a, b


def alt_stack_receptive_field(layers):
    field = 1
    for layer in reversed(layers):       # r_in = (r_out - 1)·s + k, from the output back
        field = (field - 1) * layer.stride + layer.ksize
    return field


def alt_fc_to_conv(W, in_channels, ksize):
    out = numpy.empty((W.shape[0], in_channels, ksize, ksize), dtype=W.dtype)
    for c in range(in_channels):
        for u in range(ksize):
            for v in range(ksize):
                out[:, c, u, v] = W[:, c * ksize * ksize + u * ksize + v]
    return out


def alt_fcn32s_upscore_size(size):
    import math
    n = size + 2 * 100 - 2           # conv1_1
    for _ in range(5):
        n = math.ceil(n / 2)         # ceil-mode pools
    n = n - 7 + 1                    # fc6
    return 32 * (n - 1) + 64


def alt_pad_to_multiple(img, multiple):
    c, h, w = img.shape
    H = ((h + multiple - 1) // multiple) * multiple
    W = ((w + multiple - 1) // multiple) * multiple
    out = numpy.zeros((c, H, W), dtype=numpy.float32)
    out[:, :h, :w] = img
    return out


def alt_skip_crop_offset(skip_map, up_map):
    a = skip_map[0]
    c = 0
    while skip_map[0] * c + skip_map[1] < up_map[1]:   # shift until both sit over the same place
        c += 1
    assert a * c + skip_map[1] == up_map[1]
    return c


def alt_fcn_upsampling_stages(strides):
    out = []
    strides = list(strides) + [1]
    for i in range(len(strides) - 1):
        f = strides[i] // strides[i + 1]
        out.append([2 * f, f])        # lists are accepted too
    return out


def alt_paper_unet_output_size(size):
    s = size
    for _ in range(4):
        s -= 4
        if s <= 0 or s % 2:
            raise ValueError('invalid size {}'.format(size))
        s //= 2
    s -= 4
    for _ in range(4):
        if s <= 0:
            raise ValueError('invalid size {}'.format(size))
        s = 2 * s - 4
    if s <= 0:
        raise ValueError('invalid size {}'.format(size))
    return s


def alt_unet_skip_crops(depth):
    # simulate a valid input: sizes down and up, then half the differences
    size = 4
    while True:
        s, skips, ok = size, [], True
        for _ in range(depth):
            s -= 4
            if s <= 0 or s % 2:
                ok = False
                break
            skips.append(s)
            s //= 2
        if ok and s - 4 > 0:
            break
        size += 1
    s -= 4
    crops = []
    for skip in reversed(skips):
        s *= 2
        crops.append((skip - s) // 2)
        s -= 4
    return crops


def alt_border_weight_map(instances, w0=10, sigma=5):
    h, w = instances.shape
    ids = [k for k in numpy.unique(instances) if k != 0]
    cells = instances > 0
    n = cells.size
    counts = {0: int((~cells).sum()), 1: int(cells.sum())}
    present = [k for k in counts if counts[k] > 0]
    wc = numpy.ones((h, w))
    if len(present) == 2:
        wc = numpy.where(cells, n / (2.0 * counts[1]), n / (2.0 * counts[0]))
    yy, xx = numpy.mgrid[:h, :w]
    out = wc.copy()
    if len(ids) < 2:
        return out
    for y in range(h):                   # brute force distances
        for x in range(w):
            if cells[y, x]:
                continue
            d = sorted(numpy.sqrt(((yy[instances == k] - y) ** 2
                                   + (xx[instances == k] - x) ** 2).min()) for k in ids)
            out[y, x] += w0 * numpy.exp(-(d[0] + d[1]) ** 2 / (2.0 * sigma ** 2))
    return out


def alt_border_weight_map_edt(instances, w0=10, sigma=5):
    ids = numpy.setdiff1d(numpy.unique(instances), [0])
    cells = instances > 0
    frac = cells.mean()
    if 0 < frac < 1:
        wc = numpy.where(cells, 0.5 / frac, 0.5 / (1 - frac))
    else:
        wc = numpy.ones(instances.shape)
    if len(ids) < 2:
        return wc
    d = numpy.sort(numpy.stack([ndimage.distance_transform_edt(instances != k) for k in ids]), 0)
    border = w0 * numpy.exp(-(d[0] + d[1]) ** 2 / (2.0 * sigma ** 2))
    return wc + numpy.where(cells, 0.0, border)


ALTERNATIVES = {
    'compose_coord_map': [alt_compose_coord_map],
    'stack_receptive_field': [alt_stack_receptive_field],
    'fc_to_conv': [alt_fc_to_conv],
    'fcn32s_upscore_size': [alt_fcn32s_upscore_size],
    'pad_to_multiple': [alt_pad_to_multiple],
    'skip_crop_offset': [alt_skip_crop_offset],
    'fcn_upsampling_stages': [alt_fcn_upsampling_stages],
    'paper_unet_output_size': [alt_paper_unet_output_size],
    'unet_skip_crops': [alt_unet_skip_crops],
    'border_weight_map': [alt_border_weight_map, alt_border_weight_map_edt],
}


def _exercises():
    return [ex for ex in all_exercises() if ex.chapter in CHAPTERS]


def test_every_exercise_has_an_alternative_and_two_mistakes():
    names = {ex.name for ex in _exercises()}
    assert names == set(ALTERNATIVES)
    per_chapter = {c: sum(ex.chapter == c for ex in _exercises()) for c in CHAPTERS}
    assert all(2 <= n <= 4 for n in per_chapter.values()), per_chapter
    for ex in _exercises():
        assert len(ex.mistakes) >= 2, ex.qualname


@pytest.mark.parametrize('name', sorted(ALTERNATIVES))
def test_reference_passes(name):
    ex = get_exercise(name)
    result = grade(ex, ex.reference)
    assert result.status == PASSED, result.details


@pytest.mark.parametrize('name', sorted(ALTERNATIVES))
def test_alternative_correct_answers_pass(name):
    ex = get_exercise(name)
    for fn in ALTERNATIVES[name]:
        for seed in (0, 1):
            result = grade(ex, fn, seed=seed)
            assert result.status == PASSED, (fn.__name__, result.details)


@pytest.mark.parametrize('name', sorted(ALTERNATIVES))
def test_stub_is_not_attempted(name):
    ex = get_exercise(name)
    assert grade(ex, ex.stub_function()).status == NOT_ATTEMPTED


@pytest.mark.parametrize('name', sorted(ALTERNATIVES))
def test_typical_mistakes_fail_with_their_hint(name):
    ex = get_exercise(name)
    for wrong, hint in ex.mistakes:
        result = grade(ex, wrong)
        assert result.status == FAILED, hint
        assert hint in result.details, (hint, result.details)


# --------------------------------------------------------------------------- the references' facts

def test_references_reproduce_the_papers_numbers():
    stack = (list(fcn.FCN_VGG16_LAYERS['score_fr'])
             + list(fcn.FCN_UPSAMPLING['fcn32s']))
    a, b = get_exercise('compose_coord_map').reference(stack)
    assert (float(a), float(b)) == (1.0, -19.0)
    assert get_exercise('stack_receptive_field').reference(
        list(fcn.FCN_VGG16_LAYERS['pool5'])) == 212
    assert get_exercise('paper_unet_output_size').reference(572) == 388
    assert get_exercise('unet_skip_crops').reference(4) == [4, 16, 40, 88]
    cases = get_exercise('skip_crop_offset').cases
    assert [get_exercise('skip_crop_offset').reference(*c.args) for c in cases[:2]] == [5, 9]
    assert get_exercise('fcn_upsampling_stages').reference([32, 16, 8]) == [(4, 2), (4, 2), (16, 8)]


def test_fc_to_conv_reference_matches_a_chainer_linear_layer():
    import chainer.functions as F
    rng = numpy.random.RandomState(0)
    W = rng.randn(6, 2 * 3 * 3).astype(numpy.float32)
    x = rng.randn(4, 2, 3, 3).astype(numpy.float32)
    kernel = get_exercise('fc_to_conv').reference(W, 2, 3)
    numpy.testing.assert_allclose(F.convolution_2d(x, kernel).array[:, :, 0, 0],
                                  F.linear(x, W).array, rtol=1e-5, atol=1e-5)


def test_upscore_size_reference_matches_the_model():
    import chainer
    from seglearn.models import FCN32s
    model = FCN32s(2, width=1 / 32)
    sizes = {}
    hook_sizes = []

    class Hook(chainer.LinkHook):
        def forward_postprocess(self, args):
            if args.link is model.upscore:
                hook_sizes.append(args.out.shape[2])

    with Hook(), chainer.using_config('train', False), chainer.no_backprop_mode():
        for size in (23, 64):
            model.forward(numpy.zeros((1, 3, size, size), numpy.float32))
            sizes[size] = hook_sizes[-1]
    ref = get_exercise('fcn32s_upscore_size').reference
    assert sizes == {23: ref(23), 64: ref(64)}
