"""Storage of pooled activations: one safetensors file per (model, revision) holding every
task, pooling and layer, with JSON metadata (model, revision, commit, layers, poolings, dtype, n,
ids, the storage dtype and the bytes stored). Stored in float32, or in float16 / bfloat16 in each
array's principal axes, each axis standardized (`encode`); always read back as float32.

Numpy-only, so that jobs that read activations need not import torch or transformers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import save_file

from pipeline.config import ALL_LAYERS, check_layer_spec
from pipeline.io import atomic_path

LayerSpec = int | float
"""A layer as configured: an int is an index into hidden_states (negative from the end), a float
in [0, 1] a relative depth (0.0 = embedding output, 1.0 = last layer)."""


def resolve_layer(spec: LayerSpec, num_layers: int, model: str | None = None) -> int:
    """One configured layer as an index into hidden_states (0 = embedding output, num_layers =
    last block's output). A depth d goes to the nearest layer, round(d × num_layers) with ties
    to the deeper one (0.5 of 7 layers is 4); a tolerance keeps float error from breaking a tie
    (0.29 × 50 is 14.499… in floats, yet 15)."""
    check_layer_spec(spec)
    if isinstance(spec, float):
        return math.floor(spec * num_layers + 0.5 + 1e-9)
    index = spec + num_layers + 1 if spec < 0 else spec
    if not 0 <= index <= num_layers:
        name = f"model {model!r}" if model else "a model"
        raise ValueError(
            f"layer {spec} is out of range for {name} with {num_layers} layers: "
            f"allowed are {-(num_layers + 1)} … {num_layers} (0 = embeddings), or a float depth in [0, 1]"
        )
    return index


def resolve_layers(layers: Sequence[LayerSpec] | str, num_layers: int, model: str | None = None) -> list[int]:
    """Configured layers (indices and depths, or "all") as sorted, distinct indices into
    hidden_states: specs that land on the same layer of this model (e.g. -1 and 1.0) are stored once."""
    if layers == ALL_LAYERS:
        return list(range(num_layers + 1))
    return sorted({resolve_layer(spec, num_layers, model) for spec in layers})


def relative_depth(layer: int, num_layers: int) -> float:
    """A resolved layer's depth in [0, 1] (layer / num_layers), to compare models of any size."""
    return layer / num_layers


def ids_digest(ids: Sequence[str]) -> str:
    """A short fingerprint of example ids, to check that stored rows match a task table."""
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def tensor_key(task: str, pooling: str, layer: int, part: str = "layer") -> str:
    """A stored tensor's name; `part` "center", "scale" and "basis" name a 16-bit tensor's map back."""
    return f"{task}/{pooling}/{part}{layer}"


def to_bfloat16_bits(array: np.ndarray) -> np.ndarray:
    """float32 → bfloat16 (round to nearest even) as its uint16 bit patterns: numpy has no bfloat16."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def from_bfloat16_bits(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


SIXTEEN_BIT_PARTS = ("layer", "center", "scale", "basis")
"""What a 16-bit tensor is stored as (`encode`)."""


def encode(array: np.ndarray, storage_dtype: str) -> dict[str, np.ndarray]:
    """What is written for one (examples, dims) array: as it is in float32; in 16 bits, in its
    principal axes, each axis standardized over the examples.

    A 16-bit float rounds relative to the value. Rounding raw values would erase a unit that sits
    far from zero with a small spread; rounding each unit standardized still adds noise of 2^-12 of
    a unit's spread in every direction, and a language model's features are nearly collinear: the
    directions of least variance, which a weakly regularised probe weighs heavily, would be
    drowned (test logits moved by 0.01, flipping the examples a probe is unsure of). In the
    principal axes, each axis is rounded relative to its own spread, so every direction keeps
    2^-11 (float16) or 2^-8 (bfloat16) of its spread. The axes are stored in float16 and the
    scores are solved against those rounded axes, so their rounding adds no error of its own.
    Parts: the standardized scores (16-bit), the mean and the axes' spreads (float32), the axes
    (float16, dims × dims). A standardized score is at most sqrt(n − 1) in size, far inside
    float16's range."""
    array = np.asarray(array, dtype=np.float32)
    if storage_dtype == "float32":
        return {"layer": np.ascontiguousarray(array)}
    center = array.mean(0, dtype=np.float64)
    centered = array - center
    _, axes = np.linalg.eigh(centered.T @ centered)
    basis = axes.astype(np.float16)
    # centered = scores @ basis.T exactly, for the basis as stored
    scores = np.linalg.solve(basis.astype(np.float64), centered.T).T
    scale = scores.std(0)
    scale[scale == 0] = 1.0  # a direction of no variance: stored as zeros
    z = np.ascontiguousarray(scores / scale, dtype=np.float32)  # safetensors writes the buffer as it lies
    stored = to_bfloat16_bits(z) if storage_dtype == "bfloat16" else z.astype(np.float16)
    return {"layer": stored, "center": center.astype(np.float32), "scale": scale.astype(np.float32),
            "basis": basis}


def decode(parts: Mapping[str, np.ndarray], storage_dtype: str) -> np.ndarray:
    """The float32 array `encode` wrote."""
    if storage_dtype == "float32":
        return parts["layer"]
    z = from_bfloat16_bits(parts["layer"]) if storage_dtype == "bfloat16" else parts["layer"].astype(np.float32)
    scores = z.astype(np.float64) * parts["scale"]
    return (scores @ parts["basis"].astype(np.float64).T + parts["center"]).astype(np.float32)


def save_activations(
    path: str | Path,
    features: Mapping[str, Mapping[str, Mapping[int, np.ndarray]]],
    metadata: Mapping[str, object],
    storage_dtype: str = "float32",
) -> int:
    """Write {task: {pooling: {layer: array}}} atomically in `storage_dtype`, with JSON-encoded
    metadata (plus the storage dtype and the bytes stored); return the bytes stored."""
    tensors = {}
    for task, by_pooling in features.items():
        for pooling, by_layer in by_pooling.items():
            for layer, array in by_layer.items():
                for part, tensor in encode(array, storage_dtype).items():
                    tensors[tensor_key(task, pooling, layer, part)] = tensor
    stored_bytes = sum(t.nbytes for t in tensors.values())
    metadata = {**metadata, "storage_dtype": storage_dtype, "stored_bytes": stored_bytes}
    with atomic_path(path) as partial:
        save_file(tensors, str(partial), metadata={k: json.dumps(v) for k, v in metadata.items()})
    return stored_bytes


def _metadata(opened) -> dict[str, object]:
    return {k: json.loads(v) for k, v in (opened.metadata() or {}).items()}


def read_metadata(path: str | Path) -> dict[str, object]:
    """A stored file's metadata, without reading its tensors."""
    with safe_open(str(path), framework="numpy") as f:
        return _metadata(f)


def load_activations(
    path: str | Path, task: str, layers: Collection[int] | None = None, pooling: str | None = None
) -> tuple[dict[int, np.ndarray], dict[str, object]]:
    """Read one task's {layer: float32 array} of one stored pooling (default: the first stored) at
    every stored layer, or only `layers`, and the file's metadata."""
    with safe_open(str(path), framework="numpy") as f:
        metadata = _metadata(f)
        if "poolings" not in metadata:
            raise KeyError(f"{path} was written by an older version (one pooling, float32); delete it so that it "
                           "is extracted again")
        poolings = metadata["poolings"]
        pooling = pooling or (poolings[0] if poolings else None)
        if pooling not in poolings:
            raise KeyError(f"{path} stores no {pooling!r} pooling; it stores {poolings} (extraction.poolings)")
        prefix = f"{task}/{pooling}/layer"
        stored = {int(k[len(prefix) :]): k for k in f.keys() if k.startswith(prefix)}  # noqa: SIM118
        if not stored:
            raise KeyError(f"{path} holds no activations for task {task!r}")
        missing = sorted(set(layers or ()) - set(stored))
        if missing:
            raise KeyError(f"{path} stores no layer {missing} of task {task!r}; it stores layers {sorted(stored)} "
                           "(extraction.layers)")
        sixteen_bit = metadata["storage_dtype"] != "float32"
        parts = SIXTEEN_BIT_PARTS if sixteen_bit else ("layer",)
        if sixteen_bit and tensor_key(task, pooling, min(stored), "basis") not in f.keys():  # noqa: SIM118
            raise KeyError(f"{path} was written by an older version (16-bit per unit); delete it so that it is "
                           "extracted again")
        by_layer = {
            layer: decode({part: f.get_tensor(tensor_key(task, pooling, layer, part)) for part in parts},
                          metadata["storage_dtype"])
            for layer in stored if layers is None or layer in layers
        }
    return by_layer, metadata


def check_alignment(metadata: Mapping[str, object], task: str, ids: Sequence[str], path: str | Path) -> None:
    """Raise if the stored rows of `task` are not the examples `ids`, in that order."""
    stored = metadata.get("ids_digest", {}).get(task)
    if stored != ids_digest(ids):
        raise ValueError(
            f"{path}: activations of task {task!r} were extracted for other examples than its task table; "
            "delete the file so that it is extracted again"
        )


def load_task_features(
    path: str | Path, task: str, ids: Sequence[str], layers: Collection[int] | None = None, pooling: str | None = None
) -> tuple[dict[int, np.ndarray], dict[str, object]]:
    """One task's {layer: array (n, dim)} of one pooling (load_activations), and the file's
    metadata, checked to be of the examples `ids` in that order."""
    by_layer, metadata = load_activations(path, task, layers, pooling)
    check_alignment(metadata, task, ids, path)
    return by_layer, metadata


def is_readable(path: str | Path) -> bool:
    """Whether a stored activations file is complete: safetensors checks that its header and
    every tensor lie inside the file, so a truncated or overwritten file fails here."""
    try:
        with safe_open(str(path), framework="numpy") as f:
            f.metadata()
        return True
    except (SafetensorError, OSError):
        return False


def remove_unreadable(paths: Sequence[str | Path]) -> list[Path]:
    """Delete the existing files among `paths` that are not readable, so that the workflow
    regenerates them instead of reading them; return what was deleted."""
    removed = [Path(p) for p in paths if Path(p).exists() and not is_readable(p)]
    for path in removed:
        path.unlink()
    return removed
