"""Random smooth fields for the generated datasets (textures, gradients, uneven illumination)."""
import numpy


def pixel_grid(size):
    """Pixel-centre coordinates of an ``(h, w)`` image.

    Returns:
        tuple: ``yy`` and ``xx``, float32 ``(h, w)``; pixel ``(y, x)`` has centre ``(y, x)``.
    """
    h, w = size
    yy, xx = numpy.meshgrid(numpy.arange(h, dtype=numpy.float32),
                            numpy.arange(w, dtype=numpy.float32), indexing='ij')
    return yy, xx


def smooth_field(rng, yy, xx, cycles=2.0, n_waves=4):
    """A smooth random field: a sum of plane waves with random direction, frequency and phase.

    Args:
        rng (numpy.random.Generator): Source of randomness.
        yy, xx (numpy.ndarray): float32 ``(h, w)`` pixel coordinates (see :func:`pixel_grid`).
        cycles (float): Highest number of periods across the longer image side.
        n_waves (int): Number of plane waves summed.

    Returns:
        numpy.ndarray: float32 ``(h, w)``, mean about 0, values within ``[-1, 1]``.
    """
    side = float(max(yy.shape))
    angle = rng.uniform(0.0, 2.0 * numpy.pi, n_waves)
    freq = rng.uniform(0.3, 1.0, n_waves) * (2.0 * numpy.pi * cycles / side)
    phase = rng.uniform(0.0, 2.0 * numpy.pi, n_waves)
    field = numpy.zeros(yy.shape, dtype=numpy.float32)
    for a, f, p in zip(angle, freq, phase):
        fy, fx = numpy.float32(f * numpy.sin(a)), numpy.float32(f * numpy.cos(a))
        field += numpy.cos(fy * yy + fx * xx + numpy.float32(p))
    return field / numpy.float32(n_waves)
