"""Chapter 02 (Chainer and CuPy in practice): xp-agnostic array code and counting a Chain's
parameters."""
import chainer
import chainer.functions as F
import chainer.links as L
import numpy

from seglearn import models
from seglearn.exercises import probes
from seglearn.exercises.core import Case, Exercise, Property, allclose, register
from seglearn.messages import gettext


# --------------------------------------------------------------------------- softmax

def _softmax_reference(x, axis=1):
    return F.softmax(x, axis=axis).array


SOFTMAX_STUB = '''
def softmax(x, axis=1):
    """Softmax along one axis, for NumPy and CuPy arrays alike, without overflow.

    Args:
        x: float32 array (for example logits (B, n_class, H, W)), NumPy or CuPy.
        axis: the class axis.

    Returns:
        float32 array of x's shape and array module; it sums to 1 along axis.
    """
    raise NotImplementedError  # your code here
'''


def _random_logits(rng):
    cases = []
    for _ in range(10):
        ndim = int(rng.randint(2, 5))
        shape = tuple(int(v) for v in rng.randint(1, 5, size=ndim))
        axis = int(rng.randint(0, ndim))
        x = (rng.randn(*shape) * 10).astype(numpy.float32)
        cases.append(Case(x, axis=axis))
    return cases


def _sums_to_one_on_huge_logits(fn):
    x = numpy.array([[1000., 0., -1000.], [3000., 3000., 3000.]], numpy.float32)
    y = numpy.asarray(fn(x, axis=1), dtype=numpy.float64)
    if not numpy.isfinite(y).all():
        return gettext('logits like 1000 give inf/nan: exp overflows float32 (exp(89) is already '
                       'inf)')
    return None


def _softmax_on_cupy(fn):
    return probes.same_on_cupy(fn, _softmax_reference,
                               numpy.arange(6, dtype=numpy.float32).reshape(2, 3))


def _softmax_unstable(x, axis=1):
    e = numpy.exp(x)
    return (e / e.sum(axis=axis, keepdims=True)).astype(numpy.float32)


def _softmax_wrong_axis(x, axis=1):
    e = numpy.exp(x - x.max())
    return (e / e.sum()).astype(numpy.float32)


register(Exercise(
    name='softmax',
    chapter='ch02',
    title='numerically stable, xp-agnostic softmax',
    reference=_softmax_reference,
    stub=SOFTMAX_STUB,
    cases=[
        (numpy.array([[0., 1., 2.]], numpy.float32),),
        Case(numpy.array([[1., 2.], [3., 5.]], numpy.float32), axis=0),
        Case(numpy.array([[500., 0.], [-500., 100.]], numpy.float32), axis=1,
             _hint='Subtracting the maximum along the axis changes nothing mathematically and '
                   'keeps exp() finite.'),
        Case(numpy.zeros((1, 3, 2, 2), numpy.float32), axis=1),
    ],
    random_cases=_random_logits,
    compare=allclose(rtol=1e-4, atol=1e-6),
    properties=[
        Property('finite on logits of ±1000', _sums_to_one_on_huge_logits),
        Property('CuPy in → CuPy out', _softmax_on_cupy, gpu=True),
    ],
    forbidden=[F.softmax, F.log_softmax],
    hint='xp = chainer.backend.get_array_module(x) gives numpy or cupy; use xp.exp, subtract '
         'x.max(axis=axis, keepdims=True) first, and divide by the sum along the same axis.',
    mistakes=[
        (_softmax_unstable, 'exp() of large logits overflows: subtract the maximum first.'),
        (_softmax_wrong_axis, 'The sum must run along `axis` only (keepdims=True keeps the '
                              'shapes broadcastable).'),
    ],
))


# --------------------------------------------------------------------------- one_hot

ONE_HOT_STUB = '''
def one_hot(label, n_class):
    """One-hot encode a label map; ignored pixels (-1) get all zeros.

    Args:
        label: int32 array (H, W), values in {-1, 0, ..., n_class - 1}, NumPy or CuPy.
        n_class: number of classes.

    Returns:
        float32 array (n_class, H, W) of the same array module: out[c, y, x] = 1 where
        label[y, x] == c, else 0.
    """
    raise NotImplementedError  # your code here
'''


def _one_hot_reference(label, n_class):
    classes = numpy.arange(n_class).reshape(-1, 1, 1)
    return (label[None] == classes).astype(numpy.float32)


