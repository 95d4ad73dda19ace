"""Typed sections of the workflow config, and its error type.

The schema (config/schemas/config.schema.yaml) validates the config and fills its defaults;
each section is then built once into a frozen dataclass whose defaults equal the schema's
(tests/test_config.py checks it), so code reads `extraction.batch_size`, never
`extraction.get("batch_size", 64)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import ClassVar, Self


class ConfigError(ValueError):
    """A config that passes the schema but cannot run; the message names the key and value."""


OBJECTIVES: tuple[str, ...] = ("soft_ce", "hard_ce", "logconf", "knn")
"""The W2S probes' training objectives (pipeline.probing.objectives)."""
SELECTION_RULES: tuple[str, ...] = ("min", "one_se")
"""How a probe picks C from its CV losses (pipeline.probing.logistic.choose_c)."""
# the default regularisation path, one C per decade. No unpenalised fit (C = inf): on separable data
# it has no optimum and stops at the iteration cap, so its CV loss is the cap's artefact and moves
# under any perturbation (16-bit storage moved the chosen C through it); 1e4 on standardized
# features is as weak a penalty as a probe needs where the optimum exists
DEFAULT_CS: tuple[float, ...] = (1e-4, 1e-3, 0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4)
POOLINGS: tuple[str, ...] = ("last", "first", "mean")
"""Poolings over a text's tokens: the last non-pad token, the first (an encoder's CLS), the mean."""
STORAGE_DTYPES: tuple[str, ...] = ("float16", "bfloat16", "float32")
"""How stored activations are written (always read back as float32)."""
ALL_LAYERS = "all"
"""extraction.layers: every hidden state, the embedding output to the last layer."""


def check_layer_spec(spec: object) -> int | float:
    """Return `spec` if it is a layer index (int) or a relative depth (float in [0, 1]); else
    raise naming the value and what is allowed."""
    if isinstance(spec, bool) or not isinstance(spec, int | float):
        raise ValueError(f"layer {spec!r} is not allowed: use an int index or a float depth in [0, 1]")
    if isinstance(spec, float) and not 0.0 <= spec <= 1.0:
        raise ValueError(
            f"layer {spec!r} is not allowed: a float is a relative depth in [0, 1] (0.0 = embeddings, "
            "1.0 = last layer); write an index as an int (e.g. 3, not 3.0)"
        )
    return spec


