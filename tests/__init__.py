"""The test suite; its folders mirror pipeline/ and workflow runs have their own."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

# the loopback hub's OLMo-named repo (built by the olmo_root fixture)
OLMO = "allenai/OLMo-tiny-hf"
OLMO_REVISIONS = [
    "step0-tokens0B", "step1000-tokens4B", "step2000-tokens8B", "step3000-tokens13B", "step4000-tokens17B"
]
# the final revision; the branch before it serves its weights, as some real branches serve the final ones
OLMO_DUPLICATE = "step5000-tokens21B"


def load_config(name: str) -> dict:
    """config/<name>.yaml, validated against the schema with its defaults filled, as the workflow does."""
    import yaml
    from snakemake.utils import validate

    config = yaml.safe_load((REPO_ROOT / "config" / f"{name}.yaml").read_text())
    validate(config, str(REPO_ROOT / "config" / "schemas" / "config.schema.yaml"))
    return config
