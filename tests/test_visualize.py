"""Tests of seglearn.visualize: colorize/overlay values, figure layout, log plots."""
import io
import json

import numpy
import pytest

import seglearn  # noqa: F401
import chainer  # noqa: E402
import chainer.links as L  # noqa: E402
from chainer import training  # noqa: E402
from chainer.training import extensions  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from seglearn.datasets import VOC_PALETTE  # noqa: E402
from seglearn.palettes import IGNORE_COLOR, default_palette  # noqa: E402
from seglearn.visualize import plot_steps  # noqa: E402
from seglearn.visualize import (colorize, colorize_instances, overlay, plot_log,  # noqa: E402
                                plot_u_shape, show_grid, to_hwc)


def test_colorize_values_and_ignore():
    label = numpy.array([[0, 1, 2], [-1, 15, 1]], dtype=numpy.int32)
    out = colorize(label, VOC_PALETTE)
    assert out.shape == (2, 3, 3) and out.dtype == numpy.uint8
    for (i, j), value in numpy.ndenumerate(label):
        want = IGNORE_COLOR if value == -1 else VOC_PALETTE[value]
        numpy.testing.assert_array_equal(out[i, j], want)
    # default palette sized by the largest label
    want = numpy.where(label[..., None] >= 0, default_palette(16)[numpy.maximum(label, 0)],
                       IGNORE_COLOR)
    numpy.testing.assert_array_equal(colorize(label), want)
    assert label[1, 0] == -1  # the input is not modified


def test_colorize_bad_inputs():
    with pytest.raises(ValueError, match='class 21.*21 colours'):
        colorize(numpy.array([[21]]), VOC_PALETTE)
    with pytest.raises(ValueError, match='>= 0, or -1'):
        colorize(numpy.array([[-2]]))
    with pytest.raises(TypeError, match='integer'):
        colorize(numpy.zeros((2, 2)))
    with pytest.raises(ValueError, match=r'palette must be an \(n, 3\)'):
        colorize(numpy.zeros((2, 2), numpy.int32), palette=[[0, 0]])
    with pytest.raises(ValueError, match='palette'):
        colorize(numpy.zeros((2, 2), numpy.int32), palette=[[0, 0, 300]])


def test_to_hwc():
    img = numpy.array([[[-5.0, 100.4]], [[300.0, 0.6]], [[1.0, 2.0]]], dtype=numpy.float32)
    out = to_hwc(img)
    assert out.shape == (1, 2, 3) and out.dtype == numpy.uint8
    numpy.testing.assert_array_equal(out[0, 0], [0, 255, 1])
    numpy.testing.assert_array_equal(out[0, 1], [100, 1, 2])
    grey = to_hwc(numpy.full((1, 2, 2), 7.0, numpy.float32))
    assert (grey == 7).all() and grey.shape == (2, 2, 3)
    with pytest.raises(ValueError, match='C = 1 or 3'):
        to_hwc(numpy.zeros((2, 4, 4), numpy.float32))
    with pytest.raises(TypeError, match='float'):
        to_hwc(numpy.zeros((3, 4, 4), numpy.uint8))


def test_overlay_blends_and_leaves_ignored_pixels():
    rng = numpy.random.RandomState(0)
    img = rng.uniform(0, 255, size=(3, 4, 5)).astype(numpy.float32)
    label = rng.randint(-1, 3, size=(4, 5)).astype(numpy.int32)
    out = overlay(img, label, VOC_PALETTE, alpha=0.3)
    assert out.shape == (4, 5, 3) and out.dtype == numpy.uint8
    base = to_hwc(img).astype(float)
    for (i, j), value in numpy.ndenumerate(label):
        if value == -1:
            numpy.testing.assert_array_equal(out[i, j], base[i, j])
        else:
            want = 0.7 * base[i, j] + 0.3 * VOC_PALETTE[value]
            assert numpy.abs(out[i, j] - want).max() <= 0.5 + 1e-9
    numpy.testing.assert_array_equal(overlay(img, label, VOC_PALETTE, alpha=0), to_hwc(img))
    grey = overlay(img[:1], label, alpha=1.0)
    numpy.testing.assert_array_equal(grey[label >= 0], colorize(label)[label >= 0])


def test_overlay_bad_inputs():
    img = numpy.zeros((3, 4, 4), numpy.float32)
    with pytest.raises(ValueError, match='alpha'):
        overlay(img, numpy.zeros((4, 4), numpy.int32), alpha=1.5)
    with pytest.raises(ValueError, match='same spatial size'):
        overlay(img, numpy.zeros((4, 5), numpy.int32))


