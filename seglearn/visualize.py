"""Pictures of segmentations: coloured label maps, overlays, grids and training curves.

A label map is a 2-D array of class ids; to look at it we give each class a colour (a
*palette*, an ``(n_class, 3)`` uint8 array indexed by class id) and paint every pixel:
``palette[label]``. The functions take the palette as an argument: a data set's own
(``dataset.palette``; VOC and CamVid keep theirs beside their class names) or, when none is
given, :func:`seglearn.palettes.default_palette`. Ignored pixels (label ``-1``) are drawn in
:data:`seglearn.palettes.IGNORE_COLOR` (white), which no palette uses. Instance maps (one id per
object, as in U-Net's cells) are painted by :func:`colorize_instances` so that neighbouring
instances differ.

Figures: :func:`show_grid` (image / truth / prediction side by side), :func:`plot_log`
(training curves from a Chainer ``LogReport``), :func:`plot_confusion` (where the pixels of each
class went), :func:`plot_kernel` (a convolution kernel with its values) and :func:`plot_u_shape`
(an encoder–decoder such as U-Net or FC-DenseNet as boxes and arrows, labelled by the caller,
e.g. from :func:`seglearn.models.trace_shapes`).

Figures are made as ``matplotlib.figure.Figure`` objects without pyplot, so nothing opens a
window and the functions run headless: a notebook shows a figure that is the last value of a
cell (or ``display(fig)``); ``fig.savefig(path)`` writes it to a file.
"""
import json
import os

import numpy
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from seglearn import backend
from seglearn._checks import check_int, check_int_array
from seglearn.palettes import IGNORE_COLOR, default_palette

def _check_palette(palette):
    arr = numpy.asarray(palette)
    if arr.ndim != 2 or arr.shape[1] != 3 or arr.shape[0] == 0 or arr.dtype.kind not in 'iu' or \
            arr.min() < 0 or arr.max() > 255:
        raise ValueError('palette must be an (n, 3) array of ints in 0..255; got {}'.format(
            'shape {} dtype {}'.format(arr.shape, arr.dtype)))
    return arr.astype(numpy.uint8)


def _check_labels(label, name='label'):
    label = check_int_array(name, backend.to_numpy(label))
    if label.size and label.min() < -1:
        raise ValueError('{} holds {}: class ids must be >= 0, or -1 for ignore'.format(
            name, label.min()))
    return label


def _palette_for(labels, palette, n_min=1):
    if palette is not None:
        return _check_palette(palette)
    top = max([int(lab.max()) for lab in labels if lab.size] + [n_min - 1])
    return default_palette(max(top + 1, 1))


def colorize(label, palette=None):
    """Paint a label map with a palette.

    Args:
        label: int array ``(H, W)`` (any shape works) of class ids, -1 = ignore; NumPy or CuPy
            (moved to the host).
        palette: ``(n, 3)`` uint8-valued colours; None = ``default_palette(label.max() + 1)``.

    Returns:
        numpy.ndarray: uint8 ``(H, W, 3)``; ignored pixels are :data:`IGNORE_COLOR`.

    Raises:
        ValueError: a label is ``>= len(palette)`` or below -1.
    """
    label = _check_labels(label)
    palette = _palette_for([label], palette)
    if label.size and label.max() >= len(palette):
        raise ValueError('label holds class {} but the palette has only {} colours'.format(
            label.max(), len(palette)))
    out = palette[numpy.where(label < 0, 0, label)]
    out[label == -1] = IGNORE_COLOR
    return out


def to_hwc(img):
    """A float ``(C, H, W)`` 0–255 image (C = 1 or 3) as a displayable uint8 ``(H, W, 3)`` RGB.

    Args:
        img: float array ``(1, H, W)`` or ``(3, H, W)``, NumPy or CuPy.

    Returns:
        numpy.ndarray: uint8 ``(H, W, 3)``, values clipped to 0–255 and rounded (grey repeated).
    """
    img = backend.to_numpy(img)
    if img.ndim != 3 or img.shape[0] not in (1, 3):
        raise ValueError('img must be a (C, H, W) array with C = 1 or 3; got shape {}'.format(
            img.shape))
    if img.dtype.kind != 'f':
        raise TypeError('img must be a float array (0–255); got dtype {}'.format(img.dtype))
    hwc = numpy.broadcast_to(img, (3,) + img.shape[1:]).transpose(1, 2, 0)
    return numpy.clip(numpy.rint(hwc), 0, 255).astype(numpy.uint8)


