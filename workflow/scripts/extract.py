from pipeline.joblog import as_list, redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.extraction.gpus import claim_gpus

# before CUDA starts: this job's own GPUs on a multi-GPU machine (Snakemake assigns none)
claim_gpus(snakemake.resources.gpu, snakemake.params.extraction["device"])

import torch

from pipeline.checkpoints import checkpoint_source
from pipeline.checkpoints.download import read_checkpoint_record
from pipeline.config import ExtractionConfig
from pipeline.extraction import write_activations

torch.set_num_threads(snakemake.threads)
model = snakemake.params.model
extraction = ExtractionConfig.from_mapping(snakemake.params.extraction)
source = checkpoint_source(snakemake.config, model)
# a hub revision was downloaded by its download job (a record of where); others are read in place
records = as_list(snakemake.input.get("download", [])) or [None] * len(snakemake.output)
with timed_work():
    for revision, out, record in zip(snakemake.params.revisions, snakemake.output, records, strict=True):
        checkpoint = read_checkpoint_record(record) if record else None
        if checkpoint is None or not checkpoint.folder.is_dir():  # not downloaded ahead, or deleted since
            checkpoint = source.fetch(revision)
        write_activations(
            checkpoint.folder,
            dict(zip(snakemake.params.tasks, snakemake.input.tasks)),
            extraction,
            out,
            identity={"model": model, "revision": revision, "commit": checkpoint.commit,
                      "checkpoint": str(checkpoint.folder)},
            tokenizer=checkpoint.tokenizer_folder,
            truncation_sides=snakemake.params.truncation_sides,
        )
        source.release(checkpoint)  # a temporary download is deleted once its activations exist
