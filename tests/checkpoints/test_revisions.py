import itertools

import pytest

from pipeline.checkpoints.revisions import (
    NAMING_PRESETS,
    PYTHIA_TOKENS_PER_STEP,
    NamingError,
    UnknownRevisionError,
    parse_branches,
    parse_names,
    parse_revision,
    pythia_revisions,
    select_revisions,
)


def test_pythia_schedule_is_exact():
    revs = pythia_revisions()
    names = [r.name for r in revs]
    assert len(revs) == 154
    assert names[:12] == ["step0", "step1", "step2", "step4", "step8", "step16", "step32", "step64",
                          "step128", "step256", "step512", "step1000"]
    assert names[-1] == "step143000"
    assert all(b.step - a.step == 1000 for a, b in itertools.pairwise(revs[11:]))
    assert revs[-1].tokens == 143000 * 2_097_152 == 143000 * PYTHIA_TOKENS_PER_STEP


def test_olmo_names_are_parsed_not_constructed():
    r = parse_revision("step20000-tokens84B")
    assert (r.step, r.tokens) == (20000, 84 * 10**9)
    r = parse_revision("stage1-step1000-tokens3M")
    assert (r.step, r.tokens) == (1000, 3 * 10**6)
    assert parse_revision("step7").tokens is None
    assert parse_revision("step7", tokens_per_step=10).tokens == 70
    with pytest.raises(ValueError, match="main"):
        parse_revision("main")


def test_parse_branches_sorts_skips_and_filters_stage():
    branches = ["main", "stage1-step20-tokens1B", "stage1-step10-tokens1B",
                "stage2-ingredient1-step5-tokens9B", "step3-tokens2M"]
    assert [r.name for r in parse_branches(branches)] == [
        "step3-tokens2M", "stage2-ingredient1-step5-tokens9B", "stage1-step10-tokens1B", "stage1-step20-tokens1B"]
    assert [r.step for r in parse_branches(branches, stage="stage1")] == [10, 20]


def test_selections():
    revs = pythia_revisions()
    assert select_revisions(revs, "all") == revs
    every = select_revisions(revs, {"every": 50})
    assert [r.name for r in every] == ["step0", "step40000", "step90000", "step140000", "step143000"]
    log = select_revisions(revs, {"log_spaced": 12})
    assert len(log) == 12 and log[0].step == 0 and log[-1].step == 143000
    assert [r.step for r in log] == sorted(r.step for r in log)
    assert [r.name for r in select_revisions(revs, ["step512", "step1000"])] == ["step512", "step1000"]


def test_unknown_revision_names_nearest():
    with pytest.raises(UnknownRevisionError, match=r"'step1500'.*nearest: step1000, step2000"):
        select_revisions(pythia_revisions(), ["step1500"])
    with pytest.raises(ValueError, match="not allowed"):
        select_revisions(pythia_revisions(), {"every": 0})


@pytest.mark.parametrize(("naming", "name", "step", "tokens"), [
    ("step", "step143000", 143000, None),
    ("step", "step20000-tokens84B", 20000, 84 * 10**9),
    ("olmo2", "stage1-step1000-tokens3B", 1000, 3 * 10**9),
    ("olmo2", "stage2-ingredient1-step5-tokens9B", 5, 9 * 10**9),
    ("trainer", "checkpoint-500", 500, None),
    ("multiberts", "multiberts-seed_0-step_20k", 20000, None),
    ("llm360", "ckpt_358", 358, None),
    ("dash_step", "step-300000", 300000, None),
    ({"regex": r"iter-(?P<step>\d+)-(?P<tokens>\d+)(?P<unit>T)"}, "iter-7-2T", 7, 2 * 10**12),
])
def test_naming_presets_and_regex_parse_step_and_tokens(naming, name, step, tokens):
    revision = parse_revision(name, naming=naming)
    assert (revision.step, revision.tokens) == (step, tokens)
    if isinstance(naming, str):
        assert parse_revision(name).step == step  # without a scheme every preset is tried


def test_unrecognised_names_are_listed_with_the_names_found_and_the_patterns_tried():
    with pytest.raises(NamingError, match=r"not recognised: checkpoint-5, checkpoint-10 \(names found: checkpoint-5, "
                                          r"checkpoint-10, step3; patterns tried: step: step\(\?P<step>"):
        parse_names(["checkpoint-5", "checkpoint-10", "step3"], naming="step")
    assert [r.step for r in parse_names(["checkpoint-10", "checkpoint-5"], naming="trainer")] == [5, 10]
    with pytest.raises(NamingError, match=r"no named group `step`"):
        parse_names(["a1"], naming={"regex": r"a(\d+)"})
    with pytest.raises(NamingError, match=r"'stepN' is not a preset"):
        parse_names(["a1"], naming="stepN")


def test_the_schema_offers_every_naming_preset():
    import yaml

    from tests import REPO_ROOT

    schema = yaml.safe_load((REPO_ROOT / "config" / "schemas" / "config.schema.yaml").read_text())
    naming = schema["properties"]["models"]["additionalProperties"]["properties"]["naming"]
    assert naming["oneOf"][0]["enum"] == list(NAMING_PRESETS)