def overlay(img, label, palette=None, alpha=0.5):
    """Blend the colours of a label map over an image.

    Args:
        img: float array ``(C, H, W)``, C = 1 or 3, values 0–255.
        label: int array ``(H, W)``, -1 = ignore (those pixels show the bare image).
        palette: ``(n, 3)`` colours; None = :func:`default_palette`.
        alpha (float): weight of the label colour, 0 (image only) to 1 (colours only).

    Returns:
        numpy.ndarray: uint8 ``(H, W, 3)``.
    """
    if not 0 <= alpha <= 1:
        raise ValueError('alpha must be in [0, 1]; got {!r}'.format(alpha))
    base = to_hwc(img)
    label = _check_labels(label)
    if label.shape != base.shape[:2]:
        raise ValueError('img and label must have the same spatial size; got img {} and label '
                         '{}'.format(base.shape[:2], label.shape))
    colours = colorize(label, palette)
    mixed = (1 - alpha) * base + alpha * colours.astype(numpy.float64)
    out = numpy.clip(numpy.rint(mixed), 0, 255).astype(numpy.uint8)
    out[label == -1] = base[label == -1]
    return out


def _neighbour_pairs(instances, reach):
    """Pairs (a, b), a < b, of instance ids with pixels at most ``reach`` rows and columns apart."""
    h, w = instances.shape
    pairs = [numpy.zeros((0, 2), dtype=instances.dtype)]
    for dy in range(reach + 1):
        for dx in range(-reach, reach + 1):
            if (dy == 0 and dx <= 0) or dy >= h or abs(dx) >= w:
                continue  # each offset once ((-dy, -dx) gives the same pairs), inside the map
            a = instances[:h - dy, max(0, -dx):w - max(0, dx)]
            b = instances[dy:, max(0, dx):w - max(0, -dx)]
            touching = (a > 0) & (b > 0) & (a != b)
            pairs.append(numpy.stack([numpy.minimum(a, b)[touching],
                                      numpy.maximum(a, b)[touching]], axis=1))
    return numpy.unique(numpy.concatenate(pairs), axis=0)


def colorize_instances(instances, reach=4):
    """Paint an instance map so that neighbouring instances never share a colour.

    Two instances are neighbours when a pixel of one is at most ``reach`` rows and ``reach``
    columns away from a pixel of the other (``reach = 1``: they touch, diagonals included;
    the default also separates cells across gaps of up to 3 pixels). Each instance, most
    neighbours first, takes the first colour of :func:`default_palette` (after black) that none
    of its already painted neighbours has: a greedy graph colouring, so a few colours serve many
    instances and touching cells stay distinguishable, unlike a colour per id from a cyclic
    colour map.

    Args:
        instances: int array ``(H, W)``: 0 = background, 1, 2, … one id per instance, -1 =
            ignore; NumPy or CuPy (moved to the host).
        reach (int): the distance in pixels (>= 1) up to which instances are neighbours.

    Returns:
        numpy.ndarray: uint8 ``(H, W, 3)``: background black, ignored pixels
        :data:`IGNORE_COLOR`.
    """
    instances = _check_labels(instances, 'instances')
    if isinstance(reach, bool) or not isinstance(reach, (int, numpy.integer)) or reach < 1:
        raise ValueError('reach must be an int >= 1; got {!r}'.format(reach))
    ids = numpy.unique(instances[instances > 0])
    neighbours = {int(i): set() for i in ids}
    for a, b in _neighbour_pairs(instances, int(reach)):
        neighbours[int(a)].add(int(b))
        neighbours[int(b)].add(int(a))
    colour = numpy.zeros(int(instances.max(initial=0)) + 1, dtype=numpy.int64)
    for i in sorted(neighbours, key=lambda i: (-len(neighbours[i]), i)):
        taken = {colour[j] for j in neighbours[i]}
        colour[i] = next(c for c in range(1, len(ids) + 2) if c not in taken)
    colour_ids = numpy.where(instances > 0, colour[numpy.maximum(instances, 0)], instances)
    return colorize(colour_ids, default_palette(int(colour.max(initial=0)) + 1))


def _as_list(x, name):
    if x is None:
        return None
    if hasattr(x, 'ndim') and hasattr(x, 'dtype'):
        x = backend.to_numpy(x)
        return [x[i] for i in range(len(x))]
    try:
        return list(x)
    except TypeError:
        raise TypeError('{} must be a list of arrays or a batch array; got {}'.format(
            name, type(x).__name__)) from None


