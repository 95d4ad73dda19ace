"""The order in which hub downloads may start: prefetch + 1 checkpoints per lane at most."""

import pytest

from pipeline.checkpoints.prefetch import download_waits

ORDER = [("a", f"step{i}") for i in range(4)] + [("b", f"step{i}") for i in range(3)]


def _held_at_most(order, prefetch: int, lanes: int) -> int:
    """Checkpoints on disk at once when every download starts as early as its wait allows and
    extractions run in order: the largest number downloaded but not yet extracted."""
    waits = download_waits(order, prefetch, lanes)
    extracted, held = set(), 0
    for item in order:  # extract the items one by one; before each, start every download allowed
        started = {x for x in order if waits[x] is None or waits[x] in extracted}
        held = max(held, len(started - extracted))
        extracted.add(item)
    return held


@pytest.mark.parametrize(("prefetch", "lanes"), [(0, 1), (1, 1), (2, 1), (1, 2), (0, 3)])
def test_each_lane_holds_at_most_prefetch_plus_one_checkpoints(prefetch, lanes):
    assert _held_at_most(ORDER, prefetch, lanes) == (prefetch + 1) * lanes


def test_a_download_waits_for_the_extraction_prefetch_plus_one_places_earlier_in_its_lane():
    waits = download_waits(ORDER, 1)
    assert [waits[x] for x in ORDER[:3]] == [None, None, ("a", "step0")]
    assert waits["b", "step0"] == ("a", "step2")  # across models: one bound for the run
    assert download_waits(ORDER, 0, lanes=2)["a", "step3"] == ("a", "step1")  # lane 1: steps 1, 3, b1
    with pytest.raises(ValueError, match="prefetch -1 must be ≥ 0"):
        download_waits(ORDER, -1)
