"""The set-up files agree with each other: pyproject.toml is the single list of dependencies."""
import pathlib
import re
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _pyproject_requirements():
    project = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']
    return set(project['dependencies']) | set(project['optional-dependencies']['dev'])


def _environment_requirements():
    """Requirement strings of environment.yml: conda entries and pip entries, comments dropped."""
    entries = set()
    text = (ROOT / 'environment.yml').read_text()
    for line in text.split('\ndependencies:', 1)[1].splitlines():
        match = re.match(r'^\s+-\s+([^#]+?)\s*(#.*)?$', line)
        if match and not match.group(1).endswith(':'):
            entries.add(match.group(1))
    return entries


def test_environment_yml_installs_what_pyproject_lists():
    env = _environment_requirements()
    missing = _pyproject_requirements() - env
    assert not missing, 'environment.yml lacks: {}'.format(sorted(missing))


def test_environment_yml_adds_only_build_tools_and_the_package():
    extra = _environment_requirements() - _pyproject_requirements()
    assert extra == {'python=3.11', 'pip', 'setuptools>=64,<74', 'wheel', '-e .[dev]'}


def test_build_tools_agree():
    build = tomllib.loads((ROOT / 'pyproject.toml').read_text())['build-system']['requires']
    assert 'setuptools>=64,<74' in build
    assert 'setuptools<74' in (ROOT / 'build-constraints.txt').read_text().split()
    makefile = (ROOT / 'Makefile').read_text()
    assert '"setuptools>=64,<74"' in makefile and '--no-build-isolation "chainer==7.8.1"' in makefile


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / 'README.md').read_text()
    ci = (ROOT / '.ci' / 'run').read_text()
    assert 'make test' in readme and re.search(r'^make test$', ci, re.M)
    assert re.search(r'^make test-modern$', ci, re.M)


def test_python_3_11_4_is_required():
    """The first Python 3.11 with tarfile's data filter, which archive extraction relies on."""
    project = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']
    assert project['requires-python'] == '>=3.11.4'
