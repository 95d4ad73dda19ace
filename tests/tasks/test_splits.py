import pandas as pd
import pytest

from pipeline.tasks.splits import SPLITS, make_splits

SIZES = {"A": 20, "B": 60, "test": 40}


def _examples(n=200, seed=0):
    return pd.DataFrame({"text": [f"document {seed}-{i}" for i in range(n)], "label": [i % 2 for i in range(n)]})


def test_splits_are_balanced_sized_and_disjoint():
    table = make_splits(_examples(), "t", SIZES)
    for split in SPLITS:
        part = table[table["split"] == split]
        assert len(part) == SIZES[split]
        assert part["label"].mean() == 0.5
    assert table["id"].is_unique and table["text"].is_unique


def test_splits_depend_only_on_ids_not_on_row_order():
    examples = _examples()
    a = make_splits(examples, "t", SIZES)
    b = make_splits(examples.sample(frac=1, random_state=1), "t", SIZES)
    pd.testing.assert_frame_equal(a, b)
    c = make_splits(examples, "other-task", SIZES)  # ids are salted by task
    assert set(c["id"]).isdisjoint(a["id"])


@pytest.mark.parametrize(
    ("labels", "sizes", "message"),
    [
        ([0] * 200, SIZES, r"labels must be 0 and 1 \(both present\), found \[0\]"),
        ([0, 2] * 100, SIZES, r"found \[0, 2\]"),
        ([0, 1] * 100, {"A": 20, "B": 60, "test": 400}, "class 0 has 100 examples, too few"),
        ([0, 1] * 100, {"A": 21, "B": 60, "test": 40}, "size of split A must be even"),
    ],
)
def test_bad_input_is_named(labels, sizes, message):
    examples = pd.DataFrame({"text": [f"d{i}" for i in range(len(labels))], "label": labels})
    with pytest.raises(ValueError, match=message):
        make_splits(examples, "t", sizes)


def test_a_group_stays_in_one_split_and_the_splits_stay_balanced():
    examples = _examples(400).assign(group=[f"passage {i // 4}" for i in range(400)])
    table = make_splits(examples, "t", SIZES)
    groups = table.merge(examples, on=["text", "label"])
    assert (groups.groupby("group")["split"].nunique() == 1).all()
    for split in SPLITS:
        part = table[table["split"] == split]
        assert len(part) == SIZES[split] and part["label"].mean() == 0.5
    shuffled = make_splits(examples.sample(frac=1, random_state=2), "t", SIZES)
    pd.testing.assert_frame_equal(table, shuffled)


def test_examples_without_a_group_are_dealt_as_before():
    examples = _examples()
    ungrouped = make_splits(examples.assign(group=None), "t", SIZES)
    pd.testing.assert_frame_equal(ungrouped, make_splits(examples, "t", SIZES))


def test_too_few_groups_are_named():
    examples = _examples(200).assign(group=[f"passage {i // 100}" for i in range(200)])  # 2 groups for 3 splits
    with pytest.raises(ValueError, match=r"200 examples in 2 groups .* too few for splits"):
        make_splits(examples, "t", SIZES)
