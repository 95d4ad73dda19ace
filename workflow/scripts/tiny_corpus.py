from pipeline.joblog import redirect_output

redirect_output(snakemake.log[0])

from pipeline.tiny.corpus import write_corpus  # noqa: E402

write_corpus(snakemake.params.corpus, snakemake.output.corpus, snakemake.output.task_documents)
