"""The late plateau per weak supervisor, on synthetic features where the supervisors' biases are
known: the W2S plateaus must come out ordered as the supervisors are."""

import numpy as np
import pandas as pd

from pipeline.analysis.saturation import plateau_table, saturation_order
from pipeline.config import MetricsConfig, ProbeConfig
from pipeline.probing.probes import evaluate_layers

N, D = 3000, 10
ANGLES = {"biased": 0.9, "middling": 0.6, "sharp": 0.3}  # radians off the true direction
PROBES = ProbeConfig(Cs=(0.01, 1.0, 100.0), cv_folds=3)


def _late_revisions(n_revisions: int = 4, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Revisions whose features encode the label's direction (with fresh noise each), probed with
    three supervisors that err systematically: each scores a direction rotated off the truth by
    its angle, so its errors sit on a feature the student sees and its accuracy is graded."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, D))
    truth, spurious = np.eye(D)[0], np.eye(D)[1]
    y = (x @ truth > 0).astype(int)
    weak = {name: 1 / (1 + np.exp(-4 * x @ (np.cos(a) * truth + np.sin(a) * spurious))) for name, a in ANGLES.items()}
    table = pd.DataFrame({"id": [f"e{i}" for i in range(N)], "label": y,
                          "split": np.array(["A", "B", "test"])[rng.integers(0, 3, N)]})
    rows, store = [], {}
    for r in range(n_revisions):
        features = x + 0.1 * rng.standard_normal((N, D))
        revision = f"step{1000 * (r + 1)}"
        results = evaluate_layers({1: features}, table, weak, PROBES, MetricsConfig())
        identity = {"model": "m", "revision": revision, "step": 1000 * (r + 1), "task": "t"}
        rows += [{**identity, **row} for row, _ in results]
        store[("m", revision)] = pd.concat([p.assign(task="t") for _, p in results], ignore_index=True)
    return pd.DataFrame(rows), store


def test_plateaus_are_ordered_as_the_supervisors():
    metrics, store = _late_revisions()
    plateaus = plateau_table(metrics, lambda m, r: store[(m, r)], MetricsConfig(), n_revisions=3, n_boot=100)
    assert len(plateaus) == 3 and (plateaus["n_revisions"] == 3).all()
    by_name = plateaus.set_index("supervisor")
    # the supervisors are graded as built, and the students' plateaus follow them
    assert by_name.loc["biased", "weak_acc"] < by_name.loc["middling", "weak_acc"] < by_name.loc["sharp", "weak_acc"]
    assert by_name.loc["biased", "w2s_acc"] < by_name.loc["middling", "w2s_acc"] < by_name.loc["sharp", "w2s_acc"]
    assert ((plateaus["w2s_acc_lo"] <= plateaus["w2s_acc"]) & (plateaus["w2s_acc"] <= plateaus["w2s_acc_hi"])).all()
    (order,) = saturation_order(plateaus).itertuples()
    assert order.ordered and order.rho == 1.0 and order.supervisors == "biased, middling, sharp"


def test_plateau_is_the_mean_of_the_last_revisions():
    metrics, store = _late_revisions(n_revisions=3)
    plateaus = plateau_table(metrics, lambda m, r: store[(m, r)], MetricsConfig(), n_revisions=2, n_boot=20)
    late = metrics[metrics["step"] >= 2000].groupby("supervisor")[["weak_acc", "w2s_acc", "gold_acc"]].mean()
    np.testing.assert_allclose(plateaus.set_index("supervisor")[late.columns].loc[late.index], late)
    assert (plateaus["step_from"] == 2000).all()


def test_plateaus_against_the_supervisors_order_are_reported_unordered():
    """The same supervisors with the students' plateaus reversed: no order is claimed."""
    metrics, store = _late_revisions()
    plateaus = plateau_table(metrics, lambda m, r: store[(m, r)], MetricsConfig(), n_revisions=3, n_boot=20)
    reversed_acc = plateaus.assign(w2s_acc=plateaus["w2s_acc"].to_numpy()[::-1])
    (order,) = saturation_order(reversed_acc).itertuples()
    assert not order.ordered and order.rho == -1.0
