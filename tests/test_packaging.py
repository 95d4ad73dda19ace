"""pyproject.toml and environment.yml must ask for the same packages and versions."""

import re
import tomllib

import yaml

from tests import REPO_ROOT

CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _split(requirement: str) -> tuple[str, str]:
    name, spec = re.match(r"^([A-Za-z0-9_.-]+)\s*(.*)$", requirement.strip()).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_matches_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_split(r) for r in project["dependencies"] + project["optional-dependencies"]["test"])
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str) and not dep.startswith(("python", "pip")):
            name, spec = _split(dep)
            conda[CONDA_NAMES.get(name, name)] = spec
    assert conda == wanted


def test_torch_is_pinned_everywhere_it_is_installed():
    assert "torch==2.13.0" in (REPO_ROOT / "pyproject.toml").read_text()
    assert "torch==2.13.0" in (REPO_ROOT / "Makefile").read_text()
