"""The cost of a sweep before it runs: revisions, bytes to download, peak disk, extraction time per
device kind, and the revisions the integrity pre-flight will exclude, for every hub model of a config.

    .venv/bin/python -m pipeline.planner --configfile config/pythia.yaml [--slots 4] [--markdown]

Sizes come from the hub's file listing (the files a download fetches: config, tokenizer, one weight
format; no weight is downloaded) and the exclusions from the pre-flight's own functions on the
listed LFS hashes. Without the hub, `--sizes resources/hub_sizes.tsv` takes a size per checkpoint
from a table that states its source; exclusions are then unknown. A model with `revisions:
adaptive` is probed coarse to fine: its bytes are a range, from the coarse round's revisions (the
schedule's own choice, the pre-flight's exclusions skipped) to a full budget (the coarse ones plus
the largest of the others).

Extraction time is an upper bound: every text at `extraction.max_length` tokens, 2 × parameters
(embeddings included) FLOPs per token, at the FLOP rate of each device kind in
`resources/extraction_rates.yaml` (each rate says where it comes from). Peak disk is per running
extraction lane: the checkpoints on disk at once (`hub.prefetch` + 1) times the largest, times
--slots (default `hub.lanes`); with `hub.keep_checkpoints` every download stays in the cache.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from pipeline.analysis.adaptive_round import plan_round
from pipeline.analysis.job import excluded_revisions
from pipeline.checkpoints.hub import checkpoint_files, list_files
from pipeline.checkpoints.integrity import flag_revisions
from pipeline.checkpoints.revisions import Revision
from pipeline.checkpoints.schedule import adaptive_settings, model_revisions, model_rows, step_repos
from pipeline.config import AnalysisConfig, HubConfig, MetricsConfig
from pipeline.resources import model_parameters

SCHEMA = Path(__file__).resolve().parents[1] / "config" / "schemas" / "config.schema.yaml"
RATES = "resources/extraction_rates.yaml"


@dataclass(frozen=True)
class ModelPlan:
    model: str
    revisions: int  # revisions the workflow downloads (adaptive: the candidates)
    bytes_low: int  # bytes to download: all revisions, or an adaptive schedule's coarse round
    bytes_high: int  # … or its full budget
    largest: int  # bytes of the largest revision
    extracted_low: int  # revisions extracted (adaptive: coarse … budget)
    extracted_high: int
    excluded: tuple[str, ...] | None  # None: unknown (no hub)
    params: float
    sizes: str  # where the sizes come from


def load_config(path: str | Path) -> dict:
    """A config validated against the schema, its defaults filled, as the workflow reads it."""
    from snakemake.utils import validate

    config = yaml.safe_load(Path(path).read_text())
    validate(config, str(SCHEMA))
    return config


def read_published_sizes(path: str | Path) -> dict[str, tuple[int, str]]:
    """{repo: (bytes of one checkpoint, where the figure comes from)} from a TSV with the columns
    repo, bytes, source."""
    table = pd.read_csv(path, sep="\t", comment="#", dtype={"repo": str, "source": str})
    return {row.repo: (int(row.bytes), row.source) for row in table.itertuples()}


def read_rates(path: str | Path = RATES) -> dict[str, dict]:
    """{device kind: {label, flops_per_s, basis, source}}."""
    rates = yaml.safe_load(Path(path).read_text())
    for kind, rate in rates.items():
        missing = {"label", "flops_per_s", "basis", "source"} - set(rate)
        if missing or not isinstance(rate["flops_per_s"], (int, float)):
            raise ValueError(f"{path}: {kind!r} needs label, flops_per_s (a number), basis and source; got {rate}")
    return rates


def revision_bytes(config: Mapping, model: str, rows: Sequence[dict]) -> dict[str, int]:
    """{revision: bytes a download of it fetches}, from the hub's listing of its commit."""
    spec = config["models"][model]
    repos = step_repos(spec)
    sizes = {}
    for row in rows:
        repo = repos[row["revision"]] if repos is not None else spec["repo"]
        files = checkpoint_files(list_files(repo, row["commit"]), f"{repo}@{row['revision']}")
        sizes[row["revision"]] = sum(f.size for f in files)
    return sizes


