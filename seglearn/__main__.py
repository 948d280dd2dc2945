"""``python -m seglearn …``: the same as the ``seglearn`` command (see :mod:`seglearn.cli`)."""
import sys

from seglearn.cli import main

sys.exit(main())
