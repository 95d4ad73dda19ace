"""`run_synthetic` end to end at a tiny size: every output the rule names, and nothing else."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.synthetic import EXPERIMENTS, run_synthetic
from pipeline.synthetic.synthetic_adaptive import run_synthetic_adaptive
from pipeline.synthetic.synthetic_scaling import run_synthetic_scaling
from tests.synthetic.helpers import small

NAMES = ["geometry", "pretraining", "transition", "saturation", "effective_region", "bound"]


def outputs(root) -> dict[str, str]:
    """The rule's output names, laid out as results/synthetic is."""
    tables = {name: str(root / f"{name}.csv") for name in (*NAMES, "summary")}
    return tables | {f"figure_{name}": str(root / "figures" / f"{name}.png") for name in NAMES}


def test_run_synthetic_writes_every_output(tmp_path):
    params = {**small(d=40, n_train=200, n_test=200, steps=20, seeds=2).__dict__}
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    run_synthetic(params, outputs(tmp_path))
    assert tuple(NAMES) == EXPERIMENTS
    for name in NAMES:
        assert (tmp_path / f"{name}.csv").stat().st_size > 0
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 0
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(summary["name"]) == NAMES
    assert not list(tmp_path.glob("**/.*partial*"))


def test_run_synthetic_names_missing_outputs_before_running(tmp_path):
    given = {key: path for key, path in outputs(tmp_path).items() if key != "figure_bound"}
    with pytest.raises(KeyError, match="figure_bound"):
        run_synthetic({**small().__dict__}, given)
    assert not list(tmp_path.iterdir())


def test_run_synthetic_scaling_writes_its_outputs_and_a_width_per_d_kappa_and_criterion(tmp_path):
    params = {**small(n_test=200, steps=20).__dict__}
    paths = {"scaling": str(tmp_path / "scaling.csv"), "widths": str(tmp_path / "widths.csv"),
             "figure": str(tmp_path / "figures" / "scaling.png")}
    run_synthetic_scaling(params, paths)
    table, widths = pd.read_csv(paths["scaling"]), pd.read_csv(paths["widths"])
    assert sorted(table["d"].unique()) == [40, 60] and set(table["n_train"]) == {200, 300}
    assert len(widths) == 2 * 1 * 2 and set(widths["criterion"]) == {"beats", "beats_bias"}
    assert (tmp_path / "figures" / "scaling.png").stat().st_size > 0


def test_run_synthetic_adaptive_writes_its_outputs(tmp_path):
    params = {**small(d=40, n_train=200, n_test=200, steps=20, seeds=3, adaptive_points=12, adaptive_coarse=6,
                      adaptive_budget=8).__dict__}
    paths = {"methods": str(tmp_path / "adaptive_n.csv"), "rounds": str(tmp_path / "rounds.csv"),
             "figure": str(tmp_path / "figures" / "adaptive_n.png")}
    run_synthetic_adaptive(params, paths)
    methods, rounds = pd.read_csv(paths["methods"]), pd.read_csv(paths["rounds"])
    assert list(methods["method"]) == ["adaptive", "full"] and list(methods["n_simulated"])[1] == 12
    assert len(rounds) == methods["n_simulated"].iloc[0] and rounds["N"].is_unique
    assert (tmp_path / "figures" / "adaptive_n.png").stat().st_size > 0
