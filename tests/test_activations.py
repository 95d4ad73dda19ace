import numpy as np
import pytest
import torch

from pipeline.activations import Extractor, pool, write_activations
from pipeline.store import check_alignment, ids_digest, load_activations, resolve_layers


def test_resolve_layers():
    assert resolve_layers([-1, 0, 2], num_layers=2) == [0, 2]
    with pytest.raises(ValueError, match=r"layer 3 is out of range .* -3 … 2"):
        resolve_layers([3], num_layers=2)


@pytest.mark.parametrize("side", ["left", "right"])
def test_pool_picks_last_real_token_and_mean_of_real_tokens(side):
    hidden = torch.arange(2 * 4 * 3, dtype=torch.float32).reshape(2, 4, 3)
    lengths = [2, 4]
    mask = torch.zeros(2, 4, dtype=torch.long)
    for row, n in enumerate(lengths):
        if side == "right":
            mask[row, :n] = 1
        else:
            mask[row, 4 - n :] = 1
    last = pool(hidden, mask, "last")
    expected_last = [1, 3] if side == "right" else [3, 3]
    for row, pos in enumerate(expected_last):
        assert torch.equal(last[row], hidden[row, pos])
    mean = pool(hidden, mask, "mean")
    for row in range(2):
        assert torch.allclose(mean[row], hidden[row][mask[row].bool()].mean(0))


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_activation_of_a_text_does_not_depend_on_its_batch(checkpoint_root, small_documents, pooling):
    extractor = Extractor(checkpoint_root / "step1")
    texts = small_documents["text"].tolist()[:40]
    together = extractor.extract(texts, [1, 2], pooling=pooling, batch_size=16)
    for i in (0, 7, 39):
        alone = extractor.extract([texts[i]], [1, 2], pooling=pooling, batch_size=1)
        for layer in (1, 2):
            np.testing.assert_allclose(together[layer][i], alone[layer][0], atol=1e-4)


def test_written_activations_round_trip_with_metadata(tmp_path, checkpoint_root, small_documents):
    table = small_documents.head(30).assign(id=[f"id{i}" for i in range(30)])
    table.to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "acts.safetensors"
    identity = {"model": "m", "revision": "step0", "checkpoint": str(checkpoint_root / "step0")}
    write_activations(checkpoint_root / "step0", {"t": tmp_path / "t.parquet"},
                      {"layers": [-1, 1], "pooling": "last"}, out, identity)
    layers, meta = load_activations(out, "t")
    assert sorted(layers) == [1, 2] and layers[2].shape == (30, 32)
    assert meta["revision"] == "step0" and meta["n"] == {"t": 30} and meta["layers"] == [1, 2]
    assert meta["ids_digest"]["t"] == ids_digest(table["id"].tolist())
    check_alignment(meta, "t", table["id"].tolist(), out)
    with pytest.raises(ValueError, match="other examples"):
        check_alignment(meta, "t", table["id"].tolist()[::-1], out)
    assert not list(tmp_path.glob(".*partial*"))
