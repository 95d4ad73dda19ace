"""Cluster resources of the per-revision jobs, from the config's table by model size.

`job_resources` rows are tried in order; the first whose `max_params` is at least the model's
parameter count gives the extraction job's mem_mb / runtime (minutes) / gpu and the probes
job's mem_mb / runtime. A model's size is `models.<name>.params`, else read from its repo or
model name (`pythia-1.4b`, `OLMo-2-1124-7B`), else estimated from its shape: `tiny.model` for
tiny models, a revision's config.json for local ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)([mMbB])(?![A-Za-z])")
_UNITS = {"m": 1e6, "b": 1e9}


def size_from_name(name: str) -> float | None:
    """Parameters named in a repo or model name: the last `<number>m` or `<number>b` token."""
    found = _SIZE.findall(name)
    if not found:
        return None
    number, unit = found[-1]
    return float(number) * _UNITS[unit.lower()]


def shape_parameters(layers: int, hidden: int, vocab: int = 0, tied: bool = False) -> float:
    """Parameters of a transformer of this shape: 12·L·h² in the blocks, plus embeddings."""
    return 12 * layers * hidden**2 + vocab * hidden * (1 if tied else 2)


def local_parameters(root: str | Path) -> float | None:
    """From the config.json of any revision under a local model's folder."""
    found = next(iter(sorted(Path(root).glob("*/config.json"))), None)
    if found is None:
        return None
    c = json.loads(found.read_text())
    layers, hidden = c.get("num_hidden_layers", c.get("n_layer")), c.get("hidden_size", c.get("n_embd"))  # GPT-2
    if layers is None or hidden is None:
        return None
    return shape_parameters(layers, hidden, c.get("vocab_size", 0), c.get("tie_word_embeddings", False))


def model_parameters(config: Mapping, model: str) -> float:
    spec = config["models"][model]
    if "params" in spec:
        return float(spec["params"])
    if spec["source"] == "tiny":
        shape = config["tiny"]["model"]
        return shape_parameters(shape["num_layers"], shape["hidden_size"])  # its vocabulary is small
    size = size_from_name(spec.get("repo", model)) or size_from_name(model)
    if size is None and spec["source"] == "local":
        size = local_parameters(spec["path"])
    if size is None:
        raise ValueError(f"model {model!r}: its size is not in its name; set models.{model}.params (e.g. 1.4e9)")
    return size


def job_resources(config: Mapping, model: str, rule: str) -> dict[str, int]:
    """Resources of `rule` (extract or probes) for `model`, from the first fitting row."""
    params = model_parameters(config, model)
    for row in config["job_resources"]:
        if params <= row["max_params"]:
            return dict(row[rule])
    largest = max(row["max_params"] for row in config["job_resources"])
    raise ValueError(
        f"model {model!r} has {params:.3g} parameters, more than the largest job_resources row ({largest:.3g}); "
        "add a row"
    )
