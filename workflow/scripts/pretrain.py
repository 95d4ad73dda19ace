from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

import torch

from pipeline.tiny.pretrain import run_pretraining

torch.set_num_threads(snakemake.threads)
with timed_work():
    run_pretraining(
        snakemake.input.corpus,
        snakemake.input.tokenizer,
        snakemake.output.checkpoints,
        snakemake.output.losses,
        model=snakemake.params.model,
        train=snakemake.params.train,
        seed=snakemake.params.seed,
    )