def coarse_round(config: Mapping, model: str, revisions: Sequence[Revision], excluded: Sequence[str]) -> list[str]:
    """The revisions of an adaptive schedule's round 0 (round 0 reads no metrics)."""
    settings = adaptive_settings(config, model)
    analysis = AnalysisConfig.from_mapping(config["analysis"])
    margin = MetricsConfig.from_mapping(config["metrics"])
    first = plan_round(model, 0, revisions, [], pd.DataFrame(), None, settings, analysis, margin, excluded)
    return [p["revision"] for p in first.proposals]


def plan_model(
    config: Mapping, model: str, sizes: Mapping[str, int], excluded: Sequence[str] | None, source: str
) -> ModelPlan:
    """A model's plan from the bytes of each revision and its exclusions (None: unknown)."""
    revisions = model_revisions(config, model)
    settings = adaptive_settings(config, model)
    total = [sizes[r.name] for r in revisions]
    if settings is None:
        low = high = sum(total)
        extracted_low = extracted_high = len(revisions)
    else:
        coarse = coarse_round(config, model, revisions, excluded or ())
        rest = sorted((sizes[r.name] for r in revisions if r.name not in coarse and r.name not in (excluded or ())),
                      reverse=True)
        low = sum(sizes[name] for name in coarse)
        extra = rest[: max(settings.budget - len(coarse), 0)]
        high = low + sum(extra)
        extracted_low, extracted_high = len(coarse), len(coarse) + len(extra)
    return ModelPlan(model, len(revisions), low, high, max(total), extracted_low, extracted_high,
                     None if excluded is None else tuple(excluded), model_parameters(config, model), source)


def plan_from_hub(config: Mapping, model: str) -> ModelPlan:
    rows, final, final_name = model_rows(config, model)
    table = flag_revisions(pd.DataFrame(rows).assign(model=model), final, final_name)
    excluded = excluded_revisions([model], AnalysisConfig.from_mapping(config["analysis"]), table)[model]
    return plan_model(config, model, revision_bytes(config, model, rows), excluded, "hub listing")


def plan_from_published(config: Mapping, model: str, published: Mapping[str, tuple[int, str]]) -> ModelPlan:
    revisions = model_revisions(config, model)  # first: a schedule from a manifest needs the hub once
    repo = config["models"][model].get("repo", model)
    if repo not in published:
        raise LookupError(f"{repo}: no published size in the sizes table")
    size, source = published[repo]
    return plan_model(config, model, dict.fromkeys((r.name for r in revisions), size), None, source)


def tokens_per_revision(config: Mapping) -> int:
    """Tokens one revision's extraction reads at most: every task's texts at max_length."""
    texts = sum(sum(task["sizes"].values()) for task in config["tasks"].values())
    return texts * config["extraction"]["max_length"]


def plan_table(
    config: Mapping, plans: Sequence[ModelPlan], rates: Mapping[str, dict], slots: int | None = None
) -> pd.DataFrame:
    """One row per model, and a total row; `slots` extractions at once (default: hub.lanes)."""
    hub = HubConfig.from_mapping(config["hub"])
    slots = slots or hub.lanes
    on_disk = hub.prefetch + 1  # checkpoints one lane holds at once (pipeline/checkpoints/prefetch.py)
    tokens = tokens_per_revision(config)
    rows = []
    for p in plans:
        row = {"model": p.model, "revisions": p.revisions, "extracted": _span(p.extracted_low, p.extracted_high),
               "download_bytes_low": p.bytes_low, "download_bytes_high": p.bytes_high,
               "peak_disk_bytes": p.bytes_high if hub.keep_checkpoints else slots * on_disk * p.largest,
               "excluded": "unknown (needs the hub's LFS hashes)" if p.excluded is None
               else " ".join(p.excluded) or "none",
               "sizes": p.sizes}
        for kind, rate in rates.items():
            flops = 2 * p.params * tokens
            row[f"hours_{kind}_low"] = p.extracted_low * flops / rate["flops_per_s"] / 3600
            row[f"hours_{kind}_high"] = p.extracted_high * flops / rate["flops_per_s"] / 3600
        rows.append(row)
    table = pd.DataFrame(rows)
    if len(plans) > 1:
        total = {c: table[c].sum() for c in table.columns if c.startswith(("download_bytes", "hours_"))}
        # kept downloads add up; deleted ones are bounded per slot by the largest checkpoint of any model
        peak = table["peak_disk_bytes"].sum() if hub.keep_checkpoints else table["peak_disk_bytes"].max()
        table.loc[len(table)] = {"model": "total", "revisions": table["revisions"].sum(), "extracted": "",
                                 **total, "peak_disk_bytes": peak, "excluded": "", "sizes": ""}
    return table


