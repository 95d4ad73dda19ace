"""Wall time of `snakemake -n` (building the DAG, no job run) for the whole Pythia suite:
config/pythia.yaml's 18 models (ten sizes, -deduped where it exists) with every one of the
154 revisions, on its five tasks. Needs no network: the DAG is built from the schedule.

    .venv/bin/python benchmarks/dryrun_scale.py [--repeats 3]

Prints the job count by rule and the wall time of each repeat and their median; the target is
≤ 30 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    config = yaml.safe_load((ROOT / "config" / "pythia.yaml").read_text())
    for spec in config["models"].values():
        spec["revisions"] = "all"
    with tempfile.TemporaryDirectory() as workdir:
        config_path = Path(workdir) / "pythia-all.yaml"
        config_path.write_text(yaml.safe_dump(config))
        command = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "workflow" / "Snakefile"), "-n", "--cores", "4",
                   "--configfile", str(config_path), "--quiet", "rules"]
        times = []
        for repeat in range(repeats):
            start = time.perf_counter()
            result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if result.returncode != 0:
                sys.exit(f"snakemake -n failed:\n{result.stderr[-3000:]}")
            print(f"run {repeat + 1}: {times[-1]:.1f} s")
    counts = dict(re.findall(r"^(\w+)\s+(\d+)$", result.stdout + result.stderr, flags=re.MULTILINE))
    print(f"{len(config['models'])} models × 154 revisions × {len(config['tasks'])} tasks")
    print("jobs by rule: " + ", ".join(f"{rule} {n}" for rule, n in counts.items() if rule != "total"))
    print(f"total jobs: {counts.get('total')}")
    print(f"median wall time of snakemake -n: {statistics.median(times):.1f} s (target ≤ 30 s)")


if __name__ == "__main__":
    main()