def show_grid(imgs, gts, preds=None, palette=None, titles=None, class_names=None):
    """Images, their truth and (optionally) predictions side by side, one column per example.

    Args:
        imgs: list (or batch array) of float ``(C, H, W)`` images, C = 1 or 3, 0–255.
        gts: list (or batch array) of int ``(H, W)`` label maps.
        preds: optional list of int ``(H, W)`` predicted label maps.
        palette: ``(n, 3)`` colours; None = ``default_palette`` for ``len(class_names)`` or for
            the largest class shown.
        titles: optional list of column titles, one per example.
        class_names: optional list of class names; adds a legend of the class colours.

    Returns:
        matplotlib.figure.Figure: rows image / truth / prediction, ``len(imgs)`` columns.
    """
    imgs, gts, preds = _as_list(imgs, 'imgs'), _as_list(gts, 'gts'), _as_list(preds, 'preds')
    n = len(imgs)
    if n == 0:
        raise ValueError('imgs is empty: nothing to show')
    for name, seq in (('gts', gts), ('preds', preds), ('titles', titles)):
        if seq is not None and len(seq) != n:
            raise ValueError('{} must have one entry per image ({}); got {}'.format(
                name, n, len(seq)))
    gts = [_check_labels(g, 'gts') for g in gts]
    preds = None if preds is None else [_check_labels(p, 'preds') for p in preds]
    palette = _palette_for(gts + (preds or []), palette,
                           n_min=len(class_names) if class_names is not None else 1)
    rows = [('image', imgs), ('truth', gts)] + ([('prediction', preds)] if preds else [])
    fig = Figure(figsize=(2.4 * n, 2.4 * len(rows) + (0.6 if class_names else 0)))
    axes = fig.subplots(len(rows), n, squeeze=False)
    for r, (row_name, items) in enumerate(rows):
        for c, item in enumerate(items):
            ax = axes[r, c]
            ax.imshow(to_hwc(item) if r == 0 else colorize(item, palette), interpolation='nearest')
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(row_name)
            if r == 0 and titles is not None:
                ax.set_title(str(titles[c]))
    if class_names is not None:
        if len(class_names) > len(palette):
            raise ValueError('{} class names but only {} palette colours'.format(
                len(class_names), len(palette)))
        handles = [Patch(facecolor=palette[k] / 255.0, edgecolor='black', label=str(name))
                   for k, name in enumerate(class_names)]
        fig.legend(handles=handles, loc='lower center', ncol=min(len(handles), 6),
                   frameon=False)
    fig.tight_layout(rect=(0, 0.08 if class_names else 0, 1, 1))
    return fig


def _read_log(log):
    if isinstance(log, (str, os.PathLike)):
        with open(log) as f:
            log = json.load(f)
    if not isinstance(log, list) or not all(isinstance(e, dict) for e in log):
        raise TypeError('log must be the path of a Chainer LogReport file or a list of dicts')
    return log


