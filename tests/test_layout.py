"""The layout the project promises: stages import only downwards, no two modules know each other,
and a rule, its script and its library module share one name."""

import ast
import re
from pathlib import Path

import pytest

from tests import REPO_ROOT

PIPELINE = REPO_ROOT / "pipeline"
# the data flow, bottom up; a module may import its own package and lower stages only
RANKS = {
    "infrastructure": 0,  # config, paths, io, joblog, resources, the package's __init__
    "checkpoints": 1,
    "tasks": 1,
    "tiny": 2,  # builds checkpoints (names its revisions like checkpoints does)
    "extraction": 3,
    "probing": 4,
    "analysis": 5,
    "synthetic": 6,  # reuses the analysis's transition detector
    "preflight": 7,  # the config checks of the whole workflow
    "planner": 8,  # the cost of a sweep: sizes, pre-flight exclusions, adaptive rounds
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "infrastructure"
    return parts[1] if parts[1] in RANKS else "infrastructure"


def _imports() -> dict[str, set[str]]:
    """{module: the pipeline modules it imports}, TYPE_CHECKING imports included."""
    modules = {_module_name(p): p for p in PIPELINE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
                # `from pipeline.x import y` names module pipeline.x.y where y is a module
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                          for a in node.names}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("pipeline")}
        graph[name] = found - {name}
    return graph


def test_stages_import_only_their_own_package_and_lower_stages():
    upward = []
    for module, imported in _imports().items():
        for target in imported:
            own, other = _stage(module), _stage(target)
            if own != other and RANKS[other] >= RANKS[own]:
                upward.append(f"{module} -> {target}")
    assert not upward


def test_no_two_modules_know_each_other():
    graph = _imports()
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*path, module, target]
            if target not in state and (cycle := visit(target, [*path, module])):
                return cycle
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            assert visit(module, []) is None


def _rules() -> list[tuple[str, str]]:
    """(rule name, script name) of every rule; generated per-model rules by their prefix."""
    found = []
    for smk in sorted((REPO_ROOT / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"\n(?=\S)", smk.read_text()):
            named = (re.match(r"(?:rule|checkpoint) (\w+):", block)
                     or re.search(r'rule:\s+name:\s+rule_name\("(\w+)"', block))
            script = re.search(r'script:\s+"\.\./scripts/(\w+)\.py"', block)
            if named and script:
                found.append((named.group(1), script.group(1)))
    return found


def test_every_rule_has_a_script():
    text = "\n".join(p.read_text() for p in (REPO_ROOT / "workflow" / "rules").glob("*.smk"))
    declared = set(re.findall(r"^(?:rule|checkpoint) (\w+):", text, flags=re.M)) - {"all"}
    assert declared <= {name for name, _ in _rules()}
    assert len(_rules()) >= 12


@pytest.mark.parametrize("rule, script", _rules())
def test_rule_script_and_module_share_a_name(rule, script):
    assert rule == script
    modules = [*PIPELINE.rglob(f"{rule}.py"), *[p for p in [PIPELINE / rule] if p.is_dir()]]
    assert modules, f"no pipeline module or package named {rule!r}"
