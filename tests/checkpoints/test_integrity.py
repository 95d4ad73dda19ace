"""The integrity rules on the published defects of real suites (fingerprints made up, equalities
as reported: /work/shared/notes/checkpoint-suites.md, EleutherAI/pythia and allenai/OLMo issues)."""

import pandas as pd

from pipeline.checkpoints.integrity import PARTLY, SERVES_FINAL, FinalWeights, flag_revisions
from pipeline.checkpoints.revisions import pythia_steps


def _table(weights: dict[str, str | tuple[str, ...]]) -> pd.DataFrame:
    """Rows of revisions `name -> fingerprint` (a tuple: one fingerprint per shard)."""
    rows = []
    for name, w in weights.items():
        shards = w if isinstance(w, tuple) else (w,)
        step = int("".join(c for c in name.rsplit("step", 1)[-1].split("-")[0] if c.isdigit()))
        rows.append({"revision": name, "step": step, "weights": "+".join(shards), "shards": ";".join(shards)})
    return pd.DataFrame(rows)


def _flags(table: pd.DataFrame) -> dict[str, tuple[str, str]]:
    return {r.revision: (r.flag, r.duplicate_of) for r in table.itertuples() if isinstance(r.flag, str)}


def test_pythia_step0_equal_to_step1_and_step2_keeps_step0():
    """pythia #83, #198: step0 = step1 = step2 (training had not moved the weights yet)."""
    names = [f"step{s}" for s in pythia_steps()[:6]] + ["step143000"]
    weights = {n: n for n in names} | {"step1": "step0", "step2": "step0"}
    table = flag_revisions(_table(weights), FinalWeights("main", "step143000", ("step143000",)), "step143000")
    assert _flags(table) == {"step1": ("duplicate", "step0"), "step2": ("duplicate", "step0")}


def test_pythia_2p8b_early_branches_serving_final_weights_keep_the_final_revision():
    """pythia #195, #205: pythia-2.8b step0 … step6300 serve main's (= step143000's) weights."""
    names = [f"step{s}" for s in pythia_steps() if s <= 8000 or s == 143000]
    weights = {n: ("final" if (int(n[4:]) <= 6300 or n == "step143000") else n) for n in names}
    table = flag_revisions(_table(weights), FinalWeights("main", "final", ("final",)), "step143000")
    flagged = _flags(table)
    assert set(flagged) == {n for n in names if int(n[4:]) <= 6300}
    assert set(flagged.values()) == {(SERVES_FINAL, "step143000")}
    assert "step143000" not in flagged and "step7000" not in flagged


def test_revisions_equal_to_main_are_flagged_when_the_final_revision_is_not_swept():
    weights = {"step0": "final", "step1000": "final", "step2000": "a"}
    table = flag_revisions(_table(weights), FinalWeights("main", "final", ("final",)), "step143000")
    assert _flags(table) == {"step0": (SERVES_FINAL, "main"), "step1000": (SERVES_FINAL, "main")}


def test_pythia_12b_revision_serving_the_final_first_shard_is_partly_mislabelled():
    """pythia #206: pythia-12b step50000 and step58000 serve the final model's first shard only."""
    final = ("f1", "f2", "f3")
    weights = {"step49000": ("a1", "a2", "a3"), "step50000": ("f1", "b2", "b3"), "step51000": ("c1", "c2", "c3"),
               "step58000": ("f1", "d2", "d3"), "step143000": final}
    table = flag_revisions(_table(weights), FinalWeights("main", "+".join(final), final), "step143000")
    assert _flags(table) == {"step50000": (PARTLY, "step143000"), "step58000": (PARTLY, "step143000")}


def test_olmo2_identical_stage1_branches_keep_the_earliest():
    """allenai/OLMo #915: OLMo-2-1124-7B stage1-step101000/175000/300000 identical in all 6 shards."""
    same = tuple(f"s{i}" for i in range(6))
    names = ["stage1-step100000-tokens420B", "stage1-step101000-tokens424B", "stage1-step175000-tokens735B",
             "stage1-step300000-tokens1259B", "stage1-step928646-tokens3896B"]
    weights = {n: tuple(f"{n}-{i}" for i in range(6)) for n in names} | dict.fromkeys(names[1:4], same)
    final = weights[names[-1]]
    table = flag_revisions(_table(weights), FinalWeights("main", "+".join(final), final), names[-1])
    assert _flags(table) == {names[2]: ("duplicate", names[1]), names[3]: ("duplicate", names[1])}
    assert table.set_index("revision").loc[names[1], "reason"].startswith("kept: the earliest of 3")