def plot_log(log, keys, x='epoch', title=None):
    """Training curves from a Chainer ``LogReport``.

    Args:
        log: path of the ``log`` JSON file a ``LogReport`` writes in the trainer's ``out``
            folder, or the list of dicts it holds (``LogReport.log``).
        keys: a key (``'main/loss'``), a list of keys drawn on one axes, or a list of such lists,
            one axes each (``[['main/loss', 'validation/main/loss'], ['validation/main/miou']]``).
            Keys that the log never reports are skipped.
        x (str): ``'epoch'`` or ``'iteration'``.
        title (str): optional figure title.

    Returns:
        matplotlib.figure.Figure: one axes per group of keys.

    Raises:
        ValueError: none of the keys (of a group) is in the log, or the log has no ``x``.
    """
    entries = _read_log(log)
    if x not in ('epoch', 'iteration'):
        raise ValueError("x must be 'epoch' or 'iteration'; got {!r}".format(x))
    if isinstance(keys, str):
        keys = [keys]
    keys = list(keys)
    if all(isinstance(k, str) for k in keys):
        keys = [keys]
    groups = [[g] if isinstance(g, str) else list(g) for g in keys]
    if not groups or not all(groups):
        raise ValueError('keys must name at least one log key; got {!r}'.format(keys))
    available = sorted({k for e in entries for k in e})
    if x not in available:
        raise ValueError('the log has no {!r} values; available keys: {}'.format(x, available))
    fig = Figure(figsize=(5 * len(groups), 3.5))
    axes = fig.subplots(1, len(groups), squeeze=False)[0]
    for ax, group in zip(axes, groups):
        found = [k for k in group if k in available]
        if not found:
            raise ValueError('none of the keys {} is in the log; available keys: {}'.format(
                group, available))
        for key in found:
            points = [(e[x], e[key]) for e in entries if key in e and x in e]
            xs, ys = zip(*points)
            ax.plot(xs, ys, marker='o' if len(points) < 30 else None, label=key)
        ax.set_xlabel(x)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_steps(losses, n_class=None, smooth=25, title=None):
    """The loss of every training step, with its running mean and the chance line.

    Args:
        losses: the loss at steps 0, 1, 2, … (step 0: before the first update).
        n_class (int or None): draws the loss of a uniform guess, ln(n_class), as a dashed line
            (a zero-initialised score layer starts exactly there).
        smooth (int): window of the running mean drawn over the raw steps (1 = none).
        title (str): optional title.

    Returns:
        matplotlib.figure.Figure

    Raises:
        ValueError: fewer than one loss, or smooth < 1.
        TypeError: smooth is not an int.
    """
    losses = numpy.asarray([float(v) for v in losses], numpy.float64)
    if losses.size == 0:
        raise ValueError('plot_steps needs at least one loss')
    smooth = check_int('smooth', smooth, 1)
    fig = Figure(figsize=(7, 3.2))
    ax = fig.add_subplot()
    steps = numpy.arange(losses.size)
    ax.plot(steps, losses, color='0.75', lw=0.8, label='every step')
    if smooth > 1 and losses.size >= smooth:
        mean = numpy.convolve(losses, numpy.ones(smooth) / smooth, mode='valid')
        ax.plot(steps[smooth - 1:], mean, color='C0', lw=1.8,
                label='mean of the last {} steps'.format(smooth))
    if n_class is not None:
        ax.axhline(numpy.log(n_class), color='C3', ls='--', lw=1,
                   label='ln {} (a uniform guess)'.format(n_class))
    ax.set_xlim(0, max(1, losses.size - 1))
    ax.set_ylim(bottom=0)
    ax.set_xlabel('step')
    ax.set_ylabel('training loss')
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_confusion(confusion, class_names=None, normalize=True):
    """A confusion matrix as a heat map: rows = truth, columns = prediction.

    With ``normalize`` each row is divided by its sum, so the diagonal shows the class accuracy
    and a row shows where the pixels of that class went (rows of absent classes stay empty).

    Args:
        confusion: ``(n, n)`` array of counts (e.g. from :func:`seglearn.metrics.confusion_matrix`).
        class_names: optional list of ``n`` names for the ticks.
        normalize (bool): show row fractions instead of counts.

    Returns:
        matplotlib.figure.Figure: one axes with the heat map and a colour bar.
    """
    conf = backend.to_numpy(confusion)
    if conf.ndim != 2 or conf.shape[0] != conf.shape[1] or conf.dtype.kind not in 'iuf':
        raise ValueError('confusion must be a square (n, n) array of counts; got shape {}'.format(
            conf.shape))
    n = conf.shape[0]
    if class_names is not None and len(class_names) != n:
        raise ValueError('class_names must have {} names; got {}'.format(n, len(class_names)))
    values = conf.astype(numpy.float64)
    if normalize:
        rows = values.sum(axis=1, keepdims=True)
        values = numpy.divide(values, rows, out=numpy.zeros_like(values), where=rows > 0)
    fig = Figure(figsize=(1.5 + 0.5 * n, 1 + 0.5 * n))
    ax = fig.subplots()
    image = ax.imshow(values, cmap='Blues', vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, label='fraction of the true class' if normalize else 'pixels')
    ticks = list(range(n))
    names = [str(c) for c in class_names] if class_names is not None else ticks
    ax.set_xticks(ticks)
    ax.set_xticklabels(names, rotation=90)
    ax.set_yticks(ticks)
    ax.set_yticklabels(names)
    ax.set_xlabel('prediction')
    ax.set_ylabel('truth')
    if n <= 25:
        top = values.max() if values.size else 0
        for (i, j), v in numpy.ndenumerate(values):
            ax.text(j, i, '{:.2f}'.format(v) if normalize else '{:d}'.format(int(v)),
                    ha='center', va='center', fontsize=7,
                    color='white' if top and v > top / 2 else 'black')
    fig.tight_layout()
    return fig


