"""Segmentation models in Chainer, as in their papers: FCN (VGG16), U-Net and FC-DenseNet.

Every model is a ``chainer.Chain`` with attributes ``n_class`` and ``in_channels``;
``forward(x)`` takes float32 (B, in_channels, H, W) images 0–255 and returns logits
(B, n_class, H, W) (a valid U-Net returns its smaller output size, see
:func:`unet_output_size`), and ``predict(imgs)`` returns one int32 (H, W) label map per image at
the image's size. :func:`summary` prints a per-layer table, :func:`trace_shapes` lists the output
shape of every link a forward pass calls and :func:`count_params` counts parameters.
"""
from seglearn.models.common import BilinearUpsampling2D, SegmentationModel  # noqa: F401
from seglearn.models.fcn import FCN8s, FCN8sAtOnce, FCN16s, FCN32s  # noqa: F401
from seglearn.models.summary import count_params, summary, trace_shapes  # noqa: F401
from seglearn.models.tiramisu import (FCDenseNet, FCDenseNet56, FCDenseNet67,  # noqa: F401
                                      FCDenseNet103)
from seglearn.models.unet import (UNet, nearest_valid_input_size, skip_crops,  # noqa: F401
                                  unet_margin, unet_output_size, valid_input_sizes,
                                  valid_padding)
from seglearn.models.vgg import VGG16  # noqa: F401
