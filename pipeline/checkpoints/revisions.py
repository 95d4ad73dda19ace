"""Revision schedules of checkpoint suites, and step/token parsing of revision names.

Pythia's schedule is fixed and can be constructed. OLMo's branch names carry a token count
that is not a fixed multiple of the step, so they are only ever parsed from real branch
names, never built. How a suite names its revisions is data: a naming scheme is a preset of
`NAMING_PRESETS` or a user regex with the named groups `step` (optional `tokens`, `unit`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

PYTHIA_TOKENS_PER_STEP = 2_097_152  # 1024 sequences of 2048 tokens

# Named groups: `step`; optional `step_unit` (k: thousands of steps), `tokens` (may be decimal)
# with `unit` (K, M, B, T, any case), `stage`. Matched against the whole name.
NAMING_PRESETS = {
    # Pythia `step143000`; OLMo `step20000-tokens84B` (the token count read, never built)
    "step": r"step(?P<step>\d+)(?:-tokens(?P<tokens>\d+)(?P<unit>[MB]))?",
    # OLMo-2 `stage1-step1000-tokens3B`, mid-training `stage2-ingredient1-step5-tokens9B`
    "olmo2": r"(?P<stage>stage\d+)-(?:ingredient\d+-)?step(?P<step>\d+)-tokens(?P<tokens>\d+)(?P<unit>[MB])",
    # Hugging Face Trainer output folders (and branches pushed from them) `checkpoint-500`
    "trainer": r"checkpoint-(?P<step>\d+)",
    # MultiBERTs, one repo per step: `multiberts-seed_0-step_20k` (steps in thousands)
    "multiberts": r"(?:.*-)?step_(?P<step>\d+)(?P<step_unit>k)",
    # LLM360 Amber and CrystalCoder branches `ckpt_000` … `ckpt_358` (a checkpoint index)
    "llm360": r"ckpt_(?P<step>\d+)",
    # TinyLlama v1.1 branches `step-300000` (TinyLlama/tinyLLaMA-v1.1-checkpoints)
    "dash_step": r"step-(?P<step>\d+)",
}
_TOKEN_UNITS = {"K": 10**3, "M": 10**6, "B": 10**9, "T": 10**12}
_STEP_UNITS = {"k": 10**3}


class NamingError(ValueError):
    """Revision names that a naming scheme does not recognise; names them and the patterns tried."""


def naming_patterns(naming: object = None) -> dict[str, re.Pattern]:
    """{label: compiled pattern} of a naming scheme: None (every preset, in order), a preset's
    name, or {"regex": pattern} with a named group `step`."""
    if naming is None:
        return {name: re.compile(p) for name, p in NAMING_PRESETS.items()}
    if isinstance(naming, str):
        if naming not in NAMING_PRESETS:
            raise NamingError(
                f"naming {naming!r} is not a preset: use one of {sorted(NAMING_PRESETS)} or {{regex: ...}}"
            )
        return {naming: re.compile(NAMING_PRESETS[naming])}
    if isinstance(naming, dict) and set(naming) == {"regex"}:
        try:
            pattern = re.compile(naming["regex"])
        except re.error as error:
            raise NamingError(f"naming regex {naming['regex']!r} does not compile: {error}") from None
        if "step" not in pattern.groupindex:
            raise NamingError(f"naming regex {naming['regex']!r} has no named group `step`: write (?P<step>\\d+)")
        return {"regex": pattern}
    raise NamingError(f"naming {naming!r} is not allowed: use a preset name {sorted(NAMING_PRESETS)} or {{regex: ...}}")


def _match(name: str, naming: object) -> re.Match | None:
    return next((m for p in naming_patterns(naming).values() if (m := p.fullmatch(name))), None)


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


def parse_revision(name: str, tokens_per_step: int | None = None, naming: object = None) -> Revision:
    """Parse a revision name by a naming scheme (`naming_patterns`; default: every preset).

    Tokens come from the name where it has them, else from `tokens_per_step` (None when
    neither is known).
    """
    match = _match(name, naming)
    if match is None:
        tried = "; ".join(f"{label}: {p.pattern}" for label, p in naming_patterns(naming).items())
        raise NamingError(f"revision {name!r} is not of a known form; patterns tried: {tried}")
    groups = match.groupdict()
    step = int(groups["step"]) * _STEP_UNITS.get((groups.get("step_unit") or "").lower(), 1)
    if groups.get("tokens") is not None:
        tokens = round(float(groups["tokens"]) * _TOKEN_UNITS.get((groups.get("unit") or "").upper(), 1))
    elif tokens_per_step is not None:
        tokens = step * tokens_per_step
    else:
        tokens = None
    return Revision(name, step, tokens)


def parse_names(names: Sequence[str], naming: object = None, tokens_per_step: int | None = None) -> list[Revision]:
    """Parse every name by a naming scheme, sorted by step; names it does not recognise are an
    error listing them, the names found and the patterns tried."""
    unknown = [name for name in names if _match(name, naming) is None]
    if unknown:
        tried = "; ".join(f"{label}: {p.pattern}" for label, p in naming_patterns(naming).items())
        raise NamingError(
            f"revision names not recognised: {', '.join(unknown)} (names found: {', '.join(names)}; "
            f"patterns tried: {tried}); set `naming` to a preset of {sorted(NAMING_PRESETS)} or {{regex: ...}} "
            "with a named group `step`"
        )
    return sorted((parse_revision(n, tokens_per_step, naming) for n in names), key=lambda r: (r.step, r.name))


def parse_branches(names: Sequence[str], stage: str | None = None, naming: object = None) -> list[Revision]:
    """Parse the checkpoint branches among a repo's branch names, sorted by step.

    Names of no known form (e.g. `main`) are skipped; with `stage` (e.g. "stage1") only
    that stage's branches are kept.
    """
    revisions = []
    for name in names:
        match = _match(name, naming)
        if match is None or (stage is not None and match.groupdict().get("stage") != stage):
            continue
        revisions.append(parse_revision(name, naming=naming))
    return sorted(revisions, key=lambda r: (r.step, r.name))


def is_adaptive(selection: object) -> bool:
    return selection == "adaptive" or (isinstance(selection, dict) and set(selection) == {"adaptive"})


def select_revisions(revisions: Sequence[Revision], selection: object) -> list[Revision]:
    """Select from an ordered schedule.

    `selection` is "all"; a list of revision names; {"every": k} (every k-th, the last one
    always kept); {"log_spaced": m} (m revisions spaced evenly in log(step + 1), step 0
    and the last one included); or "adaptive" / {"adaptive": {...}}: every revision, the
    candidates of the rounds of analysis.adaptive_round.
    """
    if selection == "all" or is_adaptive(selection):  # an adaptive schedule chooses among all of them
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
        "{'every': k >= 1}, {'log_spaced': m >= 2} or 'adaptive'"
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
    steps = {a: parse_revision(a).step for a in available if _match(a, None)}
    return sorted(steps, key=lambda a: (abs(steps[a] - step), steps[a]))[:k]
