"""Revision schedules of checkpoint suites, and step/token parsing of revision names.

Pythia's schedule is fixed and can be constructed. OLMo's branch names carry a token count
that is not a fixed multiple of the step, so they are only ever parsed from real branch
names, never built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PYTHIA_TOKENS_PER_STEP = 2_097_152  # 1024 sequences of 2048 tokens

_REVISION_PATTERN = re.compile(
    r"^(?:(?P<stage>stage\d+)-)?(?:ingredient\d+-)?step(?P<step>\d+)(?:-tokens(?P<tokens>\d+)(?P<unit>[MB]))?$"
)
_TOKEN_UNITS = {"M": 10**6, "B": 10**9}


@dataclass(frozen=True)
class Revision:
    """One checkpoint of a trajectory: its branch name, training step and tokens seen."""

    name: str
    step: int
    tokens: int | None


def step_revision(step: int) -> str:
    """The Pythia-style branch name of a step: `step{N}`."""
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    return f"step{step}"


def pythia_steps() -> list[int]:
    """Pythia's 154 checkpoint steps: 0, 1, 2, 4, …, 512, then 1000 … 143000 every 1000."""
    return [0] + [2**i for i in range(10)] + list(range(1000, 143_001, 1000))


def pythia_revisions() -> list[Revision]:
    return [Revision(step_revision(s), s, s * PYTHIA_TOKENS_PER_STEP) for s in pythia_steps()]


def parse_revision(name: str, tokens_per_step: int | None = None) -> Revision:
    """Parse `stepN`, OLMo's `stepN-tokensMB` or OLMo-2's `stage1-stepN-tokensMB`.

    Tokens come from the name's suffix where it has one, else from `tokens_per_step`
    (None when neither is known).
    """
    match = _REVISION_PATTERN.match(name)
    if match is None:
        raise ValueError(
            f"revision {name!r} is not of a known form: 'stepN', 'stepN-tokensMB' or 'stageK-stepN-tokensMB'"
        )
    step = int(match["step"])
    if match["tokens"] is not None:
        tokens = int(match["tokens"]) * _TOKEN_UNITS[match["unit"]]
    elif tokens_per_step is not None:
        tokens = step * tokens_per_step
    else:
        tokens = None
    return Revision(name, step, tokens)


def parse_branches(names: Sequence[str], stage: str | None = None) -> list[Revision]:
    """Parse the checkpoint branches among a repo's branch names, sorted by step.

    Names of no known form (e.g. `main`) are skipped; with `stage` (e.g. "stage1") only
    that stage's branches are kept.
    """
    revisions = []
    for name in names:
        match = _REVISION_PATTERN.match(name)
        if match is None or (stage is not None and match["stage"] != stage):
            continue
        revisions.append(parse_revision(name))
    return sorted(revisions, key=lambda r: (r.step, r.name))


def select_revisions(revisions: Sequence[Revision], selection: object) -> list[Revision]:
    """Select from an ordered schedule.

    `selection` is "all"; a list of revision names; {"every": k} (every k-th, the last one
    always kept); or {"log_spaced": m} (m revisions spaced evenly in log(step + 1), step 0
    and the last one included).
    """
    if selection == "all":
        return list(revisions)
    if isinstance(selection, list):
        by_name = {r.name: r for r in revisions}
        unknown = [name for name in selection if name not in by_name]
        if unknown:
            raise UnknownRevisionError(unknown[0], [r.name for r in revisions])
        return [by_name[name] for name in selection]
    if isinstance(selection, dict) and len(selection) == 1:
        (kind, value), = selection.items()
        if kind == "every" and isinstance(value, int) and value >= 1:
            chosen = list(revisions[::value])
            if revisions and chosen[-1] != revisions[-1]:
                chosen.append(revisions[-1])
            return chosen
        if kind == "log_spaced" and isinstance(value, int) and value >= 2:
            return _log_spaced(revisions, value)
    raise ValueError(
        f"revision selection {selection!r} is not allowed: use 'all', a list of revision names, "
        "{'every': k >= 1} or {'log_spaced': m >= 2}"
    )


def _log_spaced(revisions: Sequence[Revision], m: int) -> list[Revision]:
    import numpy as np

    if m >= len(revisions):
        return list(revisions)
    log_steps = np.log1p([r.step for r in revisions])
    targets = np.linspace(log_steps[0], log_steps[-1], m)
    chosen: list[int] = []
    for target in targets:
        # nearest not yet chosen, so that the subset has exactly m members
        order = np.argsort(np.abs(log_steps - target), kind="stable")
        chosen.append(next(int(i) for i in order if int(i) not in chosen))
    return [revisions[i] for i in sorted(chosen)]


class UnknownRevisionError(ValueError):
    """A requested revision is not in the schedule; names the nearest existing ones."""

    def __init__(self, name: str, available: Sequence[str]):
        self.name = name
        nearest = nearest_revisions(name, available)
        super().__init__(
            f"revision {name!r} is not in the schedule ({len(available)} revisions); nearest: {', '.join(nearest)}"
        )


def nearest_revisions(name: str, available: Sequence[str], k: int = 3) -> list[str]:
    """The k available names closest in step to `name` (by string similarity if it has no step)."""
    try:
        step = parse_revision(name).step
    except ValueError:
        import difflib

        return difflib.get_close_matches(name, available, n=k, cutoff=0.0)
    steps = {a: parse_revision(a).step for a in available if _REVISION_PATTERN.match(a)}
    return sorted(steps, key=lambda a: (abs(steps[a] - step), steps[a]))[:k]