def small_batch(n=3):
    rng = numpy.random.RandomState(0)
    imgs = [rng.uniform(0, 255, size=(3, 6, 8)).astype(numpy.float32) for _ in range(n)]
    gts = [rng.randint(-1, 4, size=(6, 8)).astype(numpy.int32) for _ in range(n)]
    preds = [rng.randint(0, 4, size=(6, 8)).astype(numpy.int32) for _ in range(n)]
    return imgs, gts, preds


def test_show_grid_layout():
    imgs, gts, preds = small_batch()
    fig = show_grid(imgs, gts, preds, titles=['a', 'b', 'c'])
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 9
    assert [ax.get_title() for ax in fig.axes[:3]] == ['a', 'b', 'c']
    assert fig.axes[3].get_ylabel() == 'truth' and fig.axes[6].get_ylabel() == 'prediction'
    # the truth panel shows the colorized label
    shown = fig.axes[3].get_images()[0].get_array()
    numpy.testing.assert_array_equal(shown, colorize(gts[0], default_palette(4)))
    fig = show_grid(numpy.stack(imgs[:2]), numpy.stack(gts[:2]))  # batch arrays, no predictions
    assert len(fig.axes) == 4
    fig.savefig(io.BytesIO(), format='png')  # renders headless


def test_show_grid_legend_and_grey_images():
    imgs, gts, preds = small_batch(2)
    imgs = [img[:1] for img in imgs]
    fig = show_grid(imgs, gts, preds, palette=VOC_PALETTE,
                    class_names=['bg', 'one', 'two', 'three'])
    assert len(fig.axes) == 6
    texts = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
    assert texts == ['bg', 'one', 'two', 'three']
    fig.savefig(io.BytesIO(), format='png')


def test_show_grid_bad_inputs():
    imgs, gts, preds = small_batch(2)
    with pytest.raises(ValueError, match='one entry per image'):
        show_grid(imgs, gts[:1])
    with pytest.raises(ValueError, match='titles'):
        show_grid(imgs, gts, titles=['x'])
    with pytest.raises(ValueError, match='empty'):
        show_grid([], [])
    with pytest.raises(ValueError, match='class names'):
        show_grid(imgs, gts, palette=VOC_PALETTE[:4], class_names=list('abcde'))


def write_real_log(out):
    """Train a tiny classifier for 3 epochs with a LogReport and an Evaluator; return the path."""
    rng = numpy.random.RandomState(0)
    x = rng.normal(size=(20, 4)).astype(numpy.float32)
    t = (x[:, 0] > 0).astype(numpy.int32)
    data = list(zip(x, t))
    model = L.Classifier(L.Linear(4, 2))
    optimizer = chainer.optimizers.SGD(lr=0.1)
    optimizer.setup(model)
    it = chainer.iterators.SerialIterator(data, 5, shuffle=False)
    trainer = training.Trainer(training.updaters.StandardUpdater(it, optimizer), (3, 'epoch'),
                               out=str(out))
    val = chainer.iterators.SerialIterator(data, 10, repeat=False, shuffle=False)
    trainer.extend(extensions.Evaluator(val, model))
    trainer.extend(extensions.LogReport())
    trainer.run()
    return out / 'log'


def test_plot_log_reads_a_real_logreport_file(tmp_path):
    path = write_real_log(tmp_path)
    entries = json.loads(path.read_text())
    fig = plot_log(str(path), ['main/loss', 'validation/main/loss', 'not/there'])
    assert len(fig.axes) == 1
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ['main/loss', 'validation/main/loss']
    numpy.testing.assert_allclose(lines[0].get_xdata(), [e['epoch'] for e in entries])
    numpy.testing.assert_allclose(lines[0].get_ydata(), [e['main/loss'] for e in entries])
    fig = plot_log(path, [['main/loss'], ['main/accuracy', 'validation/main/accuracy']],
                   x='iteration', title='tiny')
    assert len(fig.axes) == 2
    assert fig.axes[1].get_xlabel() == 'iteration'
    fig.savefig(io.BytesIO(), format='png')


