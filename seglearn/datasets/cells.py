"""Cells: generated microscopy-like images of touching cells, for the U-Net chapters.

The U-Net paper's hardest case is *touching objects of the same class*: two cells that press
against each other are separated only by a background gap a pixel or two wide. A network
trained with the plain cross-entropy gets almost every pixel right and still merges the two
cells, because the gap is a tiny fraction of the pixels. The paper's answer is a weight map
that up-weights those gaps (``seglearn.losses.unet_weight_map``), which needs the *instances*:
which pixels belong to which cell.

How an image is made:

1. cell centres on a jittered grid (some left empty), each cell an ellipse with a random size,
   aspect ratio and orientation and a wavy outline; cells are large enough that neighbours
   overlap, and where they overlap the pixel goes to the cell it is relatively deepest in;
2. wherever two cells meet, a background gap 1–3 pixels wide is carved between them, so touching
   cells never share a border (not even diagonally) and the label has real background there;
3. grey levels: dark background, cells brighter towards their centre, a darker nucleus, a
   grainy texture, uneven illumination over the whole field, a Gaussian blur and Gaussian noise.
   After the blur the thinnest gaps are faint: visible, but easy to miss.

Example ``i`` is generated from ``numpy.random.default_rng([seed, i])`` when it is asked for.

>>> ds = CellsDataset(n=10, size=128)
>>> img, label = ds[0]
>>> img.shape, label.shape, ds.instances(0).max() > 1
((1, 128, 128), (128, 128), True)
"""
import numpy
from scipy import ndimage

from seglearn._checks import check_int, check_number, check_size, int_tuple, is_int
from seglearn.datasets import _base
from seglearn.datasets import _synth


