"""Shapes: a generated, download-free scene-parsing dataset for the FCN and FC-DenseNet chapters.

Every image is a small scene: one to ``max_shapes`` filled shapes (circles, squares, triangles;
rings and crosses on request) lying on a textured background. What makes it a segmentation
problem rather than a colour lookup:

* colours are random, for the background and for every shape, so colour alone never tells the
  class: the network has to look at the *form* of a region;
* the background is textured (a smooth colour gradient with blotches, or stripes) and the image
  carries Gaussian noise and a slight blur;
* shapes have random sizes and rotations and may overlap: a later shape hides an earlier one,
  in the image and in the label (occlusion).

Example ``i`` is generated from ``numpy.random.default_rng([seed, i])`` when it is asked for, so
the data set costs no memory, is the same on every machine, and any example can be regenerated
alone. ``ShapesDataset(n=1000, size=64)`` generates its 1,000 examples in about a second on one
laptop core.

>>> ds = ShapesDataset(n=100, size=64, seed=0)
>>> img, label = ds[0]
>>> img.shape, img.dtype, label.shape, label.dtype
((3, 64, 64), dtype('float32'), (64, 64), dtype('int32'))
>>> ds.class_names
['background', 'circle', 'square', 'triangle']
"""
import numpy

from seglearn._checks import check_choice, check_int, check_number, check_size
from seglearn.datasets import _base
from seglearn.datasets import _synth

#: Shapes the generator can draw. Geometry, for a shape of ``radius`` r: a circle of radius r;
#: a square of half-side 0.886 r (the circle's area); an equilateral triangle of circumradius
#: 1.3 r; a ring between radii 0.55 r and r; a plus-shaped cross of arm length r and half-width r/3.
SHAPES = ('circle', 'square', 'triangle', 'ring', 'cross')

TEXTURES = ('mixed', 'gradient', 'stripes', 'flat')


def shape_mask(shape, yy, xx, center, radius, angle):
    """Pixels covered by one shape (a pixel is in when its centre is).

    Args:
        shape (str): One of :data:`SHAPES`.
        yy, xx (numpy.ndarray): float32 ``(h, w)`` pixel-centre coordinates.
        center (tuple): ``(cy, cx)`` in pixels.
        radius (float): Size ``r`` in pixels (see :data:`SHAPES` for its meaning per shape).
        angle (float): Rotation in radians.

    Returns:
        numpy.ndarray: bool ``(h, w)``.
    """
    dy, dx = yy - numpy.float32(center[0]), xx - numpy.float32(center[1])
    c, s = numpy.float32(numpy.cos(angle)), numpy.float32(numpy.sin(angle))
    u, v = c * dx + s * dy, c * dy - s * dx  # coordinates in the shape's own (rotated) frame
    r = numpy.float32(radius)
    if shape == 'circle':
        return u * u + v * v <= r * r
    if shape == 'square':
        return numpy.maximum(abs(u), abs(v)) <= numpy.float32(0.886) * r
    if shape == 'triangle':
        inside = numpy.ones(u.shape, dtype=bool)
        for k in range(3):  # three half-planes at distance inradius = circumradius / 2
            phi = 2.0 * numpy.pi * k / 3.0 - numpy.pi / 2.0
            inside &= (numpy.float32(numpy.cos(phi)) * u + numpy.float32(numpy.sin(phi)) * v
                       <= numpy.float32(0.65) * r)
        return inside
    if shape == 'ring':
        rho2 = u * u + v * v
        return (rho2 <= r * r) & (rho2 >= (numpy.float32(0.55) * r) ** 2)
    if shape == 'cross':
        au, av, arm = abs(u), abs(v), r / numpy.float32(3.0)
        return ((au <= arm) & (av <= r)) | ((av <= arm) & (au <= r))
    raise ValueError('shape must be one of {}, got {!r}'.format(', '.join(SHAPES), shape))


