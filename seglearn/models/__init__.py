"""Segmentation models in Chainer, as in their papers: FCN (VGG16), U-Net and FC-DenseNet.

Every model is a ``chainer.Chain`` with attributes ``n_class`` and ``in_channels``;
``forward(x)`` takes float32 (B, in_channels, H, W) images 0–255 and returns logits
(B, n_class, H, W) (a valid U-Net returns its smaller output size, see
:func:`unet_output_size`), and ``predict(imgs)`` returns one int32 (H, W) label map per image at
the image's size. :func:`summary` prints a per-layer table, :func:`trace_shapes` lists the output
shape of every link a forward pass calls and :func:`count_params` counts parameters.

The model zoo is :data:`MODELS`, one line per model: :func:`build` makes any of them by name
with the common options (classes, input channels, a width multiplier, a depth), and the command
line, model files (:mod:`seglearn.serialization` rebuilds only these classes), the tests and the
benchmarks all read it. A new model is a module here plus one line in :data:`MODELS`; its class
reads the common options in ``build_kwargs`` (see :class:`SegmentationModel`).
"""
import collections

from seglearn import recipes
from seglearn.models.common import (BilinearUpsampling2D, SegmentationModel,  # noqa: F401
                                    logits_for_prediction, scaled)
from seglearn.models.fcn import FCN8s, FCN8sAtOnce, FCN16s, FCN32s  # noqa: F401
from seglearn.models.summary import count_params, summary, trace_shapes  # noqa: F401
from seglearn.models.tiramisu import (PRESETS, DenseBlock, DenseLayer,  # noqa: F401
                                      FCDenseNet, FCDenseNet56, FCDenseNet67, FCDenseNet103,
                                      TransitionDown)
from seglearn.models.unet import (UNet, nearest_valid_input_size, skip_crops,  # noqa: F401
                                  unet_margin, unet_output_size, valid_input_sizes,
                                  valid_padding)
from seglearn.models.vgg import VGG16  # noqa: F401

ModelSpec = collections.namedtuple('ModelSpec', 'cls recipe preset')
ModelSpec.__new__.__defaults__ = ((),)
ModelSpec.__doc__ = """A model of the zoo: its class, its family's laptop recipe for the built-in
data (:mod:`seglearn.recipes`) and the constructor arguments of its preset (a tuple of
``(name, value)`` pairs, or a dict)."""

#: dict: the model zoo, name → :class:`ModelSpec`.
MODELS = {
    'fcn32s': ModelSpec(FCN32s, recipes.FCN),
    'fcn16s': ModelSpec(FCN16s, recipes.FCN),
    'fcn8s': ModelSpec(FCN8s, recipes.FCN),
    'fcn8s-atonce': ModelSpec(FCN8sAtOnce, recipes.FCN),
    'unet': ModelSpec(UNet, recipes.UNET),
    'fcdensenet56': ModelSpec(FCDenseNet, recipes.FCDENSENET, PRESETS[56]),
    'fcdensenet67': ModelSpec(FCDenseNet, recipes.FCDENSENET, PRESETS[67]),
    'fcdensenet103': ModelSpec(FCDenseNet, recipes.FCDENSENET, PRESETS[103]),
}


def build(name, n_class, in_channels=None, width=1.0, depth=None, **kwargs):
    """A model of the zoo, by name.

    Args:
        name (str): a key of :data:`MODELS`.
        n_class (int): number of classes.
        in_channels (int or None): input channels; None = the model's default (FCN takes RGB
            only: 3).
        width (float): channel multiplier, read by each family's ``build_kwargs``: FCN's VGG16
            width, U-Net's first level ``64·width`` channels, FC-DenseNet's first convolution
            ``48·width`` channels and growth rate ``growth·width``.
        depth (int or None): U-Net's number of poolings (None = 4); the other families have
            none.
        **kwargs: more constructor arguments; they override the preset and the options above.

    Returns:
        SegmentationModel: a new model (its constructor arguments are attributes, so
        :func:`seglearn.serialization.save_model` records them).

    Raises:
        ValueError: an unknown name, or an option the model does not have.
    """
    if name not in MODELS:
        raise ValueError('unknown model {!r}; the zoo has {}'.format(name, ', '.join(MODELS)))
    spec = MODELS[name]
    options = dict(spec.preset)
    options.update(spec.cls.build_kwargs(in_channels=in_channels, width=width, depth=depth,
                                         preset=options))
    options.update(kwargs)
    return spec.cls(n_class, **options)
