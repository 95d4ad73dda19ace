"""The activations store: poolings and layers picked from what is stored, compact dtypes read back
as float32, and errors that name what is stored."""

import numpy as np
import pytest

from pipeline.extraction.store import FLOAT16_MAX, load_activations, read_metadata, save_activations


def _features(rng, scale: float = 1.0) -> dict:
    return {"t": {pooling: {layer: (rng.standard_normal((50, 8)) * scale).astype(np.float32) for layer in (0, 2)}
                  for pooling in ("last", "mean")}}


@pytest.mark.parametrize(("dtype", "bytes_per_value", "relative_error"),
                         [("float32", 4, 0.0), ("float16", 2, 2.0**-11), ("bfloat16", 2, 2.0**-8)])
def test_each_storage_dtype_reads_back_as_float32_within_its_rounding(tmp_path, dtype, bytes_per_value,
                                                                      relative_error):
    features = _features(np.random.default_rng(0))
    out = tmp_path / "a.safetensors"
    stored = save_activations(out, features, {"poolings": ["last", "mean"]}, dtype)
    assert stored == 2 * 2 * 50 * 8 * bytes_per_value == read_metadata(out)["stored_bytes"]
    for pooling in ("last", "mean"):
        by_layer, _ = load_activations(out, "t", [2], pooling)
        assert list(by_layer) == [2] and by_layer[2].dtype == np.float32
        np.testing.assert_allclose(by_layer[2], features["t"][pooling][2], rtol=relative_error, atol=0)


def test_float16_falls_back_to_bfloat16_for_a_tensor_beyond_its_range(tmp_path):
    features = _features(np.random.default_rng(1))
    features["t"]["last"][2][0, 0] = 4 * FLOAT16_MAX  # early Pythia states can be this large
    out = tmp_path / "a.safetensors"
    save_activations(out, features, {"poolings": ["last", "mean"]}, "float16")
    dtypes = read_metadata(out)["tensor_dtypes"]
    assert dtypes == {"t/last/layer0": "float16", "t/last/layer2": "bfloat16", "t/mean/layer0": "float16",
                      "t/mean/layer2": "float16"}
    by_layer, _ = load_activations(out, "t", pooling="last")
    assert np.isfinite(by_layer[2]).all() and by_layer[2][0, 0] == pytest.approx(4 * FLOAT16_MAX, rel=2.0**-8)


def test_what_is_not_stored_is_refused_naming_what_is(tmp_path):
    out = tmp_path / "a.safetensors"
    save_activations(out, _features(np.random.default_rng(2)), {"poolings": ["last", "mean"]})
    assert list(load_activations(out, "t")[0]) == [0, 2]  # default: every layer of the first pooling
    with pytest.raises(KeyError, match=r"stores no layer \[1\] of task 't'; it stores layers \[0, 2\]"):
        load_activations(out, "t", [1, 2])
    with pytest.raises(KeyError, match=r"stores no 'first' pooling; it stores \['last', 'mean'\]"):
        load_activations(out, "t", pooling="first")
