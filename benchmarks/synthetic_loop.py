"""Time per GD trajectory: the batched code (all seeds and columns at once) against plain loops
of the same `descend` over seeds (columns still batched) and over single trajectories.

    .venv/bin/python benchmarks/synthetic_loop.py [--repeats 3]

One BLAS thread, as in `pipeline.synthetic.run.run_synthetic`. On a shared machine the timings are
noisy: the median of the repeats is reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from pipeline.synthetic.dynamics import descend
from pipeline.synthetic.model import make_problem

D, N_TRAIN, N_TEST, SEEDS, STEPS, KAPPA, ETA, ALPHA = 200, 1000, 1000, 10, 200, 0.3, 0.003, 0.3
OVERLAPS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    p = make_problem(d=D, kappa=KAPPA, k=3, sigma_w=1.0, n_train=N_TRAIN, n_test=N_TEST, seeds=SEEDS, seed=0)
    w0 = p.starts_at_overlap(OVERLAPS)
    labels = np.repeat(p.weak(ALPHA, "train")[..., None], len(OVERLAPS), axis=-1)

    def run(seeds: slice, columns: slice) -> np.ndarray:
        part = dataclasses.replace(p, theta=p.theta[seeds], xi=p.xi[seeds], x_train=p.x_train[seeds],
                                   eps_train=p.eps_train[seeds], x_test=p.x_test[seeds], eps_test=p.eps_test[seeds])
        return descend(w0[seeds, columns], part.x_train, labels[seeds, :, columns], k=3, eta=ETA, steps=STEPS,
                       scorer=part, record_every=10).w

    def batched() -> np.ndarray:
        return run(slice(None), slice(None))

    def per_seed() -> np.ndarray:
        return np.concatenate([run(slice(s, s + 1), slice(None)) for s in range(SEEDS)])

    def per_trajectory() -> np.ndarray:
        return np.concatenate([
            np.concatenate([run(slice(s, s + 1), slice(c, c + 1)) for c in range(len(OVERLAPS))], axis=1)
            for s in range(SEEDS)
        ])

    trajectories = SEEDS * len(OVERLAPS)

    def median_ms(fn: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
        times, out = [], None
        for _ in range(repeats):
            start = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - start)
        return 1e3 * statistics.median(times) / trajectories, out

    with threadpool_limits(limits=1, user_api="blas"):
        t_batch, w_batch = median_ms(batched)
        t_seed, w_seed = median_ms(per_seed)
        t_traj, w_traj = median_ms(per_trajectory)
    # same code, same numbers: batching must not change the result beyond float32 round-off
    agree = max(np.abs(w_batch - w_seed).max(), np.abs(w_batch - w_traj).max())
    print(f"d={D} n={N_TRAIN} T={STEPS}: {SEEDS} seeds × {len(OVERLAPS)} columns = {trajectories} trajectories, "
          f"median of {repeats} repeats, ms per trajectory")
    print(f"{'batched (seeds × columns)':>28} {'loop over seeds':>16} {'loop over trajectories':>23}")
    print(f"{t_batch:>28.1f} {t_seed:>16.1f} {t_traj:>23.1f}")
    print(f"speed-up of batching: {t_seed / t_batch:.1f}× over the per-seed loop, "
          f"{t_traj / t_batch:.1f}× over the per-trajectory loop (max |Δw| = {agree:.1e})")


if __name__ == "__main__":
    main()
