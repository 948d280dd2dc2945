"""Exercise checkers of chapters 05–08: references pass every check but are no answer, independent
correct answers pass, stubs are "not attempted", typical wrong answers fail."""
import numpy
import pytest
from scipy import ndimage

import seglearn  # noqa: F401
from fractions import Fraction

import chainer
import chainer.functions as F
import chainer.links as L

from seglearn import arithmetic
from seglearn.arithmetic import Conv, Crop, Deconv, Pool
from seglearn.models import BilinearUpsampling2D
from seglearn.models.common import crop
from seglearn.upsampling import bilinear_kernel
from seglearn.exercises import FAILED, NOT_ATTEMPTED, PASSED, all_exercises, get_exercise, grade
from seglearn.models import fcn
from seglearn.exercises import ch06, ch07

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


def alt_smallest_first_pad(min_size, fc6_ksize=7, up_ksize=64):
    """Closed form: the map's offset is 16·k6 + 1 − ku/2 − P; fc6 needs k6 pixels of pool5."""
    if up_ksize % 2:
        raise ValueError('an odd kernel leaves the scores half a pixel off')
    align = 16 * fc6_ksize + 1 - up_ksize // 2
    exists = (32 * (fc6_ksize - 1) + 2 - min_size) // 2 + 1
    return max(0, align, exists)