def test_plot_log_handmade_list_and_bad_inputs():
    log = [{'epoch': 1, 'iteration': 10, 'main/loss': 2.0},
           {'epoch': 2, 'iteration': 20, 'main/loss': 1.0, 'validation/main/miou': 0.5}]
    fig = plot_log(log, 'validation/main/miou')
    line, = fig.axes[0].get_lines()
    assert list(line.get_xdata()) == [2] and list(line.get_ydata()) == [0.5]
    with pytest.raises(ValueError, match="none of the keys.*available keys.*main/loss"):
        plot_log(log, ['nope'])
    with pytest.raises(ValueError, match='x must be'):
        plot_log(log, 'main/loss', x='time')
    with pytest.raises(ValueError, match="no 'epoch'"):
        plot_log([{'main/loss': 1.0}], 'main/loss')
    with pytest.raises(TypeError, match='list of dicts'):
        plot_log({'main/loss': 1.0}, 'main/loss')
    with pytest.raises(ValueError, match='at least one'):
        plot_log(log, [])


@pytest.mark.gpu
def test_colorize_and_overlay_accept_cupy():
    import cupy
    label = numpy.array([[0, 1], [-1, 2]], dtype=numpy.int32)
    img = numpy.full((3, 2, 2), 50.0, numpy.float32)
    numpy.testing.assert_array_equal(colorize(cupy.asarray(label)), colorize(label))
    numpy.testing.assert_array_equal(overlay(cupy.asarray(img), cupy.asarray(label)),
                                     overlay(img, label))


def test_plot_confusion():
    from seglearn.visualize import plot_confusion
    conf = numpy.array([[8, 2, 0], [1, 3, 0], [0, 0, 0]])
    fig = plot_confusion(conf, class_names=['bg', 'cat', 'dog'])
    ax = fig.axes[0]
    shown = ax.get_images()[0].get_array()
    numpy.testing.assert_allclose(shown, [[0.8, 0.2, 0], [0.25, 0.75, 0], [0, 0, 0]])
    assert [t.get_text() for t in ax.get_yticklabels()] == ['bg', 'cat', 'dog']
    assert len(ax.texts) == 9
    counts = plot_confusion(conf, normalize=False).axes[0]
    numpy.testing.assert_array_equal(counts.get_images()[0].get_array(), conf)
    assert '8' in [t.get_text() for t in counts.texts]
    fig.savefig(io.BytesIO(), format='png')
    with pytest.raises(ValueError, match='square'):
        plot_confusion(numpy.zeros((2, 3)))
    with pytest.raises(ValueError, match='class_names must have 3'):
        plot_confusion(conf, class_names=['a'])


def test_plot_kernel():
    from seglearn.visualize import plot_kernel
    kernel = numpy.outer([0.25, 0.75, 0.75, 0.25], [0.25, 0.75, 0.75, 0.25])
    fig = plot_kernel(chainer.Variable(kernel.astype(numpy.float32)), title='k=4')
    ax = fig.axes[0]
    numpy.testing.assert_allclose(ax.get_images()[0].get_array(), kernel)
    assert ax.get_title() == 'k=4' and len(ax.texts) == 16
    assert '0.56' in [t.get_text() for t in ax.texts]
    assert len(plot_kernel(kernel, annotate=False).axes[0].texts) == 0
    with pytest.raises(ValueError, match='2-D'):
        plot_kernel(numpy.zeros((1, 4, 4)))


# --- colorize_instances -------------------------------------------------------------------------

def _neighbours_by_dilation(instances, reach):
    """Instance pairs within ``reach`` pixels (Chebyshev), by dilating each mask (SciPy)."""
    from scipy import ndimage
    square = numpy.ones((2 * reach + 1, 2 * reach + 1), bool)
    pairs = set()
    for i in numpy.unique(instances[instances > 0]):
        grown = ndimage.binary_dilation(instances == i, structure=square)
        pairs |= {(int(i), int(j)) for j in numpy.unique(instances[grown]) if j > 0 and j != i}
    return pairs


def _instance_colours(instances, picture):
    return {int(i): {tuple(c) for c in picture[instances == i]}
            for i in numpy.unique(instances[instances > 0])}


@pytest.mark.parametrize('reach', [2, 4])
def test_colorize_instances_gives_neighbours_different_colours(reach):
    from seglearn.datasets import CellsDataset
    cells = CellsDataset(n=2, size=160, seed=0)   # about 50 cells each, gaps of 1 to 3 pixels
    for index in range(2):
        instances = cells.instances(index)
        picture = colorize_instances(instances, reach=reach)
        assert picture.shape == instances.shape + (3,) and picture.dtype == numpy.uint8
        colours = _instance_colours(instances, picture)
        assert all(len(c) == 1 for c in colours.values())          # one colour per instance
        assert (picture[instances == 0] == 0).all()                 # background black
        pairs = _neighbours_by_dilation(instances, reach)
        assert len(pairs) > 100, 'the cells must have neighbours for this test to mean anything'
        for i, j in pairs:
            assert colours[i] != colours[j], (i, j)
        # imshow(instances, cmap='tab20') spreads the ids over 20 colours, so consecutive ids
        # share one: on these cells that paints some neighbours alike
        bins = (instances * 20) // (instances.max() + 1)
        assert any(bins[instances == i][0] == bins[instances == j][0] for i, j in pairs)