def check_choices(key: str, values: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    """`values` are some of `allowed`, at least one, none twice."""
    unknown = [v for v in values if v not in allowed]
    if unknown or not values or len(set(values)) < len(values):
        raise ConfigError(f"{key} {list(values)!r} is not allowed: use distinct values among {list(allowed)}")


def check_layer(key: str, spec: object) -> None:
    """`check_layer_spec`, raising a ConfigError that names the config key."""
    try:
        check_layer_spec(spec)
    except ValueError as error:
        raise ConfigError(f"{key}: {error}") from None


@dataclass(frozen=True)
class Section:
    """A config section as a frozen dataclass."""

    key: ClassVar[str]  # the section's key in the config

    @classmethod
    def from_mapping(cls, values: Mapping | None) -> Self:
        """Build from the section's mapping; keys it does not know are an error naming the allowed ones."""
        values = dict(values or {})
        allowed = sorted(f.name for f in fields(cls))
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise ConfigError(f"{cls.key}: unknown key {unknown[0]!r}; allowed: {allowed}")
        # lists become tuples: the section stays hashable and its repr (Snakemake's params) stable
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


@dataclass(frozen=True)
class HubConfig(Section):
    key = "hub"

    cache_dir: str | None = None
    """huggingface_hub's cache, used when checkpoints are kept (None: its default)."""
    keep_checkpoints: bool = False
    """Keep downloads in the hub cache; else each revision goes to download_dir and is deleted after use."""
    download_dir: str = "results/downloads"
    """Temporary checkpoints."""
    min_free_disk_gb: float = 1.0
    """Free disk a download must leave."""
    attempts: int = 5
    """Tries of a hub call on 5xx answers and network failures."""
    backoff_s: float = 1.0
    """Wait before the first retry, doubled for each further one."""
    prefetch: int = 1
    """Hub revisions downloaded ahead of the one being extracted (0: download, then extract)."""
    lanes: int = 1
    """Download-then-extract chains, each holding at most prefetch + 1 checkpoints on disk."""


@dataclass(frozen=True)
class ExtractionConfig(Section):
    key = "extraction"

    layers: tuple[int | float, ...] | str
    """Layers stored: an int is a hidden-state index (0 = embeddings, negative from the end), a
    float in [0, 1] a relative depth resolved per model (0.0 = embeddings, 1.0 = last layer);
    "all" stores every one. Probes pick from them (probes.layers)."""
    poolings: tuple[str, ...] = ("last",)
    """Poolings stored, each of every stored layer (POOLINGS); probes pick one (probes.pooling)."""
    storage_dtype: str = "float32"
    """float32, or float16 / bfloat16 (half the bytes; each unit standardized first: store.encode)."""
    batch_size: int = 64
    """Texts per batch at most (max_tokens usually binds first)."""
    max_length: int = 512
    """Tokens kept per text."""
    max_tokens: int | None = None
    """Padded tokens per batch at most (None: the device's default)."""
    dtype: str = "auto"
    """auto (float32 on CPU and MPS, bfloat16 on CUDA), float32 or bfloat16."""
    device: str = "auto"
    """auto (cuda, else mps, else cpu), cpu, cuda, cuda:N or mps."""

    def __post_init__(self):
        if isinstance(self.layers, str):
            if self.layers != ALL_LAYERS:
                raise ConfigError(f"extraction.layers {self.layers!r} is not allowed: use {ALL_LAYERS!r} or a list")
        else:
            for spec in self.layers:
                check_layer(f"{self.key}.layers", spec)
        check_choices("extraction.poolings", self.poolings, POOLINGS)
        check_choices("extraction.storage_dtype", (self.storage_dtype,), STORAGE_DTYPES)


@dataclass(frozen=True)
class ProbeConfig(Section):
    key = "probes"

    Cs: tuple[float, ...] = DEFAULT_CS
    """The regularisation path (inf: unpenalised, not in the default); each probe picks one C by CV on its own
    training labels, and the gain under every fixed C is reported beside it."""
    cv_folds: int = 5
    """Folds of that cross-validation."""
    seed: int = 0
    """Seed of the fold assignment."""
    selection: str = "min"
    """How C is picked from the CV losses: min (the least loss) or one_se (the smallest C within
    one standard error of the least loss)."""
    objectives: tuple[str, ...] = ("soft_ce",)
    """Training objectives of the W2S probe, each a probe of its own (pipeline.probing.objectives)."""
    layers: tuple[int | float, ...] | None = None
    """Layers probed, each among extraction.layers as written there (None: every stored layer)."""
    pooling: str | None = None
    """Pooling probed, one of extraction.poolings (None: its first)."""

    def __post_init__(self):
        for spec in self.layers or ():
            check_layer(f"{self.key}.layers", spec)
        if self.pooling is not None:
            check_choices("probes.pooling", (self.pooling,), POOLINGS)
        check_choices("probes.selection", (self.selection,), SELECTION_RULES)
        unknown = [name for name in self.objectives if name not in OBJECTIVES]
        if unknown or not self.objectives:
            raise ConfigError(f"probes: unknown objective {unknown[0] if unknown else None!r} in "
                              f"{list(self.objectives)}; allowed: {list(OBJECTIVES)}")


@dataclass(frozen=True)
class MetricsConfig(Section):
    key = "metrics"

    pgr_min_margin: float = 0.02
    """PGR is reported missing where gold − weak is below this…"""
    pgr_margin_se: float = 3.0
    """… or below this many paired standard errors of gold − weak (on the same test examples)."""
    ci_level: float = 0.95
    """Level of the per-revision PGR interval (Fieller's, from the paired per-example differences)."""


@dataclass(frozen=True)
class WeakSupervisorConfig(Section):
    """One named entry of `weak_supervisors`: a predictor fit on split A's gold labels."""

    key = "weak_supervisors"

    kind: str
    """bag_of_words (a few cue words), tfidf (every word, TF-IDF weighted), or probe (a probe on a
    model's activations); each picks its L2 strength by CV on A (the text kinds over the finite
    `probes.Cs`, a probe over all of them)."""
    n_words: int = 3
    """bag_of_words: cue words used."""
    min_df: int = 1
    """tfidf: documents a word must occur in to count."""
    model: str | None = None
    """probe: the model (a key of `models`) whose activations it uses."""
    revision: str | None = None
    """probe: that model's revision."""
    layer: int | float | None = None
    """probe: its layer, index or depth as in extraction.layers (one of them)."""

    def __post_init__(self):
        if self.layer is not None:
            check_layer(f"{self.key}.layer", self.layer)


@dataclass(frozen=True)
class AnalysisConfig(Section):
    key = "analysis"

    alpha: float = 0.05
    """Level of the detector's tests (change, transition, dip, sharpness) and of the FDR."""
    n_boot: int = 200
    """Noise replicates per curve (test examples or seeds), shared by the detector's bootstraps."""
    axis: str = "step"
    """x axis of the fits: log10(step + 1), or log10 tokens."""
    min_effect: Mapping[str, float] = field(
        default_factory=lambda: {"gain": 0.02, "pgr": 0.1, "gain_auroc": 0.02, "pgr_auroc": 0.1, "gold_acc": 0.02,
                                 "gold_dprime": 0.2, "rankme": 1.0, "alpha_req": 0.05}
    )
    """Smallest change over the trajectory that counts, per curve."""
    correlation_test: str = "permutation"
    """p of the differenced correlation: permutation of differences, or neff (effective sample size)."""
    exclude_duplicates: bool = True
    """Leave the revisions the integrity pre-flight flags out of the fits."""
    exclude_revisions: tuple[str, ...] = ()
    """Revisions left out of the fits, for every model."""
    plateau_revisions: int = 3
    """The late plateau of each curve (per weak supervisor): the mean over its last this many
    revisions kept in the fits."""


@dataclass(frozen=True)
class AdaptiveConfig(Section):
    key = "adaptive"

    coarse: int = 16
    """Revisions of round 0, spaced evenly on the detector's axis (first and last included)."""
    per_round: int = 8
    """Revisions added per later round, at most."""
    budget: int = 48
    """Revisions probed in all, at most."""
    target_width: float = 0.1
    """Stop when every location interval is narrower, in decades of the detector's axis."""
    metrics: tuple[str, ...] = ("gain",)
    """The curves (per task and layer) whose transitions decide where to probe next."""

    def __post_init__(self):
        if not 2 <= self.coarse <= self.budget:
            raise ConfigError(f"adaptive: need 2 <= coarse <= budget, got coarse={self.coarse}, budget={self.budget}")
        if self.per_round < 1:
            raise ConfigError(f"adaptive: per_round must be >= 1, got {self.per_round}")
        if not self.target_width > 0:
            raise ConfigError(f"adaptive: target_width must be > 0 decades, got {self.target_width}")

    def updated(self, changes: Mapping | None) -> AdaptiveConfig:
        """This section with a model's own `revisions: {adaptive: {...}}` keys applied."""
        return type(self).from_mapping({**asdict(self), **dict(changes or {})})


SECTIONS: tuple[type[Section], ...] = (
    HubConfig, ExtractionConfig, ProbeConfig, MetricsConfig, WeakSupervisorConfig, AnalysisConfig, AdaptiveConfig,
)
