"""The activations store: poolings and layers picked from what is stored, compact dtypes read back
as float32, and errors that name what is stored."""

import numpy as np
import pytest

from pipeline.extraction.store import decode, encode, load_activations, read_metadata, save_activations


def _features(rng, scale: float = 1.0) -> dict:
    return {"t": {pooling: {layer: (rng.standard_normal((50, 8)) * scale).astype(np.float32) for layer in (0, 2)}
                  for pooling in ("last", "mean")}}


@pytest.mark.parametrize(("dtype", "bytes_per_value", "error"), [("float32", 4, 0.0), ("float16", 2, 2.0**-11),
                                                              ("bfloat16", 2, 2.0**-8)])
def test_each_storage_dtype_reads_back_as_float32_within_its_rounding_of_each_units_spread(
    tmp_path, dtype, bytes_per_value, error
):
    """Units far from zero with a small spread (as a language model's often are) and early
    Pythia's huge states: in 16 bits each unit keeps its spread to the dtype's precision."""
    rng = np.random.default_rng(0)
    offset = np.array([0.0, 300.0, -2e4, 5.0, 1e6, 0.0, 7.0, 1.0], np.float32)
    spread = np.array([1.0, 0.1, 3.0, 0.01, 1e3, 0.0, 1.0, 0.05], np.float32)
    features = {"t": {pooling: {layer: offset + spread * rng.standard_normal((50, 8)).astype(np.float32)
                                for layer in (0, 2)} for pooling in ("last", "mean")}}
    out = tmp_path / "a.safetensors"
    stored = save_activations(out, features, {"poolings": ["last", "mean"]}, dtype)
    values = 2 * 2 * 50 * 8
    # per tensor: a float32 center and axis spread per dim, and the float16 axes (8 × 8)
    affine = 0 if dtype == "float32" else 2 * 2 * (2 * 8 * 4 + 8 * 8 * 2)
    assert stored == values * bytes_per_value + affine == read_metadata(out)["stored_bytes"]
    for pooling in ("last", "mean"):
        by_layer, _ = load_activations(out, "t", [2], pooling)
        assert list(by_layer) == [2] and by_layer[2].dtype == np.float32
        original = features["t"][pooling][2]
        deviation = np.abs(by_layer[2] - original) / np.where(spread > 0, original.std(0), 1)
        # a standardized value is at most sqrt(49) = 7 here, so its rounding is at most 7 × error
        # (and float32's own rounding near a large offset, under 1e-3 of these spreads)
        assert deviation.max() <= 7 * error + 1e-3
        if dtype == "float16":  # raw float16 would have lost the units near 300 and 1e6 altogether
            with np.errstate(over="ignore"):  # 1e6 is beyond float16's range
                raw = np.abs(original.astype(np.float16).astype(np.float32) - original) / original.std(0).clip(1e-12)
            assert raw[:, 1].max() > 1


@pytest.mark.parametrize(("dtype", "error"), [("float16", 2.0**-11), ("bfloat16", 2.0**-8)])
def test_16_bit_storage_keeps_every_direction_to_its_own_precision_in_collinear_features(dtype, error):
    """Nearly collinear units (a language model's are): along the direction of least variance,
    the read-back features keep that direction's spread to the dtype's precision. Each unit
    rounded on its own would bury that direction in its rounding noise."""
    rng = np.random.default_rng(1)
    n, d = 400, 12
    latent = rng.standard_normal((n, 3))
    x = (latent @ rng.standard_normal((3, d)) + 1e-4 * rng.standard_normal((n, d))).astype(np.float32)
    centered = x - x.mean(0, dtype=np.float64)
    variances, axes = np.linalg.eigh(centered.T @ centered / n)
    weakest = axes[:, 0]  # a probe could weigh this direction most
    spread = np.sqrt(variances[0])
    back = decode(encode(x, dtype), dtype)
    deviation = np.abs((back - x) @ weakest) / spread
    assert deviation.max() <= np.sqrt(n) * error  # a standardized score is at most sqrt(n − 1)
    z = (x - x.mean(0)) / x.std(0)  # float16 rounding of each standardized unit alone
    per_unit = (z.astype(np.float16).astype(np.float32) - z) * x.std(0)
    assert np.abs(per_unit @ weakest).max() / spread > 10  # ten times that direction's spread


def test_what_is_not_stored_is_refused_naming_what_is(tmp_path):
    out = tmp_path / "a.safetensors"
    save_activations(out, _features(np.random.default_rng(2)), {"poolings": ["last", "mean"]})
    assert list(load_activations(out, "t")[0]) == [0, 2]  # default: every layer of the first pooling
    with pytest.raises(KeyError, match=r"stores no layer \[1\] of task 't'; it stores layers \[0, 2\]"):
        load_activations(out, "t", [1, 2])
    with pytest.raises(KeyError, match=r"stores no 'first' pooling; it stores \['last', 'mean'\]"):
        load_activations(out, "t", pooling="first")
