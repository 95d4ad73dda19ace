from pipeline.joblog import redirect_output

redirect_output(snakemake.log[0])

import torch  # noqa: E402

from pipeline.activations import write_activations  # noqa: E402
from pipeline.config import checkpoint_source  # noqa: E402

torch.set_num_threads(snakemake.threads)
model, revision = snakemake.wildcards.model, snakemake.wildcards.revision
checkpoint = checkpoint_source(snakemake.config, model).fetch(revision)
write_activations(
    checkpoint,
    dict(zip(snakemake.params.tasks, snakemake.input.tasks)),
    snakemake.params.extraction,
    snakemake.output[0],
    identity={"model": model, "revision": revision, "checkpoint": str(checkpoint)},
)
