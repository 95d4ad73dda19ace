"""The `synthetic` rule's work: the six tables, their figures and the claims' summary.

Contract: writes exactly the paths it is given, under the rule's output names.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import pandas as pd
from threadpoolctl import threadpool_limits

from pipeline.io import save_figure, write_table
from pipeline.synthetic import claims, figures
from pipeline.synthetic.config import SyntheticConfig
from pipeline.synthetic.simulations import EXPERIMENTS, SIMULATIONS, bound


def _figure_output(name: str) -> str:
    return f"figure_{name}"


def run_synthetic(params: Mapping, outputs: Mapping[str, str]) -> None:
    """Run the six experiments and write their tables, their figures and the summary.

    Parameters
    ----------
    params
        The contents of the config's `synthetic` section (`SyntheticConfig.from_mapping`).
    outputs
        Output name -> path, as the rule names them: each of `simulations.EXPERIMENTS` (its CSV
        table), ``figure_<experiment>`` (its PNG) and ``summary`` (CSV, one row per claim). The
        wall seconds of each experiment go to the job's log, not to a result: a rerun's results
        are byte-identical.

    Returns
    -------
    None
        Every file is written atomically.
    """
    cfg = SyntheticConfig.from_mapping(params)
    wanted = [*EXPERIMENTS, *map(_figure_output, EXPERIMENTS), "summary"]
    if missing := [name for name in wanted if name not in outputs]:
        raise KeyError(f"run_synthetic: no output path for {missing}")
    tables: dict[str, pd.DataFrame] = {}
    # one BLAS thread: the products are thin and memory bound, and on a shared 2-core machine
    # extra BLAS threads spin against the other job (3× slower per step in our measurements)
    with threadpool_limits(limits=1, user_api="blas"):
        for name, simulate in SIMULATIONS.items():
            start = time.perf_counter()
            tables[name] = simulate(cfg)
            print(f"{name}: {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        reg = claims.region(tables["effective_region"], cfg)
        tables["bound"] = bound(cfg, tables["effective_region"], reg.r0_star, reg.mu)
        print(f"bound: {time.perf_counter() - start:.1f} s")
    for name in EXPERIMENTS:
        write_table(tables[name], outputs[name])
    for name, fig in figures.draw(tables, cfg):
        save_figure(fig, outputs[_figure_output(name)])
    write_table(claims.summary(tables, cfg), outputs["summary"])