def alt_smallest_first_pad_maps(min_size, fc6_ksize=7, up_ksize=64):
    """Try every padding: compose the maps by hand, walk the smallest size through the net."""
    for pad in range(1000):
        a, b = Fraction(1), Fraction(1 - pad)                 # conv1_1
        for _ in range(5):                                     # pools: 2x + 1/2
            a, b = 2 * a, b + a / 2
        b += a * Fraction(fc6_ksize - 1, 2)                    # fc6
        a, b = a / 32, b - a * Fraction(up_ksize - 1, 2) / 32  # upscore
        if b.denominator != 1 or b > 0:
            continue
        n = min_size + 2 * pad - 2
        for _ in range(5):
            n = -(-n // 2)
        if n >= fc6_ksize:
            return pad
    raise ValueError('no padding gives an integer crop')


class AltFCN32sHead(chainer.Chain):
    """A kernel kept as a persistent, F.deconvolution_2d and slicing."""

    def __init__(self, in_channels, n_class):
        super().__init__()
        with self.init_scope():
            self.score = L.Convolution2D(in_channels, n_class, 1, initialW=0, initial_bias=0)
        self.add_persistent('kernel', bilinear_kernel(n_class, n_class, 64))

    def forward(self, h, size):
        up = F.deconvolution_2d(self.score(h), self.kernel, stride=32)
        return up[:, :, 19:19 + size[0], 19:19 + size[1]]


class AltFCN32sHeadBlocks(chainer.Chain):
    """The package's building blocks: a fixed bilinear layer and its crop."""

    def __init__(self, in_channels, n_class):
        super().__init__()
        zero = chainer.initializers.Zero()
        with self.init_scope():
            self.score = L.Convolution2D(in_channels, n_class, ksize=1, initialW=zero,
                                         initial_bias=zero)
            self.upscore = BilinearUpsampling2D(n_class, 64, 32)

    def forward(self, h, size):
        return crop(self.upscore(self.score(h)), (19, 19), tuple(size))


def alt_fcn_crops(pools, conv1_pad=100):
    """Maps composed by hand with Fractions."""
    def conv_map(a, b, k, s=1, p=0):
        return a * s, b + a * (Fraction(k - 1, 2) - p)

    def trunk(upto):
        a, b = Fraction(1), Fraction(0)
        for stage, n_conv in enumerate((2, 2, 3, 3, 3), start=1):
            for j in range(n_conv):
                a, b = conv_map(a, b, 3, 1, conv1_pad if (stage, j) == (1, 0) else 1)
            a, b = conv_map(a, b, 2, 2)
            if stage == upto:
                return a, b
        return conv_map(a, b, 7)

    a, b = trunk(None)
    crops = []
    for pool in list(pools) + [0]:
        f = a // 2 ** pool
        a, b = a / f, b - (a / f) * Fraction(2 * f - 1, 2)    # transposed conv k 2f, s f
        if pool:
            a_p, b_p = trunk(pool)
            crops.append(int((b - b_p) / a_p))
        else:
            crops.append(int(-b))
    return tuple(crops)


def alt_fcn_crops_arithmetic(pools, conv1_pad=100):
    """seglearn.arithmetic as the tool, the stacks built here."""
    def stack(upto):
        layers = [Conv(3, 1, conv1_pad), Conv(3, 1, 1), Pool(2, 2, 0)]
        for stage, n_conv in enumerate((2, 3, 3, 3), start=2):
            if stage - 1 == upto:
                return layers
            layers += [Conv(3, 1, 1)] * n_conv + [Pool(2, 2, 0)]
        return layers + [Conv(7, 1, 0), Conv(1, 1, 0), Conv(1, 1, 0)]

    fused, stride, out = stack(None), 32, []
    for pool in pools:
        f = stride // 2 ** pool
        fused = fused + [Deconv(2 * f, f, 0)]
        out.append(arithmetic.crop_offset(stack(pool), reference=fused))
        stride = 2 ** pool
    out.append(arithmetic.crop_offset(fused + [Deconv(2 * stride, stride, 0)]))
    return out


def alt_fcn_upsampling_stages(strides):
    out = []
    strides = list(strides) + [1]
    for i in range(len(strides) - 1):
        f = strides[i] // strides[i + 1]
        out.append([2 * f, f])        # lists are accepted too
    return out


def alt_fcn_upsampling_stages_shifts(strides):
    exps = [int(s).bit_length() - 1 for s in strides] + [0]
    return tuple((2 << (a - b), 1 << (a - b)) for a, b in zip(exps, exps[1:]))


class AltSkipFusion(chainer.Chain):
    def __init__(self, pool_channels, n_class, offset, scale=1.0):
        super().__init__()
        self.offset, self.scale = offset, scale
        with self.init_scope():
            self.score_pool = L.Convolution2D(pool_channels, n_class, 1, initialW=0,
                                              initial_bias=0)

    def forward(self, upscore, pool):
        h, w = upscore.shape[2:]
        o = self.offset
        return upscore + self.score_pool(self.scale * pool)[:, :, o:o + h, o:o + w]


class AltSkipFusionFunctions(chainer.Chain):
    """F.convolution_2d on the link's own parameters, F.get_item, F.add."""

    def __init__(self, pool_channels, n_class, offset, scale=1.0):
        super().__init__()
        self.offset, self.scale = offset, scale
        with self.init_scope():
            self.score_pool = L.Convolution2D(pool_channels, n_class, ksize=1,
                                              initialW=chainer.initializers.Zero(),
                                              initial_bias=chainer.initializers.Zero())

    def forward(self, upscore, pool):
        scored = F.convolution_2d(pool * numpy.float32(self.scale), self.score_pool.W,
                                  self.score_pool.b)
        window = (slice(None), slice(None), slice(self.offset, self.offset + upscore.shape[2]),
                  slice(self.offset, self.offset + upscore.shape[3]))
        return F.add(upscore, F.get_item(scored, window))


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
        return out.astype(numpy.float32)
    for y in range(h):                   # brute force distances
        for x in range(w):
            if cells[y, x]:
                continue
            d = sorted(numpy.sqrt(((yy[instances == k] - y) ** 2
                                   + (xx[instances == k] - x) ** 2).min()) for k in ids)
            out[y, x] += w0 * numpy.exp(-(d[0] + d[1]) ** 2 / (2.0 * sigma ** 2))
    return out.astype(numpy.float32)


def alt_border_weight_map_edt(instances, w0=10, sigma=5):
    ids = numpy.setdiff1d(numpy.unique(instances), [0])
    cells = instances > 0
    frac = cells.mean()
    if 0 < frac < 1:
        wc = numpy.where(cells, 0.5 / frac, 0.5 / (1 - frac))
    else:
        wc = numpy.ones(instances.shape)
    if len(ids) < 2:
        return wc.astype(numpy.float32)
    d = numpy.sort(numpy.stack([ndimage.distance_transform_edt(instances != k) for k in ids]), 0)
    border = w0 * numpy.exp(-(d[0] + d[1]) ** 2 / (2.0 * sigma ** 2))
    return (wc + numpy.where(cells, 0.0, border)).astype(numpy.float32)


ALTERNATIVES = {
    'compose_coord_map': [alt_compose_coord_map],
    'stack_receptive_field': [alt_stack_receptive_field],
    'fc_to_conv': [alt_fc_to_conv],
    'smallest_first_pad': [alt_smallest_first_pad, alt_smallest_first_pad_maps],
    'FCN32sHead': [AltFCN32sHead, AltFCN32sHeadBlocks],
    'fcn_crops': [alt_fcn_crops, alt_fcn_crops_arithmetic],
    'fcn_upsampling_stages': [alt_fcn_upsampling_stages, alt_fcn_upsampling_stages_shifts],
    'SkipFusion': [AltSkipFusion, AltSkipFusionFunctions],
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
    for name in NEW:      # the exercises of issue 12: two right answers, three mistakes
        assert len(ALTERNATIVES[name]) >= 2 and len(get_exercise(name).mistakes) >= 3, name


REFERENCE_ROW = "written without the checker's reference"


@pytest.mark.parametrize('name', sorted(ALTERNATIVES))
def test_reference_passes_every_check_but_is_no_answer(name):
    ex = get_exercise(name)
    result = grade(ex, ex.reference)
    assert [c.label for c in result.cases if not c.ok] == [REFERENCE_ROW], result.details


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
        # the report is wrapped at 90 columns: compare the words
        assert ' '.join(hint.split()) in ' '.join(result.details.split()), (hint, result.details)


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
    crops = get_exercise('fcn_crops').reference
    for variant, pools in (('fcn32s', []), ('fcn16s', [4]), ('fcn8s', [4, 3])):
        assert crops(pools) == fcn.fcn_crop_offsets(variant)
    assert crops([4, 3, 2]) == (5, 9, 17, 33)
    assert get_exercise('fcn_upsampling_stages').reference([32, 16, 8]) == [(4, 2), (4, 2), (16, 8)]


def test_smallest_first_pad_reference_agrees_with_the_closed_form_and_design():
    """DESIGN.md: without pad=100, conv1_1 pad=1 leaves x_in = x + 80; pad 81 aligns (crop 0).
    For the crop to fit every size the smallest image must reach fc6: 97 for 1-pixel inputs."""
    ref = get_exercise('smallest_first_pad').reference
    assert (ref(33), ref(1), ref(224)) == (81, 97, 81)
    for min_size in (1, 2, 17, 33, 34, 100, 500):
        for k6 in (1, 3, 7, 9):
            for ku in (32, 64, 96):
                assert ref(min_size, k6, ku) == alt_smallest_first_pad(min_size, k6, ku)
    with pytest.raises(ValueError):
        ref(1, 7, 63)


def test_the_network_references_are_the_package_models_parts():
    """FCN32sHead's and SkipFusion's references compute what FCN32s/FCN16s compute."""
    from seglearn.exercises import ch06, ch07
    from seglearn.models import FCN16s, FCN32s
    rng = numpy.random.RandomState(0)
    model = FCN32s(3, width=1 / 32)
    for p in model.score_fr.params():
        p.array[...] = rng.standard_normal(p.shape)
    head = ch06._Head(model.score_fr.W.shape[1], 3)
    head.score.copyparams(model.score_fr)
    h = rng.standard_normal((1, model.score_fr.W.shape[1], 3, 4)).astype(numpy.float32)
    with chainer.using_config('train', False):
        numpy.testing.assert_allclose(head(h, (40, 70)).array,
                                      model._decode(None, None, model.score_fr(h), (40, 70)).array,
                                      atol=1e-5)
    model16 = FCN16s(3, width=1 / 32)
    for p in model16.score_pool4.params():
        p.array[...] = rng.standard_normal(p.shape)
    fusion = ch07._Fusion(model16.pool4_channels, 3, 5)
    fusion.score_pool.copyparams(model16.score_pool4)
    up = rng.standard_normal((1, 3, 4, 4)).astype(numpy.float32)
    pool4 = rng.standard_normal((1, model16.pool4_channels, 12, 11)).astype(numpy.float32)
    numpy.testing.assert_allclose(
        fusion(up, pool4).array,
        model16._fuse(up, pool4, model16.score_pool4, 1.0, 5).array, atol=1e-5)


def test_fc_to_conv_reference_matches_a_chainer_linear_layer():
    rng = numpy.random.RandomState(0)
    W = rng.randn(6, 2 * 3 * 3).astype(numpy.float32)
    x = rng.randn(4, 2, 3, 3).astype(numpy.float32)
    kernel = get_exercise('fc_to_conv').reference(W, 2, 3)
    numpy.testing.assert_allclose(F.convolution_2d(x, kernel).array[:, :, 0, 0],
                                  F.linear(x, W).array, rtol=1e-5, atol=1e-5)


NEW = ('smallest_first_pad', 'FCN32sHead', 'fcn_crops', 'fcn_upsampling_stages', 'SkipFusion')


class _HeadByTheModel(AltFCN32sHeadBlocks):
    """Runs FCN32s's own decoder."""

    def forward(self, h, size):
        model = seglearn.models.FCN32s.__new__(seglearn.models.FCN32s)
        model.__dict__.update(upscore=self.upscore, crop_offsets=(19,))
        return seglearn.models.FCN32s._decode(model, None, None, self.score(h), size)


class _FusionByTheModel(AltSkipFusion):
    """Runs FCN16s's own fusion."""

    def forward(self, upscore, pool):
        return seglearn.models.FCN16s._fuse(None, upscore, pool, self.score_pool, self.scale,
                                            self.offset)


def _crops_by_the_model(pools, conv1_pad=100):
    variant = {(): 'fcn32s', (4,): 'fcn16s', (4, 3): 'fcn8s'}.get(tuple(pools))
    if variant and conv1_pad == 100:
        return fcn.fcn_crop_offsets(variant)
    return alt_fcn_crops(pools, conv1_pad)


# Answers that call the package's finished answer: right values, one failed check.
PACKAGE_ANSWERS = {
    'compose_coord_map': lambda layers: arithmetic.coordinate_map(layers),
    'stack_receptive_field': lambda layers: arithmetic.receptive_field(layers),
    'FCN32sHead': _HeadByTheModel,
    'fcn_crops': _crops_by_the_model,
    'SkipFusion': _FusionByTheModel,
    'paper_unet_output_size': lambda size: seglearn.models.unet_output_size(size),
    'unet_skip_crops': lambda depth: list(seglearn.models.skip_crops(
        seglearn.models.nearest_valid_input_size(1, depth, 'up'), depth)),
    'border_weight_map': lambda inst, w0=10, sigma=5: seglearn.losses.unet_weight_map(
        inst, w0, sigma),
}


@pytest.mark.parametrize('name', sorted(PACKAGE_ANSWERS))
def test_calling_the_package_is_not_an_answer(name):
    result = grade(get_exercise(name), PACKAGE_ANSWERS[name])
    assert result.status == FAILED
    assert [c.label for c in result.cases if not c.ok] == [
        "written without the package's finished answer"], result.details


def test_every_forbidding_exercise_is_tried_with_the_package():
    assert {ex.name for ex in _exercises() if ex.forbidden} == set(PACKAGE_ANSWERS)


class _HeadFromTheReference(ch06._Head):
    pass


class _FusionFromTheReference(ch07._Fusion):
    def forward(self, upscore, pool):      # its own forward, the reference's __init__
        return super().forward(upscore, pool)


# Answers that are the checker's reference, derive from it or run its code: one failed check.
REFERENCE_ANSWERS = {
    'FCN32sHead': _HeadFromTheReference,
    'SkipFusion': _FusionFromTheReference,
    'fcn_crops': lambda pools, conv1_pad=100: ch07._crops(pools, conv1_pad),  # its helper
    'paper_unet_output_size': lambda size: get_exercise('paper_unet_output_size').reference(
        size),
}


@pytest.mark.parametrize('name', sorted(REFERENCE_ANSWERS))
def test_the_checker_s_reference_is_not_an_answer(name):
    result = grade(get_exercise(name), REFERENCE_ANSWERS[name])
    assert result.status == FAILED
    assert [c.label for c in result.cases if not c.ok] == [REFERENCE_ROW], result.details
    assert "get_exercise('{}').reference".format(name) in ' '.join(result.details.split())


def test_a_network_is_told_what_is_wrong_with_it():
    class Float64Head(AltFCN32sHead):
        def forward(self, h, size):
            return F.cast(super().forward(h, size), numpy.float64)

    class LazyHead(AltFCN32sHead):
        def __init__(self, in_channels, n_class):
            super().__init__(in_channels, n_class)
            del self.score
            with self.init_scope():
                self.score = L.Convolution2D(None, n_class, 1, initialW=0, initial_bias=0)

    class TrainedUpsampling(AltFCN32sHead):
        def __init__(self, in_channels, n_class):
            super().__init__(in_channels, n_class)
            with self.init_scope():
                self.upscore = L.Deconvolution2D(n_class, n_class, 64, 32, nobias=True)

    ex = get_exercise('FCN32sHead')
    assert 'forward returned dtype float64' in grade(ex, Float64Head).details
    assert 'parameter /score/W has no value after __init__' in grade(ex, LazyHead).details
    details = ' '.join(grade(ex, TrainedUpsampling).details.split())
    assert 'unexpected /upscore/W (3, 3, 64, 64)' in details
