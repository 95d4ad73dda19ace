from pipeline.joblog import redirect_output, timed_work

redirect_output(snakemake.log[0])

from pipeline.tiny.corpus import write_corpus

with timed_work():
    write_corpus(snakemake.params.corpus, snakemake.output.corpus, snakemake.output.task_documents)
