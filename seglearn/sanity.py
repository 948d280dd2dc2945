"""Is a model learning, and does it look at the image? The checks every training chapter prints.

A segmentation score means little alone. :func:`baselines` scores the two answers that never
look at an image (all background, and the fixed mask of :func:`seglearn.metrics.position_prior`);
:func:`input_checks` asks the trained model about a blank grey image (it has no object) and about
the validation images with their pixels shuffled (the same colours, no shapes left). A model that
learned what objects look like beats the baselines, leaves the blank image background and loses
most of its gain on the shuffled pixels.
"""
import numpy

from seglearn import inference, metrics
from seglearn._checks import check_int

#: the value of every pixel of the blank image (the middle of the 0–255 range)
BLANK_VALUE = 128.0


def baselines(train_labels, gts, n_class):
    """The scores of the answers that never look at the image.

    Args:
        train_labels: int label maps of one shape (H, W), the training labels (for the fixed
            mask).
        gts: int label maps (H, W) of the images to score, of that shape.
        n_class (int): number of classes.

    Returns:
        dict: ``{'all background': result, 'fixed mask (position prior)': result}``, each
        result from :func:`seglearn.metrics.evaluate`.
    """
    gts = [numpy.asarray(gt) for gt in gts]
    prior = metrics.position_prior(train_labels, n_class)
    return {'all background': metrics.evaluate([numpy.zeros_like(g) for g in gts], gts, n_class),
            'fixed mask (position prior)': metrics.evaluate([prior] * len(gts), gts, n_class)}


def shuffle_pixels(img, seed=0):
    """The image with its pixel positions permuted (every channel alike).

    Args:
        img: float32 (C, H, W) image.
        seed (int): seeds the permutation.

    Returns:
        numpy.ndarray: float32 (C, H, W), the same pixel values in random places.
    """
    img = numpy.asarray(img, numpy.float32)
    if img.ndim != 3:
        raise ValueError('img must be (C, H, W), got shape {}'.format(img.shape))
    order = numpy.random.RandomState(check_int('seed', seed, 0)).permutation(
        img.shape[1] * img.shape[2])
    return img.reshape(img.shape[0], -1)[:, order].reshape(img.shape)


def input_checks(model, images, gts, n_class, seed=0):
    """What a trained model makes of a blank image and of its images with shuffled pixels.

    Args:
        model: a segmentation model (:func:`seglearn.inference.predict` runs it).
        images: float32 (C, H, W) images, e.g. the validation images.
        gts: their int label maps (H, W).
        n_class (int): number of classes.
        seed (int): image ``i`` is shuffled with seed ``seed + i``.

    Returns:
        dict: ``blank`` (float, the fraction of a blank grey image of the first image's shape
        predicted as some object, not background), ``blank_image`` and ``blank_prediction``
        (for a picture), ``shuffled`` (the :func:`seglearn.metrics.evaluate` result on the
        shuffled images) and ``shuffled_images``.
    """
    images = [numpy.asarray(img, numpy.float32) for img in images]
    if not images:
        raise ValueError('input_checks needs at least one image')
    blank = numpy.full(images[0].shape, BLANK_VALUE, numpy.float32)
    blank_prediction = inference.predict(model, blank)
    shuffled = [shuffle_pixels(img, seed + i) for i, img in enumerate(images)]
    result = metrics.evaluate([inference.predict(model, img) for img in shuffled], list(gts),
                              n_class)
    return dict(blank=float(numpy.mean(blank_prediction > 0)), blank_image=blank,
                blank_prediction=blank_prediction, shuffled=result, shuffled_images=shuffled)
