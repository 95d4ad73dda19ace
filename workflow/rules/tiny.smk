rule tiny_corpus:
    output:
        corpus=paths.tiny_corpus(),
        task_documents=paths.tiny_task_documents(),
    log:
        paths.log("tiny_corpus"),
    benchmark:
        paths.benchmark("tiny_corpus"),
    params:
        corpus=config.get("tiny", {}).get("corpus"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/tiny_corpus.py"


rule tiny_tokenizer:
    input:
        corpus=paths.tiny_corpus(),
    output:
        directory(paths.tiny_tokenizer()),
    log:
        paths.log("tiny_tokenizer"),
    benchmark:
        paths.benchmark("tiny_tokenizer"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/tiny_tokenizer.py"


rule tiny_pretrain:
    input:
        corpus=paths.tiny_corpus(),
        tokenizer=paths.tiny_tokenizer(),
    output:
        checkpoints=directory(paths.tiny_checkpoints()),
        losses=paths.tiny_losses(),
    log:
        paths.log("tiny_pretrain", "{model}"),
    benchmark:
        paths.benchmark("tiny_pretrain", "{model}"),
    params:
        seed=lambda wc: config["models"][wc.model]["seed"],
        model=config.get("tiny", {}).get("model"),
        train=config.get("tiny", {}).get("train"),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../../environment.yml"
    script:
        "../scripts/tiny_pretrain.py"
