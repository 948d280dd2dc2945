"""Print the requirements of the modern stack (Python 3.12+, NumPy 2): pyproject.toml's runtime and
dev dependencies with the NumPy < 2 pin replaced by numpy>=2 and Chainer left out (Chainer is built
separately without build isolation). Used by ``make test-modern``."""
import pathlib
import re
import tomllib

project = tomllib.loads((pathlib.Path(__file__).resolve().parents[1] / 'pyproject.toml').read_text())['project']
requirements = project['dependencies'] + project['optional-dependencies']['dev']
# unquoted: the shell splits $(...) into words but never parses '>' inside them as a redirection
print(' '.join(r for r in requirements if not re.match(r'(numpy|chainer)\b', r) and ' ' not in r))
