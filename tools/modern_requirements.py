"""Print pyproject.toml's runtime and dev dependencies without NumPy and Chainer, for the venvs
that pin NumPy themselves and build Chainer separately without build isolation: the modern stack
(``make test-modern``, numpy>=2) and the CuPy pairings (``make gpu-compat``)."""
import pathlib
import re
import tomllib

project = tomllib.loads((pathlib.Path(__file__).resolve().parents[1] / 'pyproject.toml').read_text())['project']
requirements = project['dependencies'] + project['optional-dependencies']['dev']
# unquoted: the shell splits $(...) into words but never parses '>' inside them as a redirection
print(' '.join(r for r in requirements if not re.match(r'(numpy|chainer)\b', r) and ' ' not in r))
