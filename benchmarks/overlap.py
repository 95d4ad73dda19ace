"""Downloads overlapped with extraction (hub.prefetch) vs one after the other, side by side.

    .venv/bin/python benchmarks/overlap.py [--revisions 10] [--hidden-size 512] [--layers 6]

Serves --revisions random GPT-NeoX checkpoints (Pythia's architecture, one seed each) from the
loopback hub (tests/fakes/hub_server.py) over a link throttled so that a download takes about as
long as an extraction (calibrated here: one extraction of the task, timed in-process), and runs
the real workflow on them up to the activations, on 2 cores with one download at a time
(`--resources downloads=1`: the link is one): once with hub.prefetch 1 and once with 0 (each
download waits for the previous extraction). Prints each run's wall, the sums of the
download and extraction jobs' walls (Snakemake's benchmark files), and the peak disk of the
download folder against the largest checkpoint. The task table and the integrity pre-flight
are built before either timed run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import transformers
import yaml

from pipeline import paths
from pipeline.extraction.engine import Extractor
from pipeline.tiny.corpus import CorpusSpec, generate_documents
from pipeline.tiny.pretrain import ModelSpec, build_model, save_checkpoint
from pipeline.tiny.tokenizer import train_word_tokenizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the loopback hub and the disk watch are the tests' own
from tests.fakes.disk import DiskWatch  # noqa: E402
from tests.fakes.hub_server import folder_files, serve  # noqa: E402

SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "workflow" / "Snakefile")]
REPO = "EleutherAI/pythia-overlap"
SIZES = {"A": 400, "B": 400, "test": 400}


def build_repo(workdir: Path, revisions: int, spec: ModelSpec) -> tuple[dict, list[str], Path]:
    """The task file, and `revisions` checkpoints as hub branches; returns (branches, task texts, one folder)."""
    documents = generate_documents(CorpusSpec(seed=3), 2 * sum(SIZES.values()), stream=0)  # both classes fill
    (workdir / "data").mkdir(parents=True)
    documents[["text", "label"]].to_csv(workdir / "data" / "docs.csv", index=False)
    tokenizer = train_word_tokenizer(documents["text"])
    branches = {}
    for seed in range(revisions):
        folder = workdir / "checkpoints" / f"step{seed}"
        save_checkpoint(build_model(tokenizer, spec, seed), tokenizer, folder)
        branches[f"step{seed}"] = folder_files(folder)
    return branches, documents["text"].tolist(), workdir / "checkpoints" / "step0"


def config_for(branches: dict, prefetch: int, layers: int) -> dict:
    return {
        "models": {"bench": {"source": "hub", "repo": REPO, "revisions": list(branches), "params": 1e6}},
        "tasks": {"docs": {"source": "file", "path": "data/docs.csv", "sizes": SIZES}},
        "weak_supervisors": {"cue-words": {"kind": "bag_of_words", "n_words": 3}},
        "extraction": {"layers": [layers], "max_length": 64},
        "hub": {"prefetch": prefetch, "backoff_s": 0.1},
    }


def snakemake(workdir: Path, env: dict, targets: list[str]) -> float:
    start = time.perf_counter()
    # one link: a second download at once would only share it, so downloads go one at a time
    result = subprocess.run([*SNAKEMAKE, *targets, "--cores", "2", "--resources", "downloads=1"], cwd=workdir,
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"snakemake failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - start


def job_seconds(workdir: Path, rule: str) -> float:
    stats = workdir / Path(paths.job_stats(rule, "bench", "x")).parent
    return sum(float(pd.read_csv(f, sep="\t")["s"].iloc[0]) for f in stats.glob("*.tsv"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=10)
    parser.add_argument("--hidden-size", type=int, default=512)
    parser.add_argument("--layers", type=int, default=6)
    args = parser.parse_args()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    spec = ModelSpec(hidden_size=args.hidden_size, num_layers=args.layers, num_heads=4, context=64)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        branches, texts, one = build_repo(workdir, args.revisions, spec)
        size = max(sum(len(b) for b in files.values()) for files in branches.values())
        start = time.perf_counter()
        Extractor(one, device="cpu").extract(texts, [args.layers], max_length=64, progress=False)
        extraction_s = time.perf_counter() - start
        bandwidth = size / extraction_s
        print(f"{args.revisions} revisions of {size / 1e6:.1f} MB; one extraction in-process {extraction_s:.1f} s; "
              f"link throttled to {bandwidth / 1e6:.2f} MB/s (a download ≈ an extraction)", flush=True)
        targets = [paths.activations("bench", r) for r in branches]
        rows = []
        with serve({REPO: branches}, bandwidth=bandwidth) as (url, hub):
            env = {**os.environ, "HF_ENDPOINT": url, "PYTHONUNBUFFERED": "1"}
            (workdir / "config").mkdir()
            for prefetch in (1, 0):
                (workdir / "config" / "config.yaml").write_text(yaml.safe_dump(config_for(branches, prefetch,
                                                                                          args.layers)))
                snakemake(workdir, env, [paths.task_table("docs"), paths.integrity_table()])
                for stale in ("activations", "job_stats"):
                    shutil.rmtree(workdir / paths.RESULTS / stale, ignore_errors=True)
                served = sum(hub.served.values())
                with DiskWatch(workdir / paths.RESULTS / "downloads", interval_s=0.05) as disk:
                    wall = snakemake(workdir, env, targets)
                rows.append({"prefetch": prefetch, "wall_s": wall, "sum_download_s": job_seconds(workdir, "download"),
                             "sum_extract_s": job_seconds(workdir, "extract"), "peak_disk_MB": disk.peak / 1e6,
                             "served_MB": (sum(hub.served.values()) - served) / 1e6})
                print(f"prefetch {prefetch}: wall {wall:.0f} s", flush=True)
    table = pd.DataFrame(rows).set_index("prefetch")
    print("\n" + table.round(1).to_string())
    on, off = table.loc[1], table.loc[0]
    bound = max(on["sum_download_s"], on["sum_extract_s"])
    print(f"\nwall with prefetch / max(Σ download, Σ extraction): {on['wall_s'] / bound:.2f} (target ≤ 1.25)")
    print(f"wall with prefetch / wall without: {on['wall_s'] / off['wall_s']:.2f} (target ≤ 0.70)")
    for prefetch, row in table.iterrows():
        print(f"prefetch {prefetch}: peak disk / ((prefetch + 1) × largest checkpoint): "
              f"{row['peak_disk_MB'] * 1e6 / ((prefetch + 1) * size):.2f} (target ≤ 1.05)")


if __name__ == "__main__":
    main()