def _span(low: float, high: float) -> str:
    return f"{low}" if low == high else f"{low}–{high}"


def _gb(low: float, high: float) -> str:
    return _span(f"{low / 1e9:,.1f}", f"{high / 1e9:,.1f}") + " GB"


def _hours(low: float, high: float) -> str:
    def fmt(hours: float) -> str:  # two significant digits below 10 h
        return f"{hours:,.0f}" if hours >= 10 else f"{hours:.2g}"

    return _span(fmt(low), fmt(high)) + " h"


def markdown(table: pd.DataFrame, rates: Mapping[str, dict]) -> str:
    header = ["model", "revisions", "extracted", "download", "peak disk",
              *(f"extraction, {r['label']}" for r in rates.values()), "excluded by the pre-flight"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table.to_dict("records"):
        cells = [row["model"], str(row["revisions"]), row["extracted"],
                 _gb(row["download_bytes_low"], row["download_bytes_high"]),
                 _gb(row["peak_disk_bytes"], row["peak_disk_bytes"]),
                 *(_hours(row[f"hours_{k}_low"], row[f"hours_{k}_high"]) for k in rates), row["excluded"]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", required=True)
    parser.add_argument("--sizes", help="a TSV of published checkpoint sizes (repo, bytes, source), instead of the hub")
    parser.add_argument("--rates", default=RATES, help=f"FLOP rates per device kind (default: {RATES})")
    parser.add_argument("--slots", type=int, help="extractions running at once, e.g. GPUs (default: hub.lanes)")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table instead of a plain one")
    parser.add_argument("--json", help="also write the table as JSON records here")
    args = parser.parse_args(argv)
    config = load_config(args.configfile)
    rates = read_rates(args.rates)
    published = read_published_sizes(args.sizes) if args.sizes else None
    plans, unknown = [], []
    for model, spec in config["models"].items():
        if spec["source"] != "hub":
            unknown.append(f"{model}: not planned: source {spec['source']!r} downloads nothing")
            continue
        try:
            plans.append(plan_from_hub(config, model) if published is None
                         else plan_from_published(config, model, published))
        except (LookupError, OSError, ValueError) as error:  # no size or no schedule known offline
            unknown.append(f"{model}: not planned: {error}")
    slots = args.slots or config["hub"]["lanes"]
    table = plan_table(config, plans, rates, slots)
    if args.json:
        table.to_json(args.json, orient="records", indent=1)
    print(markdown(table, rates) if args.markdown else table.to_string(index=False))
    for rate in rates.values():
        print(f"{rate['label']}: {rate['flops_per_s']:.3g} FLOP/s, {rate['basis']} ({rate['source']})")
    print(f"tokens per revision at most {tokens_per_revision(config):,}; "
          f"slots {slots}, each holding hub.prefetch + 1 = "
          f"{config['hub']['prefetch'] + 1} checkpoints; "
          f"sizes: {'the hub' if published is None else args.sizes}")
    for line in unknown:
        print(line)


if __name__ == "__main__":
    main()