def test_colorize_instances_small_cases():
    strip = numpy.array([[1, 1, 2, 2, 0, 0, 0, 3, 3, -1]])
    picture = colorize_instances(strip, reach=1)
    assert tuple(picture[0, 0]) != tuple(picture[0, 2])     # 1 and 2 touch
    assert tuple(picture[0, 0]) == tuple(picture[0, 7])     # 3 is 4 pixels from 2: first colour
    assert tuple(picture[0, 9]) == tuple(IGNORE_COLOR)
    # with a longer reach 2 and 3 become neighbours; the chain 1-2-3 needs only two colours
    picture = colorize_instances(strip, reach=5)
    assert tuple(picture[0, 2]) != tuple(picture[0, 7])
    assert len({tuple(picture[0, k]) for k in (0, 2, 7)}) == 2
    assert (colorize_instances(numpy.zeros((3, 4), numpy.int32)) == 0).all()
    with pytest.raises(ValueError, match='reach'):
        colorize_instances(strip, reach=0)
    with pytest.raises(TypeError, match='integer'):
        colorize_instances(strip.astype(numpy.float32))


# --- plot_u_shape -------------------------------------------------------------------------------

def test_plot_u_shape_draws_every_box_and_label():
    from matplotlib.patches import Rectangle
    down, up = ['d0', 'd1', 'd2'], ['u0', 'u1', 'u2']
    labels = dict(down_arrows=['pool0', 'pool1', 'pool2'], up_arrows=['up0', 'up1', 'up2'],
                  skips=['skip0', 'skip1', 'skip2'])
    fig = plot_u_shape(down, 'bottom', up, first='in', last='out', title='T', **labels)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    texts = [t.get_text().strip() for t in ax.texts]
    for text in down + up + ['bottom', 'in', 'out'] + sum(labels.values(), []):
        assert text in texts, text
    boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(boxes) == 2 * 3 + 1 + 2
    # the U: the levels go down on both sides, the bottom box is the lowest
    centre = {t.get_text(): t.get_position() for t in ax.texts}
    assert centre['d0'][1] > centre['d1'][1] > centre['d2'][1] > centre['bottom'][1]
    assert centre['u0'][1] > centre['u2'][1] and centre['u2'][0] > centre['bottom'][0]
    assert centre['d1'][1] == centre['u1'][1] and centre['d1'][0] < centre['u1'][0]
    assert ax.get_title() == 'T'
    plain = plot_u_shape(['a'], 'b', ['c'], ['p'], ['q'], ['s']).axes[0]
    assert len([p for p in plain.patches if isinstance(p, Rectangle)]) == 3


def test_plot_u_shape_rejects_lists_of_different_lengths():
    with pytest.raises(ValueError, match='same number'):
        plot_u_shape(['a', 'b'], 'c', ['d'], ['p', 'p'], ['q', 'q'], ['s', 's'])
    with pytest.raises(ValueError, match='same number'):
        plot_u_shape([], 'c', [], [], [], [])


def test_plot_steps_draws_raw_steps_their_running_mean_and_the_chance_line():
    losses = numpy.log(2) * numpy.exp(-numpy.arange(60) / 20.0)
    fig = plot_steps(losses, n_class=2, smooth=10, title='t')
    ax = fig.axes[0]
    raw, mean = ax.lines[0], ax.lines[1]
    numpy.testing.assert_allclose(raw.get_xdata(), numpy.arange(60))  # step 0 included
    numpy.testing.assert_allclose(raw.get_ydata(), losses)
    numpy.testing.assert_allclose(mean.get_xdata(), numpy.arange(9, 60))
    numpy.testing.assert_allclose(mean.get_ydata()[0], losses[:10].mean())
    numpy.testing.assert_allclose(ax.lines[2].get_ydata(), [numpy.log(2)] * 2)
    assert ax.get_xlim()[0] == 0 and ax.get_ylim()[0] == 0 and ax.get_title() == 't'
    assert len(plot_steps(losses[:3], smooth=10).axes[0].lines) == 1


def test_plot_steps_errors():
    with pytest.raises(ValueError, match='at least one'):
        plot_steps([])
    with pytest.raises(ValueError, match='smooth'):
        plot_steps([1.0], smooth=0)
