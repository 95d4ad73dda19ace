from pipeline.joblog import redirect_output

redirect_output(snakemake.log[0])

from pipeline.tiny.tokenizer import write_tokenizer  # noqa: E402

write_tokenizer(snakemake.input.corpus, snakemake.output[0])