def plot_kernel(kernel, title=None, annotate=True):
    """A 2-D filter (e.g. one bilinear upsampling kernel) as an image with its values.

    Args:
        kernel: ``(k, k)`` (or ``(kh, kw)``) float array; a Variable or CuPy array is moved to
            the host.
        title (str): optional axes title.
        annotate (bool): write each value in its cell (kernels up to 16×16).

    Returns:
        matplotlib.figure.Figure
    """
    kernel = backend.to_numpy(kernel)
    if kernel.ndim != 2:
        raise ValueError('kernel must be a 2-D array (kh, kw); got shape {}'.format(kernel.shape))
    fig = Figure(figsize=(1 + 0.45 * kernel.shape[1], 0.6 + 0.45 * kernel.shape[0]))
    ax = fig.subplots()
    image = ax.imshow(kernel, cmap='viridis')
    fig.colorbar(image, ax=ax)
    if annotate and max(kernel.shape) <= 16:
        for (i, j), v in numpy.ndenumerate(kernel):
            ax.text(j, i, '{:.2f}'.format(v), ha='center', va='center', fontsize=7, color='white')
    ax.set_xticks(range(kernel.shape[1]))
    ax.set_yticks(range(kernel.shape[0]))
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_u_shape(down, bottom, up, down_arrows, up_arrows, skips, first=None, last=None,
                 title=None):
    """An encoder–decoder drawn as a U: one box per level and arrows between them.

    The contracting path runs down the left, the expanding path up the right; each level's
    skip goes straight across. All texts come from the caller, so the figure shows whatever the
    model reports (sizes, channels, crops).

    Args:
        down (list of str): texts of the contracting boxes, top level first.
        bottom (str): text of the box at the bottom of the U.
        up (list of str): texts of the expanding boxes, top level first (as many as ``down``).
        down_arrows (list of str): label of the arrow from each ``down`` box to the level below.
        up_arrows (list of str): label of the arrow into each ``up`` box from the level below.
        skips (list of str): label of each level's skip arrow, top level first.
        first, last (str or None): a box before the first ``down`` box and after the first
            ``up`` box (the input and the output layer).
        title (str or None): the figure's title.

    Returns:
        matplotlib.figure.Figure
    """
    levels = len(down)
    if not levels or any(len(x) != levels for x in (up, down_arrows, up_arrows, skips)):
        raise ValueError('down, up, down_arrows, up_arrows and skips need the same number (>= 1) '
                         'of entries; got {}'.format([len(x) for x in (down, up, down_arrows,
                                                                        up_arrows, skips)]))
    step = 1.7
    down_xy = [(step * i, -i) for i in range(levels)] + [(step * (levels + 0.5), -levels)]
    up_xy = [(step * (2 * levels - i + 1), -i) for i in range(levels)]
    fig = Figure(figsize=(2.2 + 1.25 * (2 * levels + 3), 1.3 + 1.05 * (levels + 1)))
    ax = fig.subplots()

    def box(xy, text, colour):
        ax.add_patch(Rectangle((xy[0] - 0.7, xy[1] - 0.34), 1.4, 0.68, fc=colour, ec='k'))
        ax.text(xy[0], xy[1], text, ha='center', va='center', fontsize=7.5)

    def arrow(start, end, text, colour='k', **where):
        ax.annotate('', xy=end, xytext=start, arrowprops=dict(arrowstyle='->', color=colour))
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, text, fontsize=7,
                color=colour, **where)

    for i in range(levels):
        box(down_xy[i], down[i], '#bcd7f5')
        box(up_xy[i], up[i], '#c9e8c2')
        below = down_xy[i + 1]
        arrow((down_xy[i][0] + 0.2, -i - 0.34), (below[0] - 0.2, below[1] + 0.34),
              down_arrows[i] + '  ', ha='right', va='top')
        source = down_xy[levels] if i == levels - 1 else up_xy[i + 1]
        arrow((source[0] + 0.2, source[1] + 0.34), (up_xy[i][0] - 0.2, -i - 0.34),
              '  ' + up_arrows[i], ha='left', va='top')
        arrow((down_xy[i][0] + 0.7, -i), (up_xy[i][0] - 0.7, -i), skips[i], colour='0.45',
              ha='center', va='bottom')
    box(down_xy[levels], bottom, '#f4a6a6')
    left, right = -0.9, up_xy[0][0] + 0.9
    if first is not None:
        box((-2.1, 0), first, 'white')
        arrow((-1.4, 0), (-0.7, 0), '')
        left = -3.0
    if last is not None:
        box((up_xy[0][0] + 2.1, 0), last, 'white')
        arrow((up_xy[0][0] + 0.7, 0), (up_xy[0][0] + 1.4, 0), '')
        right = up_xy[0][0] + 3.0
    ax.set_xlim(left, right)
    ax.set_ylim(-levels - 0.7, 0.7)
    ax.axis('off')
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
