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
