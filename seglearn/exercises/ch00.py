"""Chapter 00 (Setup): two warm-up exercises on the course's array conventions."""
import numpy

from seglearn.exercises.core import Case, Exercise, Property, allclose, register
from seglearn.messages import gettext


def _to_chw_reference(img):
    return numpy.ascontiguousarray(img.transpose(2, 0, 1)).astype(numpy.float32)


def _random_images(rng):
    cases = []
    for _ in range(8):
        h, w = (int(v) for v in rng.randint(1, 12, size=2))
        cases.append((rng.randint(0, 256, size=(h, w, 3)).astype(numpy.uint8),))
    return cases


def _keeps_input(fn):
    img = numpy.arange(24, dtype=numpy.uint8).reshape(2, 4, 3)
    before = img.copy()
    fn(img)
    if not numpy.array_equal(img, before):
        return gettext('your function changed the image it was given')
    return None


TO_CHW_STUB = '''
def to_chw(img):
    """An image as the course stores it.

    Args:
        img: uint8 array (H, W, 3), RGB, as read from a PNG file.

    Returns:
        float32 array (3, H, W), values 0-255 (not rescaled).
    """
    raise NotImplementedError  # your code here
'''

register(Exercise(
    name='to_chw',
    chapter='ch00',
    title='uint8 HWC image → float32 CHW, 0–255',
    reference=_to_chw_reference,
    stub=TO_CHW_STUB,
    cases=[
        Case(numpy.arange(12, dtype=numpy.uint8).reshape(2, 2, 3), _label='to_chw(2×2×3 ramp)'),
        Case(numpy.array([[[255, 0, 7]]], dtype=numpy.uint8),
             _label='to_chw(one pixel [255, 0, 7])'),
        Case(numpy.arange(30, dtype=numpy.uint8).reshape(2, 5, 3),
             _label='to_chw(2×5×3, height ≠ width)',
             _hint='Height and width must keep their order: (H, W, C) → (C, H, W).'),
    ],
    random_cases=_random_images,
    compare=allclose(rtol=0, atol=0),
    properties=[Property('leaves its input unchanged', _keeps_input)],
    hint='Move the channel axis to the front with a transpose, then change the dtype; '
         'the values stay in 0–255.',
    mistakes=[
        (lambda img: img.transpose(2, 1, 0).astype(numpy.float32),
         'transpose(2, 1, 0) also swaps height and width.'),
        (lambda img: img.transpose(2, 0, 1).astype(numpy.float32) / 255,
         'The course keeps pixel values in 0–255; do not rescale.'),
        (lambda img: img.transpose(2, 0, 1),
         'The values are right but the dtype must be float32.'),
    ],
))


def _class_counts_reference(label, n_class):
    label = numpy.asarray(label).ravel()
    return numpy.bincount(label[label >= 0], minlength=n_class).astype(numpy.int64)


def _random_labels(rng):
    cases = []
    for _ in range(10):
        n_class = int(rng.randint(2, 8))
        h, w = (int(v) for v in rng.randint(1, 10, size=2))
        label = rng.randint(-1, n_class, size=(h, w)).astype(numpy.int32)
        cases.append((label, n_class))
    return cases


CLASS_COUNTS_STUB = '''
def class_counts(label, n_class):
    """How many pixels of each class a label map holds; -1 (ignore) is not counted.

    Args:
        label: int32 array (H, W), values in {-1, 0, ..., n_class - 1}.
        n_class: the number of classes.

    Returns:
        int array (n_class,): entry c = number of pixels with label c.
    """
    raise NotImplementedError  # your code here
'''

register(Exercise(
    name='class_counts',
    chapter='ch00',
    title='pixels per class, ignoring -1',
    reference=_class_counts_reference,
    stub=CLASS_COUNTS_STUB,
    cases=[
        (numpy.array([[0, 1], [1, 2]], dtype=numpy.int32), 3),
        Case(numpy.array([[0, 0], [0, 0]], dtype=numpy.int32), 4,
             _hint='Classes that never occur still get an entry (0).'),
        Case(numpy.array([[-1, 1], [1, -1]], dtype=numpy.int32), 2,
             _hint='-1 marks pixels to ignore: they belong to no class.'),
    ],
    random_cases=_random_labels,
    compare=allclose(rtol=0, atol=0),
    hint='numpy.bincount counts non-negative integers; drop the -1 pixels first and ask for '
         'n_class bins.',
    mistakes=[
        (lambda label, n: numpy.bincount(numpy.asarray(label).ravel() % n, minlength=n),
         'label % n_class turns -1 into the last class; drop ignored pixels instead.'),
        (lambda label, n: numpy.bincount(label[label >= 0].ravel()),
         'Without minlength the array is short when the last classes are absent.'),
    ],
))
