"""Compact activation storage on the offline default run: float32 vs float16 (and bfloat16)
side by side, on the same checkpoints.

    .venv/bin/python benchmarks/storage.py [--cores 2] [--dtypes float32 float16 bfloat16]

Runs the default config once in a fresh folder with the first dtype, then re-extracts with each
other dtype (pre-training and task tables are reused; extraction, probes and analysis rerun).
Prints, against the first dtype: the largest |Δ test accuracy| of every weak, W2S and gold probe
(every model, revision, task, layer, supervisor, objective) and how many move beyond 0.003, the
same over the W2S and gold probes whose cross-validated C is the same in both runs (the storage's
own effect on a fit), how many C choices moved, how many transition verdicts change, and the
bytes stored per revision; then each changed verdict with its p-values, and the bytes per
revision of Pythia-70M's shape (6 layers + embeddings, width 512) for the real tasks' default
sizes, from the store's encoding of one hidden state of that shape (no download).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from end_to_end import ROOT, run  # the default run in a fresh folder, as that benchmark runs it

from pipeline import paths
from pipeline.extraction.store import encode, read_metadata

ACCURACIES = ("weak_acc", "w2s_acc", "gold_acc")
KEY = ["model", "revision", "task", "layer", "supervisor", "method"]
VERDICT_KEY = ["model", "task", "layer", "supervisor", "method", "metric", "unit"]
# Pythia-70M: 6 layers (7 hidden states with the embeddings), width 512; a real task's default
# splits A = B = 2,500 and test 2,000 (docs/tasks.md)
PYTHIA_70M = {"hidden_states": 7, "width": 512, "examples": 7000}


def outcome(workdir: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """The run's metrics, transition verdicts and stored bytes per activations file."""
    metrics = pd.read_csv(workdir / paths.metrics_table())
    verdicts = pd.read_csv(workdir / paths.analysis_table("transitions"))
    files = sorted((workdir / Path(paths.activations("x", "y")).parent.parent).rglob("*.safetensors"))
    stored = pd.Series({f"{f.parent.name}/{f.stem}": read_metadata(f)["stored_bytes"] for f in files})
    return metrics, verdicts, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float16", "bfloat16"])
    parser.add_argument("--keep", type=Path, help="copy each run's results/summary.md and tables here, per dtype")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        for dtype in args.dtypes:
            config["extraction"]["storage_dtype"] = dtype
            wall = run(workdir, config, args.cores)
            results[dtype] = outcome(workdir)
            print(f"{dtype}: run {wall:.0f} s", flush=True)
            if args.keep:
                shutil.copytree(workdir / paths.RESULTS, args.keep / dtype, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("activations", "checkpoints", "probes", "tasks"))
    reference = args.dtypes[0]
    metrics0, verdicts0, stored0 = results[reference]
    print(f"\nagainst {reference}, on the default run ({len(metrics0)} metrics rows, "
          f"{len(verdicts0)} verdicts):")
    print(f"{'dtype':>9} {'max |Δacc|':>11} {'probes > 0.003':>15} {'same C: max |Δacc|':>19} "
          f"{'C changed':>10} {'verdicts changed':>17} {'bytes/revision':>15} {'ratio':>6}")
    flips = []
    for dtype in args.dtypes:
        metrics, verdicts, stored = results[dtype]
        joined = metrics0.merge(metrics, on=KEY, suffixes=("_ref", ""))
        deltas = pd.concat([(joined[a] - joined[f"{a}_ref"]).abs() for a in ACCURACIES])
        same = {k: joined[f"{k}_C"] == joined[f"{k}_C_ref"] for k in ("w2s", "gold")}
        same_c = pd.concat([(joined[f"{k}_acc"] - joined[f"{k}_acc_ref"]).abs()[same[k]] for k in same])
        c_changed = sum(int((~same[k]).sum()) for k in same)
        both = verdicts0.merge(verdicts, on=VERDICT_KEY, suffixes=("_ref", ""))
        flipped = both[both["verdict"] != both["verdict_ref"]]
        if len(flipped):
            flips.append(flipped.assign(dtype=dtype))
        changed = len(flipped)
        print(f"{dtype:>9} {deltas.max():>11.4f} {int((deltas > 0.003).sum()):>15} {same_c.max():>19.4f} "
              f"{c_changed:>10} {changed:>17} {stored.mean():>15,.0f} {stored.mean() / stored0.mean():>6.2f}")
    if flips:  # a verdict is a test at a level: one whose p-value sits at the level can turn
        print("\nverdicts changed (p-values against the reference run's):")
        columns = ["dtype", *VERDICT_KEY, "verdict_ref", "verdict"]
        flips = pd.concat(flips)
        for test in ("p_change", "p_transition", "p_dip"):
            flips[test] = [f"{a:.3f}→{b:.3f}" for a, b in zip(flips[f"{test}_ref"], flips[test])]
        print(flips[columns + ["p_change", "p_transition", "p_dip"]].to_string(index=False))
    shape = PYTHIA_70M
    print(f"\nPythia-70M's shape ({shape['hidden_states']} hidden states × width {shape['width']} × "
          f"{shape['examples']:,} examples, one pooling), bytes per revision:")
    state = np.random.default_rng(0).standard_normal((shape["examples"], shape["width"])).astype(np.float32)
    for dtype in ("float32", "float16", "bfloat16"):  # the bytes of what the store writes for one state
        per_state = sum(part.nbytes for part in encode(state, dtype).values())
        print(f"  {dtype:>9}: {shape['hidden_states'] * per_state / 1e6:,.1f} MB")


if __name__ == "__main__":
    main()
