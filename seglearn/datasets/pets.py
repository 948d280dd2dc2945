"""Oxford-IIIT Pet trimaps as a two-class (pet / background) segmentation set (no download here).

Each of the 7,349 photos of cats and dogs comes with a *trimap*: 1 = pet, 2 = background,
3 = "not classified", a band along the outline where the annotators did not decide. We map
1 → class 1 (pet), 2 → class 0 (background) and 3 → ``-1`` (ignored), so that the uncertain band
counts neither in the loss nor in the metrics. ``keep_border=True`` keeps it as a third class
instead.

Get the data with ``seglearn.datasets.download('pets', root)`` (``images.tar.gz`` and
``annotations.tar.gz``), then ``OxfordPets(root, 'trainval')``.
"""
import os

from seglearn._checks import check_choice
from seglearn.datasets import _base
from seglearn.datasets.fetch import DataSource, Resource

LAYOUT = """<root>/
  images/<name>.jpg
  annotations/trimaps/<name>.png   1 = pet, 2 = background, 3 = border
  annotations/{trainval,test}.txt  '<name> <class> <species> <breed>' per line"""

SPLITS = ('trainval', 'test')

#: Where :func:`seglearn.datasets.download` gets it (MD5s as torchvision records them).
SOURCE = DataSource(
    resources=[
        Resource('https://www.robots.ox.ac.uk/~vgg/data/pets/data/images.tar.gz',
                 'images.tar.gz', None, '5c4f3ee8e5d25df40f4fd59a7f44e54c', True),
        Resource('https://www.robots.ox.ac.uk/~vgg/data/pets/data/annotations.tar.gz',
                 'annotations.tar.gz', None, '95a8c909bbe2e81eed6a22bccdf3f68f', True)],
    path='.', size='800 MB', note='Oxford-IIIT Pet; load with OxfordPets(path, split)')


class OxfordPets(_base.FilePairDataset):
    """Oxford-IIIT Pet, foreground/background segmentation from the trimaps.

    Args:
        root (str): The folder holding ``images/`` and ``annotations/``.
        split (str): ``'trainval'`` (3,680 images) or ``'test'`` (3,669).
        keep_border (bool): Keep the trimap border as class 2 ``'border'`` instead of ignoring it.

    Each example is ``(img, label)``: ``img`` float32 ``(3, H, W)`` RGB 0–255 (grey and RGBA
    photos are converted), ``label`` int32 ``(H, W)``: 0 background, 1 pet, ``-1`` border (or 2
    with ``keep_border``).

    Raises:
        FileNotFoundError: A file of the layout is missing (the message names it).
        ValueError: ``split`` is unknown, or the split file lists no image.
    """

    def __init__(self, root, split='trainval', keep_border=False):
        check_choice('split', split, SPLITS)
        if not isinstance(keep_border, bool):
            raise TypeError('keep_border must be a bool, got {!r}'.format(keep_border))
        list_file = _base.require(os.path.join(root, 'annotations', split + '.txt'), LAYOUT)
        self.root, self.split, self.keep_border = root, split, keep_border
        self.class_names = ['background', 'pet'] + (['border'] if keep_border else [])
        self._table = {1: 1, 2: 0, 3: 2 if keep_border else -1}
        self.names = _base.read_ids(list_file, LAYOUT)
        self._pairs = [
            (_base.require(os.path.join(root, 'images', n + '.jpg'), LAYOUT),
             _base.require(os.path.join(root, 'annotations', 'trimaps', n + '.png'), LAYOUT))
            for n in self.names]
