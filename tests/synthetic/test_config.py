"""The `synthetic` config section's validation."""

from __future__ import annotations

import pytest

from pipeline.synthetic.config import SyntheticConfig
from tests.synthetic.helpers import small


def test_config_requires_exactly_the_documented_keys():
    with pytest.raises(ValueError, match="missing keys \\['kappa'\\]"):
        SyntheticConfig.from_mapping({k: v for k, v in small().__dict__.items() if k != "kappa"})
    with pytest.raises(ValueError, match="unknown keys"):
        SyntheticConfig.from_mapping({**small().__dict__, "extra": 1})
    with pytest.raises(ValueError, match="link_degree"):
        small(link_degree=5)


def test_config_names_a_bad_adaptive_schedule():
    with pytest.raises(ValueError, match=r"coarse <= budget, got coarse=30, budget=16"):
        small(adaptive_coarse=30)
    with pytest.raises(ValueError, match="adaptive_points must be >= 2, got 1"):
        small(adaptive_points=1)
