"""The offline default run's wall time, split into the jobs' work and everything else
(Snakemake start-up and bookkeeping, process starts, imports, idle cores).

    .venv/bin/python benchmarks/end_to_end.py [--cores 2] [--repeats 1] [--per-revision]

Runs `snakemake` on config/config.yaml in a fresh folder. Each job logs the wall seconds of its
work proper ("work seconds:", pipeline/joblog.py: the library call, after imports); Snakemake's
benchmark files give each job's wall seconds. Non-work share = 1 − Σ work / (cores × wall).
The share of the run that is not work splits into per-job overhead (process start,
imports) and idle cores (Snakemake's start-up and bookkeeping, and waits on dependencies).
With --per-revision, a second run in the same folder re-extracts and re-probes the same
checkpoints read as local models (one job per revision, as hub models run), side by side with
the default shape (one job per tiny model).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from pipeline import paths

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "workflow" / "Snakefile")]


def run(workdir: Path, config: dict, cores: int) -> float:
    (workdir / "config").mkdir(exist_ok=True)
    (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    start = time.perf_counter()
    result = subprocess.run([*SNAKEMAKE, "--cores", str(cores)], cwd=workdir, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"snakemake failed:\n{result.stderr[-3000:]}")
    return wall


def job_table(workdir: Path, since: float) -> pd.DataFrame:
    """One row per job run after `since`: rule, job wall seconds, work seconds."""
    rows = []
    stats = workdir / Path(paths.job_stats("")).parent  # Snakemake's per-job records
    for bench in stats.rglob("*.tsv"):
        if bench.stat().st_mtime < since:
            continue
        relative = bench.relative_to(stats).with_suffix(".log")
        log = workdir / paths.LOGS / relative
        work = [float(line.split(":")[1]) for line in log.read_text().splitlines() if line.startswith("work seconds:")]
        rule = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        rows.append({"rule": rule, "job_s": float(pd.read_csv(bench, sep="\t")["s"].iloc[0]),
                     "work_s": sum(work)})
    return pd.DataFrame(rows)


def report(label: str, jobs: pd.DataFrame, wall: float, cores: int) -> float:
    """Print the split of the run's core-seconds; return the share that is not work."""
    capacity = cores * wall
    work, busy = jobs["work_s"].sum(), jobs["job_s"].sum()
    by_rule = jobs.groupby("rule").agg(jobs=("job_s", "size"), job_s=("job_s", "sum"), work_s=("work_s", "sum"))
    by_rule["overhead_per_job_s"] = (by_rule["job_s"] - by_rule["work_s"]) / by_rule["jobs"]
    print(f"\n{label}: wall {wall:.1f} s on {cores} cores ({capacity:.0f} core-s), {len(jobs)} jobs")
    print(f"  work {work:.1f} core-s ({work / capacity:.1%}); per-job overhead, i.e. process start and imports "
          f"{busy - work:.1f} ({(busy - work) / capacity:.1%}); cores idle, i.e. Snakemake start-up and "
          f"bookkeeping and waits on the DAG {capacity - busy:.1f} ({1 - busy / capacity:.1%})")
    print(by_rule.round(2).to_string())
    return 1 - work / capacity


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--per-revision", action="store_true", help="also run extraction and probes per revision")
    args = parser.parse_args()
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    shares, per_revision_shares = [], []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            start = time.time()
            wall = run(workdir, config, args.cores)
            shares.append(report(f"run {repeat + 1}, default", job_table(workdir, start), wall, args.cores))
            if args.per_revision:
                local = dict(config, models={
                    f"local-{name}": {"source": "local", "path": str(workdir / "results" / "checkpoints" / name),
                                      "role": spec.get("role", "student")}
                    for name, spec in config["models"].items()
                })
                local["weak_supervisors"] = {
                    name: dict(spec, model=f"local-{spec['model']}") if spec["kind"] == "probe" else spec
                    for name, spec in config["weak_supervisors"].items()
                }
                start = time.time()
                wall = run(workdir, local, args.cores)
                jobs = job_table(workdir, start)
                per_revision_shares.append(report(f"run {repeat + 1}, per revision (local copies; no pre-training)",
                                                  jobs, wall, args.cores))
    print(f"\nmedian non-work share, default: {statistics.median(shares):.1%} over {len(shares)} run(s)")
    if per_revision_shares:
        print(f"median non-work share, per-revision jobs: {statistics.median(per_revision_shares):.1%}")


if __name__ == "__main__":
    main()
