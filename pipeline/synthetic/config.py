"""The `synthetic` section of the workflow config, validated into a frozen dataclass."""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

from pipeline.config import AdaptiveConfig
from pipeline.synthetic.model import LINK_DEGREES


@dataclass(frozen=True)
class SyntheticConfig:
    d: int
    kappa: float
    link_degree: int
    n_train: int
    n_test: int
    eta: float
    steps: int
    sigma_w: float
    alpha: float
    alphas: tuple[float, ...]
    pretrain_factors: tuple[float, ...]
    start_overlaps: tuple[float, ...]
    seeds: int
    geometry_seeds: int
    seed: int
    scaling_dims: tuple[int, ...]
    scaling_kappas: tuple[float, ...]
    scaling_factors: tuple[float, ...]
    scaling_seeds: int
    adaptive_points: int
    adaptive_coarse: int
    adaptive_per_round: int
    adaptive_budget: int
    adaptive_target_width: float

    @classmethod
    def from_mapping(cls, params: Mapping) -> SyntheticConfig:
        """Validate the section's contents (every key required, no others) and build the config."""
        names = [f.name for f in fields(cls)]
        missing = [k for k in names if k not in params]
        unknown = [k for k in params if k not in names]
        if missing or unknown:
            raise ValueError(
                f"synthetic config: missing keys {missing}, unknown keys {unknown} "
                "(pass the contents of the `synthetic` section)"
            )
        cfg = cls(
            d=int(params["d"]),
            kappa=float(params["kappa"]),
            link_degree=int(params["link_degree"]),
            n_train=int(params["n_train"]),
            n_test=int(params["n_test"]),
            eta=float(params["eta"]),
            steps=int(params["steps"]),
            sigma_w=float(params["sigma_w"]),
            alpha=float(params["alpha"]),
            alphas=tuple(float(a) for a in params["alphas"]),
            pretrain_factors=tuple(float(f) for f in params["pretrain_factors"]),
            start_overlaps=tuple(float(r) for r in params["start_overlaps"]),
            seeds=int(params["seeds"]),
            geometry_seeds=int(params["geometry_seeds"]),
            seed=int(params["seed"]),
            scaling_dims=tuple(int(d) for d in params["scaling_dims"]),
            scaling_kappas=tuple(float(k) for k in params["scaling_kappas"]),
            scaling_factors=tuple(float(f) for f in params["scaling_factors"]),
            scaling_seeds=int(params["scaling_seeds"]),
            adaptive_points=int(params["adaptive_points"]),
            adaptive_coarse=int(params["adaptive_coarse"]),
            adaptive_per_round=int(params["adaptive_per_round"]),
            adaptive_budget=int(params["adaptive_budget"]),
            adaptive_target_width=float(params["adaptive_target_width"]),
        )
        cfg._check()
        return cfg

    def _check(self) -> None:
        problems = []
        if self.link_degree not in LINK_DEGREES:
            problems.append(f"link_degree must be one of {LINK_DEGREES}")
        if min(self.d, self.n_train, self.n_test, self.steps, self.seeds, self.geometry_seeds) < 1:
            problems.append("d, n_train, n_test, steps, seeds and geometry_seeds must be positive")
        if self.kappa <= 0 or self.eta <= 0 or self.sigma_w < 0:
            problems.append("kappa and eta must be positive, sigma_w non-negative")
        if not all(0 <= a < math.pi / 2 for a in (self.alpha, *self.alphas)) or len(self.alphas) < 2:
            problems.append("alpha and alphas (at least two) must lie in [0, π/2)")
        sizes = self.pretrain_sizes
        if len(sizes) < 2 or any(b <= a for a, b in itertools.pairwise(sizes)) or sizes[0] < 1:
            problems.append("pretrain_factors must give strictly increasing sample sizes N = factor·d/κ² ≥ 1")
        if not self.start_overlaps or not all(0 < r < 1 for r in self.start_overlaps):
            problems.append("start_overlaps must lie in (0, 1)")
        if len(self.scaling_dims) < 2 or min(self.scaling_dims) < 2 or not self.scaling_kappas \
                or min(self.scaling_kappas) <= 0 or self.scaling_seeds < 1:
            problems.append("scaling_dims (at least two, ≥ 2), scaling_kappas (positive) and scaling_seeds must be set")
        if len(self.scaling_factors) < 2 or any(b <= a for a, b in itertools.pairwise(self.scaling_factors)) \
                or self.scaling_factors[0] <= 0:
            problems.append("scaling_factors must be positive and strictly increasing")
        if self.adaptive_points < 2:
            problems.append(f"adaptive_points must be >= 2, got {self.adaptive_points}")
        try:
            _ = self.adaptive
        except ValueError as error:
            problems.append(str(error))
        if problems:
            raise ValueError("synthetic config: " + "; ".join(problems))

    @property
    def n_star(self) -> float:
        """N* = d/κ², the BBP threshold of the pre-training sample size."""
        return self.d / self.kappa**2

    @property
    def pretrain_sizes(self) -> list[int]:
        return [round(f * self.n_star) for f in self.pretrain_factors]

    @property
    def adaptive(self) -> AdaptiveConfig:
        """The adaptive schedule of the transition in N (`adaptive_n`) on its grid of sizes."""
        return AdaptiveConfig(coarse=self.adaptive_coarse, per_round=self.adaptive_per_round,
                              budget=self.adaptive_budget, target_width=self.adaptive_target_width)

    def at_size(self, d: int, kappa: float) -> SyntheticConfig:
        """The same problem at dimension d and spike κ, n_train scaled with d (n_train/d kept), and
        the pre-training grid replaced by `scaling_factors`, with `scaling_seeds` replicates."""
        return dataclasses.replace(self, d=d, kappa=kappa, n_train=round(self.n_train * d / self.d),
                                   pretrain_factors=self.scaling_factors,
                                   seeds=self.scaling_seeds)
