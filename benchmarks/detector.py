"""The transition detector's error rates on simulated curves with known truth, fixed seeds
(the acceptance targets of docs/methods.md beside each rate).

    .venv/bin/python benchmarks/detector.py [--n 200] [--jobs 2]     # ≈ 5 minutes on 2 cores

Rows (each N curves, simulated by pipeline/analysis/simulate.py):
  false "transition" rate on smooth nulls (exp / power-law saturation, linear in log step,
  dip then recovery) with example-level noise (n_test = 1500, calibrated to the default run);
  power on sigmoids in x (10–90 % width U(0.1, 0.3) decades, effect U(0.05, 0.15), midpoint
  uniform in the grid's interior: x ∈ [1.0, 2.6] (steps 9–400) tiny, [1.0, 4.2] (steps 9–16,000)
  Pythia), and at the hardest corner (width 0.3, effect 0.05);
  location-CI coverage on the Pythia grid, 3 seeds each with N(0, 0.01²) noise per revision,
  seeds as the unit (rescaled seed bootstrap);
  the first-difference correlation's false-positive rate on independent random walks (n = 19);
  the run time of a 400-curve analysis with B = 200 on 2 processes.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import math
import multiprocessing as mp
import resource
import time
import zlib

import numpy as np
from rates import percent_with_se as _rate

from pipeline.analysis.correlation import diff_correlations, level_correlations
from pipeline.analysis.simulate import (
    GRIDS,
    NULL_TRUTHS,
    example_curves,
    seed_curves,
    truth_sigmoid,
)
from pipeline.analysis.transition import (
    Curve,
    DetectionConfig,
    analyze_curves,
    centred_noise,
    detect_curves,
    detect_seed_curve,
)

SEED = 20240601
CHUNK = 25
CONFIG = DetectionConfig()
SCENARIOS = [  # (name, kind)
    ("exp saturation", "exp"),
    ("power-law saturation", "power"),
    ("linear in log step", "linear-log"),
    ("dip then recovery", "dip"),
    ("sigmoid w≤0.3, Δ≥0.05", "sigmoid"),
    ("sigmoid w=0.3, Δ=0.05", "sigmoid-corner"),
]


def _truth(kind: str, rng: np.random.Generator, grid: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    step = GRIDS[grid]
    if kind in NULL_TRUTHS:
        return NULL_TRUTHS[kind](rng, step, size), np.full(size, np.nan)
    if kind == "sigmoid":
        return truth_sigmoid(rng, step, size, grid)
    return truth_sigmoid(rng, step, size, grid, width=(0.3, 0.3), effect=(0.05, 0.05))


def run_chunk(task):
    """One chunk of one scenario: simulate, run both detectors; returns plain arrays."""
    kind, grid, index, size = task
    rng = np.random.default_rng([SEED, zlib.crc32(f"{kind}/{grid}".encode()), index])  # hash() is salted
    step = GRIDS[grid]
    t0 = time.process_time()
    if kind == "coverage":
        truth, x0 = truth_sigmoid(rng, step, size, grid)
        per_seed = seed_curves(rng, truth, n_seeds=3, sd=0.01)
        rows = [detect_seed_curve(step, per_seed[i], config=CONFIG, seed=index * CHUNK + i) for i in range(size)]
        t_new = time.process_time() - t0
        return {"kind": kind, "grid": grid, "x0": x0, "rows": rows, "t_new": t_new}
    truth, x0 = _truth(kind, rng, grid, size)
    y, samplers = example_curves(rng, truth)
    noise = np.stack([centred_noise(s.resampler("gain"), np.random.default_rng([SEED, index, i]), CONFIG.n_boot)
                      for i, s in enumerate(samplers)])
    frame = detect_curves(step, y, noise, config=CONFIG, seed=index)
    t_new = time.process_time() - t0
    return {"kind": kind, "grid": grid, "x0": x0, "rows": frame.to_dict("records"), "t_new": t_new}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    start = time.time()
    tasks = []
    for grid in ("tiny", "pythia"):
        for _, kind in SCENARIOS:
            tasks += [(kind, grid, i, min(CHUNK, args.n - i * CHUNK)) for i in range(math.ceil(args.n / CHUNK))]
    tasks += [("coverage", "pythia", i, min(CHUNK, args.n - i * CHUNK)) for i in range(math.ceil(args.n / CHUNK))]
    with mp.get_context("fork").Pool(args.jobs) as pool:
        results = pool.map(run_chunk, tasks, chunksize=1)
    merged: dict = {}
    for r in results:
        m = merged.setdefault((r["kind"], r["grid"]), {"rows": [], "x0": [], "t_new": 0.0})
        m["rows"] += r["rows"]
        m["x0"] += list(r["x0"])
        m["t_new"] += r["t_new"]
    print(f"N = {args.n} curves per row; example-level noise n_test = 1500 (gain SE ≈ 0.012–0.014); "
          f"alpha = {CONFIG.alpha}, B = {CONFIG.n_boot}; rates in % ± binomial SE")
    print()
    header = f"{'scenario':24} {'grid':7} {'transition':>15} {'target':>8}  {'p_trans≤α':>10}  verdicts"
    print(header)
    print("-" * len(header))
    for name, kind in SCENARIOS:
        for grid in ("tiny", "pythia"):
            m = merged[(kind, grid)]
            verdicts = [row["verdict"] for row in m["rows"]]
            counts = {v: verdicts.count(v) for v in ("transition", "gradual", "non-monotone", "none", "inconclusive")}
            new = _rate([v == "transition" for v in verdicts])
            target = "≥ 80" if kind == "sigmoid" else "—" if kind == "sigmoid-corner" else "≤ 5"
            ptr = _rate([row["p_transition"] <= CONFIG.alpha for row in m["rows"]])
            print(f"{name:24} {grid:7} {new:>15} {target:>8}  {ptr:>10}  "
                  + " ".join(f"{k}={v}" for k, v in counts.items() if v))
    # coverage
    m = merged[("coverage", "pythia")]
    x0 = np.array(m["x0"])
    rows = m["rows"]
    lo = np.array([r["location_x_lo_cens"] for r in rows])
    hi = np.array([r["location_x_hi_cens"] for r in rows])
    raw_lo = np.array([r["location_x_lo"] for r in rows])
    raw_hi = np.array([r["location_x_hi"] for r in rows])
    is_t = np.array([r["verdict"] == "transition" for r in rows])
    cov = (lo <= x0) & (x0 <= hi)
    raw = (raw_lo <= x0) & (x0 <= raw_hi)
    print()
    print("location CI coverage, Pythia grid, sigmoid (w U(0.1,0.3), Δ U(0.05,0.15), x0 U(1.0,4.2)), "
          "3 seeds, N(0, 0.01²) per revision and seed:")
    print(f"  censored to checkpoints (target ≥ 90): {_rate(cov)}  (transition verdicts: {is_t.sum()}/{len(is_t)}, "
          f"coverage among them {_rate(cov[is_t]) if is_t.any() else 'n/a'}); "
          f"median width {np.nanmedian(hi - lo):.2f} decades")
    print(f"  raw percentile interval: {_rate(raw)}; median width {np.nanmedian(raw_hi - raw_lo):.2f} decades")
    print(f"  between-seed sd (RMS over revisions), median over curves: "
          f"{np.median([r['between_seed_sd'] for r in rows]):.4f} (truth 0.0100)")

    # correlation of random walks
    rng = np.random.default_rng(SEED)
    n_pairs = 2000
    a = np.cumsum(rng.standard_normal((n_pairs, 19)), 1)
    b = np.cumsum(rng.standard_normal((n_pairs, 19)), 1)
    _, p_perm = diff_correlations(a, b, n_perm=999, rng=rng)
    _, p_neff = diff_correlations(a, b, test="neff")
    _, p_level = level_correlations(a, b, n_perm=999, rng=rng)
    wa, wb = rng.standard_normal((n_pairs, 19)), rng.standard_normal((n_pairs, 19))
    _, w_perm = diff_correlations(wa, wb, n_perm=999, rng=rng)
    _, w_neff = diff_correlations(wa, wb, test="neff")
    print()
    print(f"false-positive rate at 5 %, {n_pairs} pairs of independent series of length 19:")
    print(f"  random walks (target 5 ± 2):  differences+permutation {_rate(p_perm <= 0.05)}   "
          f"differences+n_eff {_rate(p_neff <= 0.05)}   levels+permutation (a shared trend counts) "
          f"{_rate(p_level <= 0.05)}")
    print(f"  white noise:                  differences+permutation {_rate(w_perm <= 0.05)}   "
          f"differences+n_eff {_rate(w_neff <= 0.05)}")

    # timing of a real-size analysis
    rng = np.random.default_rng(SEED + 1)
    step = GRIDS["tiny"]
    truth = np.concatenate([truth_sigmoid(rng, step, 200, "tiny")[0], NULL_TRUTHS["exp"](rng, step, 200)])
    y, samplers = example_curves(rng, truth)
    curves = [Curve({"curve": i}, step, y[i], samplers[i].resampler("gain")) for i in range(len(y))]
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    t0 = time.perf_counter()
    analyze_curves(curves, CONFIG, n_jobs=args.jobs)
    t_400 = time.perf_counter() - t0
    cpu_400 = sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime - u.ru_utime - u.ru_stime
                  for who, u in zip((resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN), usage))
    load = os.getloadavg()[0]
    per_curve = 1000 * sum(m["t_new"] for k, m in merged.items() if k[0] != "coverage") / sum(
        len(m["rows"]) for k, m in merged.items() if k[0] != "coverage")
    print()
    print(f"timing: 400 tiny-grid curves (200 sigmoid + 200 exp), B = {CONFIG.n_boot}, {args.jobs} processes: "
          f"{t_400:.1f} s wall, {cpu_400:.1f} s CPU in all (load average {load:.1f} on {os.cpu_count()} cores)")
    print(f"         benchmark scenarios: {per_curve:.0f} ms CPU per curve (all tests and bootstraps)")
    print(f"benchmark total wall time {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