class ShapesDataset(_base.SegmentationDataset):
    """Generated scenes of coloured shapes on textured backgrounds.

    Args:
        n (int): Number of examples.
        size (int or tuple): Image size, ``s`` or ``(h, w)``, at least 16 pixels per side.
        seed (int): Non-negative seed; example ``i`` comes from ``default_rng([seed, i])``.
        max_shapes (int): Each image has between 1 and ``max_shapes`` shapes.
        classes (tuple of str): ``'background'`` followed by names from :data:`SHAPES`; class
            ``c`` is ``classes[c]``.
        texture (str): Background: ``'mixed'`` (gradient or stripes, half and half),
            ``'gradient'`` (a smooth colour ramp with blotches), ``'stripes'`` or ``'flat'``
            (one colour; shapes are then flat too).
        noise (float): Standard deviation of the Gaussian pixel noise (0–255 scale).
        blur (float): Standard deviation in pixels of the Gaussian blur applied before the noise.
        radius (tuple): ``(min, max)`` shape size as a fraction of the shorter image side.
        contrast (float): Minimum RGB distance between a shape's colour and what it is drawn on
            (the background under it, and shapes it overlaps), so that every shape is visible.

    Each example is ``(img, label)``: ``img`` float32 ``(3, h, w)`` RGB 0–255, ``label`` int32
    ``(h, w)`` in ``[0, n_class)`` (no ignored pixels). :meth:`scene` tells what was drawn.
    """

    def __init__(self, n=1000, size=64, seed=0, max_shapes=4,
                 classes=('background', 'circle', 'square', 'triangle'), texture='mixed',
                 noise=10.0, blur=0.5, radius=(0.1, 0.25), contrast=60.0):
        self.n = check_int('n', n, 0)
        self.size = check_size(size, minimum=16)
        self.seed = check_int('seed', seed, 0)
        self.max_shapes = check_int('max_shapes', max_shapes, 1)
        classes = tuple(classes)
        if (len(classes) < 2 or classes[0] != 'background' or len(set(classes)) != len(classes)
                or not set(classes[1:]) <= set(SHAPES)):
            raise ValueError("classes must be 'background' followed by distinct names from {}, "
                             'got {!r}'.format(SHAPES, classes))
        self.class_names = list(classes)
        self.texture = check_choice('texture', texture, TEXTURES)
        self.noise, self.blur, self.contrast = (check_number(name, value, 0) for name, value in (
            ('noise', noise), ('blur', blur), ('contrast', contrast)))
        if not (isinstance(radius, (tuple, list)) and len(radius) == 2
                and all(isinstance(r, (int, float)) for r in radius)
                and 0 < radius[0] <= radius[1] <= 1):
            raise ValueError('radius must be (min, max) with 0 < min <= max <= 1, got {!r}'
                             .format(radius))
        self.radius = (float(radius[0]), float(radius[1]))
        self._grid = _synth.pixel_grid(self.size)

    def __len__(self):
        return self.n

    def _get(self, i):
        img, label, _ = self._generate(i)
        return img, label

    def scene(self, i):
        """What example ``i`` shows, in drawing order (later shapes hide earlier ones).

        Returns:
            list of dict: one per shape, with ``class_id`` (int), ``shape`` (str), ``center``
            (``(cy, cx)`` pixels), ``radius`` (pixels), ``angle`` (radians) and ``color``
            (float32 RGB).
        """
        return self._generate(self._index(i))[2]

    def _background(self, rng, texture):
        yy, xx = self._grid
        h, w = self.size
        c0 = rng.uniform(0.0, 255.0, 3).astype(numpy.float32)
        if texture == 'flat':
            return numpy.broadcast_to(c0[:, None, None], (3, h, w)).copy()
        c1 = numpy.clip(c0 + rng.normal(0.0, 45.0, 3), 0.0, 255.0).astype(numpy.float32)
        if texture == 'gradient':
            a = rng.uniform(0.0, 2.0 * numpy.pi)
            t = numpy.float32(numpy.cos(a)) * xx / w + numpy.float32(numpy.sin(a)) * yy / h
            t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
            t += numpy.float32(0.25) * _synth.smooth_field(rng, yy, xx, cycles=4.0)
        else:  # stripes
            period = rng.uniform(0.08, 0.25) * min(h, w)
            a = rng.uniform(0.0, numpy.pi)
            t = numpy.float32(numpy.cos(a)) * xx + numpy.float32(numpy.sin(a)) * yy
            t = numpy.float32(0.5) + numpy.float32(0.5) * numpy.sin(
                t * numpy.float32(2.0 * numpy.pi / period) + numpy.float32(rng.uniform(0, 6.3)))
        return c0[:, None, None] + (c1 - c0)[:, None, None] * t[None]

    def _pick_color(self, rng, under):
        """A random colour at least ``contrast`` away from every colour in ``under`` (k, 3)."""
        best, best_dist = None, -1.0
        for _ in range(20):
            color = rng.uniform(0.0, 255.0, 3).astype(numpy.float32)
            dist = float(numpy.sqrt(((under - color) ** 2).sum(axis=1)).min())
            if dist >= self.contrast:
                return color
            if dist > best_dist:
                best, best_dist = color, dist
        return best

    def _generate(self, i):
        rng = numpy.random.default_rng([self.seed, i])
        yy, xx = self._grid
        h, w = self.size
        texture = self.texture
        if texture == 'mixed':
            texture = ('gradient', 'stripes')[int(rng.integers(2))]
        img = self._background(rng, texture)
        label = numpy.zeros((h, w), dtype=numpy.int32)
        drawn = []
        side = min(h, w)
        for _ in range(int(rng.integers(1, self.max_shapes + 1))):
            class_id = int(rng.integers(1, self.n_class))
            shape = self.class_names[class_id]
            r = rng.uniform(*self.radius) * side
            center = (rng.uniform(0.1, 0.9) * (h - 1), rng.uniform(0.1, 0.9) * (w - 1))
            angle = rng.uniform(0.0, 2.0 * numpy.pi)
            mask = shape_mask(shape, yy, xx, center, r, angle)
            if not mask.any():
                continue
            under = [img[:, mask].mean(axis=1)]
            under += [d['color'] for d, m in drawn if (m & mask).any()]
            color = self._pick_color(rng, numpy.stack(under))
            if texture == 'flat':
                img[:, mask] = color[:, None]
            else:
                shade = numpy.float32(1.0) + numpy.float32(0.15) * _synth.smooth_field(
                    rng, yy, xx, cycles=2.0, n_waves=2)
                img[:, mask] = color[:, None] * shade[mask][None]
            label[mask] = class_id
            drawn.append((dict(class_id=class_id, shape=shape, center=center, radius=r,
                               angle=angle, color=color), mask))
        if self.blur > 0:
            from scipy import ndimage
            img = ndimage.gaussian_filter(img, sigma=(0.0, self.blur, self.blur), mode='nearest')
        if self.noise > 0:
            img += rng.normal(0.0, self.noise, img.shape).astype(numpy.float32)
        img = numpy.clip(img, 0.0, 255.0).astype(numpy.float32, copy=False)
        return img, label, [d for d, _ in drawn]
