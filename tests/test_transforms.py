"""Tests of seglearn.transforms: alignment of image and label, determinism, label safety."""
import numpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import seglearn  # noqa: F401
from scipy import ndimage  # noqa: E402
from skimage import transform as sktransform  # noqa: E402

from seglearn.models.vgg import vgg_denormalize, vgg_normalize  # noqa: E402
from seglearn.transforms import (  # noqa: E402
    elastic_deform, mirror_pad, random_crop, random_flip, resize_image, resize_label)


def make_pair(h=12, w=17, c=3, seed=0):
    """An image and a label derived from its pixel values, so alignment can be checked."""
    rng = numpy.random.RandomState(seed)
    img = rng.randint(0, 256, size=(c, h, w)).astype(numpy.float32)
    label = (img[0] // 64).astype(numpy.int32)
    return img, label


def label_of(img):
    return (img[0] // 64).astype(numpy.int32)


# --- random_crop ------------------------------------------------------------------------------

@pytest.mark.parametrize('rng_factory', [numpy.random.RandomState, numpy.random.default_rng])
def test_random_crop_aligned_and_deterministic(rng_factory):
    img, label = make_pair()
    windows = set()
    for seed in range(20):
        ci, cl = random_crop(img, label, (5, 7), rng=rng_factory(seed))
        assert ci.shape == (3, 5, 7) and cl.shape == (5, 7)
        assert ci.dtype == numpy.float32 and cl.dtype == numpy.int32
        numpy.testing.assert_array_equal(cl, label_of(ci))
        # the crop is a window of the image: locate it
        hits = [(y, x) for y in range(12 - 4) for x in range(17 - 6)
                if (img[:, y:y + 5, x:x + 7] == ci).all()]
        assert hits
        windows.add(hits[0])
        again = random_crop(img, label, (5, 7), rng=rng_factory(seed))
        numpy.testing.assert_array_equal(again[0], ci)
    assert len(windows) > 5  # the window really moves


def test_random_crop_full_size_and_int_size():
    img, label = make_pair(6, 6)
    ci, cl = random_crop(img, label, 6, rng=numpy.random.RandomState(0))
    numpy.testing.assert_array_equal(ci, img)
    numpy.testing.assert_array_equal(cl, label)
    ci, cl = random_crop(img, label, 4)  # rng=None uses numpy's global generator
    assert ci.shape == (3, 4, 4) and cl.shape == (4, 4)


def test_random_crop_bad_inputs():
    img, label = make_pair(6, 8)
    with pytest.raises(ValueError, match='larger than the image.*mirror_pad'):
        random_crop(img, label, (7, 4))
    with pytest.raises(ValueError, match='size'):
        random_crop(img, label, (0, 4))
    with pytest.raises(ValueError, match='size'):
        random_crop(img, label, (2, 3, 4))
    with pytest.raises(ValueError, match='same spatial size'):
        random_crop(img, label[:, :-1], 3)
    with pytest.raises(ValueError, match=r'img must be a \(C, H, W\)'):
        random_crop(img[0], label, 3)
    with pytest.raises(TypeError, match='img must be a float'):
        random_crop(img.astype(numpy.uint8), label, 3)
    with pytest.raises(TypeError, match='label must be an integer'):
        random_crop(img, label.astype(numpy.float32), 3)
    with pytest.raises(ValueError, match=r'label must be an \(H, W\)'):
        random_crop(img, label[None], 3)
    with pytest.raises(TypeError, match='rng'):
        random_crop(img, label, 3, rng=42)


# --- random_flip ------------------------------------------------------------------------------

def test_random_flip_aligned_and_covers_all_cases():
    img, label = make_pair()
    seen = set()
    for seed in range(40):
        fi, fl = random_flip(img, label, x_flip=True, y_flip=True,
                             rng=numpy.random.RandomState(seed))
        numpy.testing.assert_array_equal(fl, label_of(fi))
        assert fi.flags.c_contiguous and fl.flags.c_contiguous
        case = next(k for k, (ys, xs) in enumerate([(slice(None), slice(None)),
                                                    (slice(None), slice(None, None, -1)),
                                                    (slice(None, None, -1), slice(None)),
                                                    (slice(None, None, -1), slice(None, None, -1))])
                    if (img[:, ys, xs] == fi).all())
        seen.add(case)
        again = random_flip(img, label, x_flip=True, y_flip=True,
                            rng=numpy.random.RandomState(seed))
        numpy.testing.assert_array_equal(again[0], fi)
    assert seen == {0, 1, 2, 3}


def test_random_flip_disabled_directions():
    img, label = make_pair()
    for seed in range(10):
        fi, fl = random_flip(img, label, x_flip=False, y_flip=False,
                             rng=numpy.random.default_rng(seed))
        numpy.testing.assert_array_equal(fi, img)
        fi, fl = random_flip(img, label, rng=numpy.random.default_rng(seed))  # x only
        assert (fi == img).all() or (fi == img[:, :, ::-1]).all()
        numpy.testing.assert_array_equal(fl, label_of(fi))
    with pytest.raises(ValueError, match='same spatial size'):
        random_flip(img, label.T)


# --- resize_label -----------------------------------------------------------------------------

def brute_nearest(label, h, w):
    H, W = label.shape
    out = numpy.empty((h, w), label.dtype)
    for i in range(h):
        for j in range(w):
            out[i, j] = label[int((i + 0.5) * H / h), int((j + 0.5) * W / w)]
    return out


def tie_free(n_in, n_out):
    """Output positions whose centre does not fall exactly on a border between input pixels."""
    return (2 * numpy.arange(n_out) + 1) * n_in % (2 * n_out) != 0


@pytest.mark.parametrize('size', [(13, 41), (7, 11), (40, 60), (3, 7), (20, 30), (1, 1), (5, 15)])
def test_resize_label_nearest_matches_loop_and_skimage(size):
    rng = numpy.random.RandomState(0)
    label = rng.randint(-1, 9, size=(20, 30)).astype(numpy.int32)
    out = resize_label(label, size)
    assert out.shape == size and out.dtype == numpy.int32
    numpy.testing.assert_array_equal(out, brute_nearest(label, *size))
    # scikit-image uses the same pixel-centre geometry; it may round exact ties the other way
    sk = sktransform.resize(label, size, order=0, mode='edge', anti_aliasing=False,
                            preserve_range=True)
    rows, cols = tie_free(20, size[0]), tie_free(30, size[1])
    numpy.testing.assert_array_equal(out[rows][:, cols], sk[rows][:, cols])


def test_resize_label_nearest_matches_scipy_zoom_without_ties():
    label = numpy.random.RandomState(1).randint(0, 5, size=(9, 14)).astype(numpy.int32)
    out = resize_label(label, (27, 21))  # ×3 and ×1.5 up: no ties
    ref = ndimage.zoom(label, (3, 1.5), order=0, grid_mode=True, mode='nearest')
    numpy.testing.assert_array_equal(out, ref)


def test_resize_label_majority_hand_case():
    label = numpy.array([[0, 0, 1, 1, -1, -1],
                         [0, 2, 1, 2, -1, 3],
                         [1, 2, -1, -1, 4, 4],
                         [2, 1, -1, -1, 3, 3]], dtype=numpy.int32)
    out = resize_label(label, (2, 3), method='majority')
    # blocks: {0,0,0,2}→0; {1,1,1,2}→1; {-1,-1,-1,3}→3 (ignore skipped);
    #         {1,2,2,1}→1 (tie → smallest); all -1 → -1; {4,4,3,3}→3 (tie → smallest)
    numpy.testing.assert_array_equal(out, [[0, 1, 3], [1, -1, 3]])
    assert out.dtype == numpy.int32
    numpy.testing.assert_array_equal(resize_label(numpy.full((4, 4), -1), 2, 'majority'),
                                     numpy.full((2, 2), -1))


def test_resize_label_majority_matches_loop():
    rng = numpy.random.RandomState(5)
    label = rng.randint(-1, 4, size=(12, 18)).astype(numpy.int32)
    out = resize_label(label, (4, 6), method='majority')
    for i in range(4):
        for j in range(6):
            block = label[3 * i:3 * i + 3, 3 * j:3 * j + 3].ravel()
            block = block[block >= 0]
            if block.size == 0:
                assert out[i, j] == -1
            else:
                counts = numpy.bincount(block)
                assert out[i, j] == numpy.flatnonzero(counts == counts.max())[0]


@settings(max_examples=60, deadline=None)
@given(label=hnp.arrays(numpy.int32, hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
                        elements=st.integers(-1, 30)),
       h=st.integers(1, 25), w=st.integers(1, 25))
def test_resize_label_never_invents_a_class(label, h, w):
    values = set(numpy.unique(label).tolist())
    assert set(numpy.unique(resize_label(label, (h, w))).tolist()) <= values
    H, W = label.shape
    fh, fw = (2 if H % 2 == 0 else 1), (3 if W % 3 == 0 else 1)
    out = resize_label(label, (H // fh, W // fw), 'majority')
    assert set(numpy.unique(out).tolist()) <= values


def test_resize_label_bad_inputs():
    label = numpy.zeros((6, 6), numpy.int32)
    with pytest.raises(ValueError, match='integer downscale'):
        resize_label(label, (4, 4), method='majority')
    with pytest.raises(ValueError, match="'nearest' or 'majority'"):
        resize_label(label, 3, method='bilinear')
    with pytest.raises(TypeError, match='integer'):
        resize_label(label.astype(numpy.float32), 3)
    with pytest.raises(ValueError, match='>= -1'):
        resize_label(label - 2, 3, method='majority')
    with pytest.raises(ValueError, match='size'):
        resize_label(label, -3)


# --- resize_image -----------------------------------------------------------------------------

@pytest.mark.parametrize('size', [(13, 41), (7, 10), (24, 34), (12, 17)])
def test_resize_image_matches_skimage(size):
    img, _ = make_pair()
    out = resize_image(img, size)
    assert out.shape == (3,) + size and out.dtype == numpy.float32
    ref = sktransform.resize(img.transpose(1, 2, 0), size, order=1, mode='edge',
                             anti_aliasing=False, preserve_range=True).transpose(2, 0, 1)
    numpy.testing.assert_allclose(out, ref, atol=1e-3)


def test_resize_image_bilinear_values_and_bad_inputs():
    img = numpy.array([[[0, 10]]], dtype=numpy.float32)  # (1, 1, 2)
    # 2 → 4: output centres at input x = -0.25, 0.25, 0.75, 1.25 → edge, 2.5, 7.5, edge
    numpy.testing.assert_allclose(resize_image(img, (1, 4))[0, 0], [0, 2.5, 7.5, 10])
    with pytest.raises(ValueError, match='order'):
        resize_image(img, 3, order=7)
    with pytest.raises(TypeError, match='float'):
        resize_image(img.astype(numpy.int32), 3)


# --- mirror_pad -------------------------------------------------------------------------------

@pytest.mark.parametrize('pad', [0, 1, 3, (1, 2, 0, 4), (9, 0, 20, 13)])
def test_mirror_pad_matches_numpy_reflect(pad):
    x = numpy.arange(2 * 5 * 7, dtype=numpy.float32).reshape(2, 5, 7)
    t, b, l, r = (pad,) * 4 if isinstance(pad, int) else pad
    out = mirror_pad(x, pad)
    ref = numpy.pad(x, ((0, 0), (t, b), (l, r)), mode='reflect')
    numpy.testing.assert_array_equal(out, ref)
    assert out.dtype == x.dtype
    label = numpy.arange(35, dtype=numpy.int32).reshape(5, 7)
    numpy.testing.assert_array_equal(mirror_pad(label, pad),
                                     numpy.pad(label, ((t, b), (l, r)), mode='reflect'))


def test_mirror_pad_single_pixel_and_bad_inputs():
    numpy.testing.assert_array_equal(mirror_pad(numpy.array([[3]]), 2), numpy.full((5, 5), 3))
    with pytest.raises(ValueError, match='pad'):
        mirror_pad(numpy.zeros((3, 3)), -1)
    with pytest.raises(ValueError, match='pad'):
        mirror_pad(numpy.zeros((3, 3)), (1, 2))
    with pytest.raises(ValueError, match='at least 2'):
        mirror_pad(numpy.zeros(3), 1)


# --- elastic_deform ---------------------------------------------------------------------------

def smooth_pair(seed=0):
    """A smooth image (blurred noise) and the label 'brighter than the median'."""
    rng = numpy.random.RandomState(seed)
    base = ndimage.gaussian_filter(rng.normal(size=(48, 40)), 4)
    base = (base - base.min()) / (base.max() - base.min()) * 255
    img = numpy.stack([base, 255 - base]).astype(numpy.float32)
    label = (base > numpy.median(base)).astype(numpy.int32)
    return img, label, numpy.median(base)


def test_elastic_deform_sigma_zero_is_identity():
    img, label, _ = smooth_pair()
    out, out_label = elastic_deform(img, label, sigma=0.0, rng=numpy.random.RandomState(0))
    numpy.testing.assert_allclose(out, img, atol=1e-3)
    numpy.testing.assert_array_equal(out_label, label)


def test_elastic_deform_moves_pixels_keeps_alignment_and_values():
    img, label, thr = smooth_pair()
    label[:3] = -1
    label[5, 5] = 7
    out, out_label = elastic_deform(img, label, sigma=10.0, rng=numpy.random.RandomState(1))
    assert out.shape == img.shape and out.dtype == numpy.float32
    assert out_label.shape == label.shape and out_label.dtype == numpy.int32
    assert numpy.abs(out - img).mean() > 5  # it really warped
    assert set(numpy.unique(out_label).tolist()) <= set(numpy.unique(label).tolist())
    valid = numpy.isin(out_label, (0, 1))
    agree = (out[0] > thr).astype(numpy.int32)[valid] == out_label[valid]
    assert agree.mean() > 0.97  # only interpolation at the class borders may disagree


def test_elastic_deform_deterministic_with_seed():
    img, label, _ = smooth_pair()
    a = elastic_deform(img, label, rng=numpy.random.default_rng(3))
    b = elastic_deform(img, label, rng=numpy.random.default_rng(3))
    c = elastic_deform(img, label, rng=numpy.random.default_rng(4))
    numpy.testing.assert_array_equal(a[0], b[0])
    numpy.testing.assert_array_equal(a[1], b[1])
    assert not numpy.array_equal(a[0], c[0])


def test_elastic_deform_bad_inputs():
    img, label, _ = smooth_pair()
    with pytest.raises(ValueError, match='grid'):
        elastic_deform(img, label, grid=1)
    with pytest.raises(ValueError, match='sigma'):
        elastic_deform(img, label, sigma=-1)
    with pytest.raises(ValueError, match='order'):
        elastic_deform(img, label, order=6)
    with pytest.raises(ValueError, match='same spatial size'):
        elastic_deform(img, label[1:])


@pytest.mark.gpu
def test_cupy_crop_flip_pad_normalize():
    import cupy
    img, label = make_pair()
    gi, gl = cupy.asarray(img), cupy.asarray(label)
    ci, cl = random_crop(gi, gl, 5, rng=numpy.random.RandomState(0))
    ni, nl = random_crop(img, label, 5, rng=numpy.random.RandomState(0))
    numpy.testing.assert_array_equal(cupy.asnumpy(ci), ni)
    fi, fl = random_flip(gi, gl, rng=numpy.random.RandomState(1))
    numpy.testing.assert_array_equal(cupy.asnumpy(fi),
                                     random_flip(img, label, rng=numpy.random.RandomState(1))[0])
    numpy.testing.assert_array_equal(cupy.asnumpy(mirror_pad(gi, (1, 2, 3, 4))),
                                     mirror_pad(img, (1, 2, 3, 4)))
    numpy.testing.assert_allclose(cupy.asnumpy(vgg_denormalize(vgg_normalize(gi))), img,
                                  atol=1e-4)


# --- wrong results without an error (issue 16) ---------------------------------------------------

@pytest.mark.parametrize('sigma', [float('nan'), float('inf'), -1.0])
def test_elastic_deform_refuses_a_sigma_that_is_not_a_finite_number(sigma):
    img, label = make_pair()
    with pytest.raises(ValueError, match='sigma'):  # NaN gave an all-zero image
        elastic_deform(img, label, sigma=sigma, rng=numpy.random.RandomState(0))


@pytest.mark.parametrize('method', ['nearest', 'majority'])
def test_resize_label_refuses_labels_below_the_ignore_label(method):
    label = numpy.zeros((8, 8), numpy.int32)
    label[3, 3] = -2
    with pytest.raises(ValueError, match=r'labels must be >= -1 .*got -2'):
        resize_label(label, 4, method=method)