class CellsDataset(_base.SegmentationDataset):
    """Generated grey images of closely packed cells with thin gaps between touching cells.

    Args:
        n (int): Number of examples.
        size (int or tuple): Image size, ``s`` or ``(h, w)``, at least 32 pixels per side.
        seed (int): Non-negative seed; example ``i`` comes from ``default_rng([seed, i])``.
        cell_size (float): Mean cell spacing (about the diameter) in pixels, at least 8.
        gap (tuple): ``(min, max)`` width in pixels of the gap between touching cells, drawn per
            image, ``1 <= min <= max``.
        empty (float): Fraction of grid places left without a cell, in ``[0, 1)``.
        noise (float): Standard deviation of the Gaussian noise (0–255 scale).
        blur (float): Standard deviation in pixels of the Gaussian blur.

    Each example is ``(img, label)``: ``img`` float32 ``(1, h, w)`` 0–255, ``label`` int32
    ``(h, w)`` with 0 = background (gaps included) and 1 = cell. :meth:`instances` gives the
    cells one by one.
    """

    class_names = ['background', 'cell']

    def __init__(self, n=200, size=128, seed=0, cell_size=24.0, gap=(1, 3), empty=0.15,
                 noise=8.0, blur=1.0):
        self.n = check_int('n', n, 0)
        self.size = check_size(size, minimum=32)
        self.seed = check_int('seed', seed, 0)
        if not isinstance(cell_size, (int, float)) or cell_size < 8:
            raise ValueError('cell_size must be a number >= 8 (pixels), got {!r}'.format(cell_size))
        self.cell_size = float(cell_size)
        self.gap = int_tuple(gap, 2, 1)
        if self.gap is None or not self.gap[0] <= self.gap[1] or is_int(gap):
            raise ValueError('gap must be (min, max) ints with 1 <= min <= max, got {!r}'
                             .format(gap))
        if not isinstance(empty, (int, float)) or not 0 <= empty < 1:
            raise ValueError('empty must be a fraction in [0, 1), got {!r}'.format(empty))
        self.empty = float(empty)
        self.noise, self.blur = check_number('noise', noise, 0), check_number('blur', blur, 0)
        self._grid = _synth.pixel_grid(self.size)

    def __len__(self):
        return self.n

    def _get(self, i):
        img, instances = self._generate(i)
        return img, (instances > 0).astype(numpy.int32)

    def instances(self, i):
        """Instance map of example ``i``.

        Returns:
            numpy.ndarray: int32 ``(h, w)``: 0 = background, ``1..k`` = cell ids. Two different
            cells are never 8-adjacent: a background gap always lies between them.
        """
        return self._generate(self._index(i))[1]

    def _layout(self, rng):
        """Cell centres on a jittered grid and each cell's normalised distance map.

        Returns:
            numpy.ndarray: float32 ``(k, h, w)``: 0 at the centre of cell ``k``, 1 on its
            outline, ``inf`` far from it (only a window around each cell is computed).
        """
        h, w = self.size
        step = self.cell_size
        gy = numpy.arange(-0.5, h / step + 0.5) * step
        gx = numpy.arange(-0.5, w / step + 0.5) * step
        cy, cx = (a.ravel() for a in numpy.meshgrid(gy, gx, indexing='ij'))
        cy = cy + rng.uniform(-0.3, 0.3, cy.size) * step
        cx = cx + rng.uniform(-0.3, 0.3, cx.size) * step
        keep = rng.random(cy.size) >= self.empty
        cy, cx = cy[keep], cx[keep]
        k = cy.size
        radius = rng.uniform(0.55, 0.72, k) * step
        aspect = rng.uniform(1.0, 1.35, k)
        orient = rng.uniform(0.0, numpy.pi, k)
        amp = rng.uniform(0.0, 0.06, (3, k))
        phase = rng.uniform(0.0, 2.0 * numpy.pi, (3, k))

        # a square window per cell, large enough for the longest possible outline
        half = int(numpy.ceil(0.72 * step * numpy.sqrt(1.35) * 1.18)) + 1
        offsets = numpy.arange(-half, half + 1, dtype=numpy.float32)
        y0, x0 = numpy.round(cy).astype(int), numpy.round(cx).astype(int)

        def per_cell(a):
            return numpy.asarray(a, dtype=numpy.float32)[:, None, None]

        dy = per_cell(y0 - cy) + offsets[None, :, None]  # (k, n, 1): window rows - centre
        dx = per_cell(x0 - cx) + offsets[None, None, :]  # (k, 1, n)
        c, s, a = per_cell(numpy.cos(orient)), per_cell(numpy.sin(orient)), per_cell(
            numpy.sqrt(aspect))
        u, v = (c * dx + s * dy) / a, (c * dy - s * dx) * a
        rho = numpy.sqrt(u * u + v * v)
        theta = numpy.arctan2(v, u)
        wobble = numpy.ones_like(rho)
        for j, harmonic in enumerate((2, 3, 5)):  # a wavy, cell-like outline
            wobble += per_cell(amp[j]) * numpy.cos(numpy.float32(harmonic) * theta
                                                   + per_cell(phase[j]))
        local = rho / (per_cell(radius) * wobble)

        # paste each window into a padded (k, h, w) map of inf, then crop the padding
        top, left = max(0, half - int(y0.min())), max(0, half - int(x0.min()))
        bottom, right = max(0, int(y0.max()) + half + 1 - h), max(0, int(x0.max()) + half + 1 - w)
        dist = numpy.full((k, top + h + bottom, left + w + right), numpy.inf,
                          dtype=numpy.float32)
        for i in range(k):
            y, x = y0[i] - half + top, x0[i] - half + left
            dist[i, y:y + 2 * half + 1, x:x + 2 * half + 1] = local[i]
        dist = dist[:, top:top + h, left:left + w]
        return dist

    @staticmethod
    def _carve(instances, width):
        """Sets to background every cell pixel closer than ``width + 1`` pixels to another cell.

        Pass ``t = 1..width`` removes the pixels of each cell within Chebyshev distance ``t`` of
        a cell with a larger id (odd ``t``) or a smaller id (even ``t``), so the gap is shared
        by both sides and afterwards any two cells are at least ``width + 1`` apart: never
        8-adjacent, always separated by ``width`` background pixels or more.
        """
        big = numpy.iinfo(numpy.int32).max
        for t in range(1, width + 1):
            inside = instances > 0
            if t % 2:
                near = ndimage.maximum_filter(instances, size=2 * t + 1) > instances
            else:
                as_big = numpy.where(inside, instances, big)
                near = ndimage.minimum_filter(as_big, size=2 * t + 1) < instances
            instances = numpy.where(inside & near, 0, instances)
        return instances

    def _generate(self, i):
        rng = numpy.random.default_rng([self.seed, i])
        yy, xx = self._grid
        dist = self._layout(rng)
        owner = dist.argmin(axis=0)
        depth = numpy.take_along_axis(dist, owner[None], axis=0)[0]
        instances = numpy.where(depth < 1.0, owner + 1, 0).astype(numpy.int32)
        instances = self._carve(instances, int(rng.integers(self.gap[0], self.gap[1] + 1)))
        # drop slivers left at the image border or by the carving, and renumber 1..k
        ids, counts = numpy.unique(instances, return_counts=True)
        ids = ids[(ids > 0) & (counts >= max(8, int(0.05 * self.cell_size ** 2)))]
        lookup = numpy.zeros(dist.shape[0] + 1, dtype=numpy.int32)
        lookup[ids] = numpy.arange(1, ids.size + 1, dtype=numpy.int32)
        instances = lookup[instances]

        k = dist.shape[0]
        brightness = rng.uniform(120.0, 210.0, k + 1).astype(numpy.float32)
        inside = instances > 0
        cell = brightness[owner + 1] * (numpy.float32(1.0) - numpy.float32(0.35) * depth ** 2)
        cell *= numpy.where(depth < numpy.float32(rng.uniform(0.3, 0.4)), numpy.float32(0.8),
                            numpy.float32(1.0))  # nucleus
        cell *= numpy.float32(1.0) + numpy.float32(0.12) * _synth.smooth_field(
            rng, yy, xx, cycles=12.0, n_waves=8)  # grain
        background = numpy.float32(rng.uniform(25.0, 55.0))
        img = numpy.where(inside, cell, background)
        img *= numpy.float32(1.0) + numpy.float32(0.25) * _synth.smooth_field(
            rng, yy, xx, cycles=1.5, n_waves=3)  # uneven illumination
        if self.blur > 0:
            img = ndimage.gaussian_filter(img, sigma=self.blur, mode='nearest')
        if self.noise > 0:
            img += rng.normal(0.0, self.noise, img.shape).astype(numpy.float32)
        img = numpy.clip(img, 0.0, 255.0).astype(numpy.float32)[None]
        return img, instances