def _random_one_hot(rng):
    cases = []
    for _ in range(10):
        n_class = int(rng.randint(1, 7))
        shape = tuple(int(v) for v in rng.randint(1, 8, size=2))
        cases.append((rng.randint(-1, n_class, size=shape).astype(numpy.int32), n_class))
    return cases


def _one_hot_on_cupy(fn):
    return probes.same_on_cupy(fn, _one_hot_reference,
                               numpy.array([[0, -1], [1, 1]], numpy.int32), 2)


def _one_hot_eye(label, n_class):
    return numpy.eye(n_class, dtype=numpy.float32)[label].transpose(2, 0, 1)


def _one_hot_last_axis(label, n_class):
    return (label[..., None] == numpy.arange(n_class)).astype(numpy.float32)


register(Exercise(
    name='one_hot',
    chapter='ch02',
    title='one-hot (n_class, H, W) with the ignore label, xp-agnostic',
    reference=_one_hot_reference,
    stub=ONE_HOT_STUB,
    cases=[
        (numpy.array([[0, 1], [2, 1]], numpy.int32), 3),
        Case(numpy.array([[-1, 0], [1, -1]], numpy.int32), 2,
             _hint='A -1 pixel must be zero in every channel; eye(n)[-1] picks the last row.'),
        Case(numpy.array([[0, 2, 1]], numpy.int32), 3, _hint='The class axis comes first.'),
    ],
    random_cases=_random_one_hot,
    compare=allclose(rtol=0, atol=0),
    properties=[Property('CuPy in → CuPy out', _one_hot_on_cupy, gpu=True)],
    hint='Compare the label with every class at once: label[None] == xp.arange(n_class) shaped '
         '(n_class, 1, 1) broadcasts to (n_class, H, W); -1 equals no class.',
    mistakes=[
        (_one_hot_eye, 'Indexing eye(n) with -1 gives the last class, not zeros.'),
        (_one_hot_last_axis, 'The class axis must come first: (n_class, H, W).'),
    ],
))


# --------------------------------------------------------------------------- count_params

COUNT_STUB = '''
def count_params(link):
    """Number of scalar parameters (weights and biases) of a Link or Chain.

    Args:
        link: a chainer.Link (for example a Chain with Convolution2D and Linear children),
            all of whose parameters are initialised.

    Returns:
        int
    """
    raise NotImplementedError  # your code here
'''


class _TwoConvs(chainer.Chain):
    def __init__(self, c, nobias=False):
        super().__init__()
        with self.init_scope():
            self.conv1 = L.Convolution2D(c, 8, 3, pad=1)
            self.conv2 = L.Convolution2D(8, 4, 1, nobias=nobias)
            self.fc = L.Linear(16, 5)


def _count_reference(link):
    return int(sum(p.array.size for p in link.params()))


def _random_chains(rng):
    out = []
    for _ in range(4):
        c = int(rng.randint(1, 5))
        out.append(Case(_TwoConvs(c, nobias=bool(rng.randint(0, 2))),
                        _label='count_params(Chain(conv {}→8 k3, conv 8→4 k1, linear 16→5))'
                        .format(c)))
    return out


register(Exercise(
    name='count_params',
    chapter='ch02',
    title='parameters of a Chain',
    reference=_count_reference,
    stub=COUNT_STUB,
    forbidden=[models.count_params],
    cases=[
        Case(L.Linear(3, 2), _label='count_params(L.Linear(3, 2))'),
        Case(L.Convolution2D(3, 16, 3), _label='count_params(L.Convolution2D(3, 16, 3))'),
        Case(L.Convolution2D(3, 16, 3, nobias=True),
             _label='count_params(L.Convolution2D(3, 16, 3, nobias=True))'),
        Case(_TwoConvs(3), _label='count_params(Chain(conv 3→8 k3, conv 8→4 k1, linear 16→5))',
             _hint='A Chain\'s params() walks its children too.'),
    ],
    random_cases=_random_chains,
    hint='link.params() yields every Parameter of the link and its children; each has .array '
         '(or .size).',
    mistakes=[
        (lambda link: len(list(link.params())), 'That counts Parameter objects, not the numbers '
                                                'inside them.'),
        (lambda link: int(sum(p.array.size for n, p in link.namedparams() if n.endswith('/W'))),
         'Biases are parameters too.'),
    ],
))
