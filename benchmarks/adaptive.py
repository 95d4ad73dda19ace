"""Adaptive coarse-to-fine schedule vs the full sweep, side by side on the same simulated curves.

    .venv/bin/python benchmarks/adaptive.py [--n 200] [--jobs 2]

Pythia's 154-revision grid (step0, 1, 2, 4, …, 512, then 1000…143000 every 1000). Truth: a sigmoid
in x = log10(step + 1) (the detector tests' generator, pipeline/analysis/simulate.truth_sigmoid:
10–90 % width U(0.1, 0.3) decades, effect U(0.05, 0.15), midpoint x0 uniform in [1.0, 4.2]) or a
flat curve; observed = W2S accuracy − weak accuracy with binomial noise (n_test test examples,
each revision an independent draw), noise replicates a parametric binomial bootstrap. Each trial
draws the 154-point curve once; the full sweep sees all of it, the adaptive schedule only what it
asks for. Both use the detector's default settings (DetectionConfig()).

Printed against the targets of issue 19: coverage of x0 by the adaptive interval (≥ 90 %),
revisions used / 154 (≤ 35 %), median adaptive / full interval width (≤ 1.5), flat curves that
stop after the coarse round (≥ 90 %).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import math
import multiprocessing as mp
import time
from collections import Counter

import numpy as np
from rates import percent_with_se

from pipeline.analysis.adaptive import run_adaptive
from pipeline.analysis.simulate import truth_sigmoid
from pipeline.analysis.transition import DetectionConfig, detect_curves
from pipeline.checkpoints.revisions import pythia_steps
from pipeline.config import AdaptiveConfig

SEED = 20261203
STEP = np.array(pythia_steps(), float)
DETECTION = DetectionConfig()
ADAPTIVE = AdaptiveConfig()
N_TEST = 1500
WEAK_ACC = 0.7


def binomial_curve(rng: np.random.Generator, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Observed gain (R,) and centred noise replicates (B, R) of a gain curve `truth` (R,)."""
    p = np.clip(WEAK_ACC + truth, 0.01, 0.99)
    y = rng.binomial(N_TEST, p) / N_TEST - WEAK_ACC
    p_hat = np.clip(y + WEAK_ACC, 0.5 / N_TEST, 1 - 0.5 / N_TEST)
    noise = rng.binomial(N_TEST, np.broadcast_to(p_hat, (DETECTION.n_boot, len(p_hat)))) / N_TEST - p_hat
    return y, noise


def trial(task: tuple[str, int]) -> dict:
    kind, index = task
    rng = np.random.default_rng([SEED, index, kind == "flat"])
    if kind == "sigmoid":
        truth, x0 = truth_sigmoid(rng, STEP, 1, "pythia")
        truth, x0 = truth[0], float(x0[0])
    else:
        truth, x0 = np.full(len(STEP), rng.uniform(-0.05, 0.02)), math.nan
    y, noise = binomial_curve(rng, truth)
    full = detect_curves(STEP, y[None], noise[None], config=DETECTION, seed=index).iloc[0].to_dict()

    def measure(cols):
        return y[None, cols], noise[None][:, :, cols]

    run = run_adaptive(measure, STEP, ADAPTIVE, DETECTION, seed=index)
    row = run.rows[0]
    return {
        "kind": kind, "x0": x0, "n_used": len(run.table), "rounds": run.rounds, "stop": run.stop,
        "ad_lo": row.get("location_x_lo_cens", math.nan), "ad_hi": row.get("location_x_hi_cens", math.nan),
        "ad_verdict": row["verdict"], "full_lo": full.get("location_x_lo_cens", math.nan),
        "full_hi": full.get("location_x_hi_cens", math.nan), "full_verdict": full["verdict"],
    }


def _pct(flags) -> str:
    return f"{percent_with_se(flags)} %"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    start = time.time()
    tasks = [(kind, i) for kind in ("sigmoid", "flat") for i in range(args.n)]
    with mp.get_context("fork").Pool(args.jobs) as pool:
        results = pool.map(trial, tasks, chunksize=4)
    sig = [r for r in results if r["kind"] == "sigmoid"]
    flat = [r for r in results if r["kind"] == "flat"]
    x0 = np.array([r["x0"] for r in sig])
    ad_lo, ad_hi = np.array([r["ad_lo"] for r in sig]), np.array([r["ad_hi"] for r in sig])
    full_lo, full_hi = np.array([r["full_lo"] for r in sig]), np.array([r["full_hi"] for r in sig])
    used = np.array([r["n_used"] for r in sig])
    ad_w, full_w = ad_hi - ad_lo, full_hi - full_lo
    print(f"{len(STEP)}-revision Pythia grid; binomial noise n_test = {N_TEST}; {args.n} trials per row; "
          f"detector defaults (alpha {DETECTION.alpha}, B {DETECTION.n_boot}); adaptive {ADAPTIVE}")
    print()
    print("sigmoid curves (w U(0.1,0.3), Δ U(0.05,0.15), x0 U(1.0,4.2)):   adaptive        full sweep     target")
    print(f"  interval covers x0                                       {_pct((ad_lo <= x0) & (x0 <= ad_hi)):>14}  "
          f"{_pct((full_lo <= x0) & (x0 <= full_hi)):>14}  ≥ 90 % (adaptive)")
    print(f"  revisions used, median (max) / {len(STEP)}                       "
          f"{np.median(used) / len(STEP):6.1%} ({used.max() / len(STEP):.1%})   100.0 %        ≤ 35 %")
    print(f"  interval width, median (decades)                         {np.nanmedian(ad_w):14.3f}  "
          f"{np.nanmedian(full_w):14.3f}")
    print(f"  median width ratio adaptive / full                       "
          f"{np.nanmedian(ad_w) / np.nanmedian(full_w):14.2f}                 ≤ 1.5")
    print(f"  per-trial width ratio, median                            {np.nanmedian(ad_w / full_w):14.2f}")
    print(f"  'transition' verdicts                                    "
          f"{_pct([r['ad_verdict'] == 'transition' for r in sig]):>14}  "
          f"{_pct([r['full_verdict'] == 'transition' for r in sig]):>14}")
    print(f"  rounds, median (max): {np.median([r['rounds'] for r in sig]):.0f} "
          f"({max(r['rounds'] for r in sig)}); stops: {dict(Counter(r['stop'] for r in sig))}")
    print()
    stopped = [r["rounds"] == 1 for r in flat]
    print(f"flat curves: stop after the coarse round {_pct(stopped)} (target ≥ 90 %); "
          f"revisions used, median {np.median([r['n_used'] for r in flat]):.0f}; "
          f"stops: {dict(Counter(r['stop'] for r in flat))}")
    print(f"benchmark wall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
