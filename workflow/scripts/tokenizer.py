from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.tiny.tokenizer import write_tokenizer

with timed_work():
    write_tokenizer(snakemake.input.corpus, snakemake.output[0])
