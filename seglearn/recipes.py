"""Laptop recipes: the settings with which each family learns the built-in data in CPU minutes.

The command line trains with these when ``--data`` is a built-in generated set (``shapes`` or
``cells``) and an option is not given, so ``seglearn train fcn8s --data shapes`` trains what the
course's chapters train on the CPU: a narrow model, small images, a fixed number of steps, Adam,
horizontal flips and no dropout. The papers' settings (full width, dropout, weeks of GPU time on
real data) stay the defaults for real data sets.

Why these, per family (the chapters show each one learning):

* FCN (chapters 06 and 07): 128-pixel images, so that an output stride of 32 leaves a 5×5 score
  grid; VGG16 at 1/8 of its channels; 600 steps of 4 images.
* U-Net (chapter 09's narrow network, one level deeper): depth 4, 8 channels at the first level,
  batch normalisation, 64 pixels, 600 steps of 4. Chapter 09 compares its weight map at depth 3
  on 48 cell images; on shapes, depth 3 with the same steps stayed near the all-background
  answer, so the recipe adds the fourth level (a wider field of view for whole circles).
* FC-DenseNet (chapter 11): width 1/3 (growth rate 4, 16 first channels), 64 pixels, so that the
  five poolings leave a 2×2 bottleneck; 400 steps of 8 images.

The seconds each recipe takes on two CPU cores are measured in ``benchmarks/RESULTS.md``
("The command line's recipes").
"""
import collections

Recipe = collections.namedtuple('Recipe', 'width depth size n_train epochs batch_size lr flip '
                                          'model_options')
Recipe.__doc__ = """How one family trains on the built-in data by default.

Attributes:
    width (float): the zoo's channel multiplier (:func:`seglearn.models.build`).
    depth (int or None): U-Net's poolings (None: the family has no depth option).
    size (int): image side in pixels.
    n_train (int): training images; the steps are ``epochs · n_train / batch_size``.
    epochs (int): passes over them.
    batch_size (int): images per step.
    lr (float): Adam's learning rate.
    flip (bool): random horizontal flips.
    model_options (tuple of (str, value)): more constructor arguments (dropout, normalisation).
"""

FCN = Recipe(width=1 / 8, depth=None, size=128, n_train=400, epochs=6, batch_size=4, lr=1e-3,
             flip=True, model_options=(('dropout', 0.0),))
UNET = Recipe(width=1 / 8, depth=4, size=64, n_train=400, epochs=6, batch_size=4, lr=1e-3,
              flip=True, model_options=(('dropout', 0.0), ('batch_norm', True)))
FCDENSENET = Recipe(width=1 / 3, depth=None, size=64, n_train=800, epochs=4, batch_size=8, lr=2e-3,
                    flip=True, model_options=(('dropout', 0.0),))


def steps(recipe):
    """Training steps of a recipe (int): ``epochs · ceil(n_train / batch_size)``."""
    return recipe.epochs * -(-recipe.n_train // recipe.batch_size)


def option_text(name, value):
    """A constructor argument in words (str): ``dropout 0``, ``batch norm``, ``no batch norm``."""
    name = name.replace('_', ' ')
    if isinstance(value, bool):
        return name if value else 'no ' + name
    return '{} {:g}'.format(name, value)


def describe(recipe):
    """One line saying what a recipe trains (str), e.g. for ``seglearn train``'s first line."""
    options = ''.join(', ' + option_text(k, v) for k, v in recipe.model_options)
    return ('width {:.3g}{}{}, {}×{} px, {} images × {} epochs = {} steps of {}, Adam {:g}{}'
            .format(recipe.width, '' if recipe.depth is None else ', depth {}'.format(recipe.depth),
                    options, recipe.size, recipe.size, recipe.n_train, recipe.epochs,
                    steps(recipe), recipe.batch_size, recipe.lr, ', flips' if recipe.flip else ''))
