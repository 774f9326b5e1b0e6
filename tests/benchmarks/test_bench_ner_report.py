"""The report's head-to-head table: each variant against spaCy's `ner` of the same seed."""


def _load_bench():
    from benchmarks import _ner_report

    return _ner_report


def _run(bench, model, f1, **extra):
    from benchmarks._common import COMMON_SET, MODELS

    overrides = {**COMMON_SET, **MODELS[model]["set"], **extra}
    return {"model": model, "overrides": overrides, "dev": {"ents_f": f1}}


def test_head_to_head_pairs_runs_by_seed():
    bench = _load_bench()
    group = [
        _run(bench, "spacy_ner", 0.88),
        _run(bench, "spacy_ner", 0.87, **{"system.seed": 1}),
        _run(bench, "bilstm_crf", 0.89),
        _run(bench, "bilstm_crf", 0.885, **{"system.seed": 1}),
        # a variant with its own setting is its own row, compared with the same seed's baseline
        _run(bench, "bilstm_crf", 0.86, **{"components.bilstm_crf_ner.model.width": 256}),
        # a seed spaCy's ner has no run for: listed, not compared
        _run(bench, "bilstm", 0.85, **{"system.seed": 7}),
    ]
    lines = bench.head_to_head(group)
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ") and "---" not in line}
    assert "| 0, 1 | 89.00 / 88.50 | **88.75** | +1.00 / +1.50 | **+1.25** |" in rows["bilstm_crf"]
    assert "| 0, 1 | 88.00 / 87.00 | **87.50** | – | – |" in rows["spacy_ner"]
    width = [line for name, line in rows.items() if "width" in name]
    assert len(width) == 1 and "**-2.00**" in width[0]
    assert rows["bilstm"].endswith("| 7 | 85.00 | **85.00** | – | – |")


def test_memory_table_reads_the_curve_at_shares_of_the_run():
    bench = _load_bench()
    curve = [{"step": 50 * i, "cpu_s": float(i), "rss_mib": 1000.0 + i, "hwm_mib": 1100.0 + i} for i in range(20)]
    run = {"run": "conll_bilstm_crf", "peak_rss_mib": 1234.0, "memory_curve": curve}
    lines = bench.memory_table([run, {"run": "old_run_without_curve", "peak_rss_mib": 1.0}])
    rows = [line for line in lines if line.startswith("| conll")]
    # 10% of 20 points is point 2, 25% point 5, 50% point 10, 75% point 15
    assert rows == ["| conll_bilstm_crf | 1,002 | 1,005 | 1,010 | 1,015 | 1,019 (step 950) | 1,234 |"]
    assert not any("old_run_without_curve" in line for line in lines)
    assert bench.memory_table([{"run": "x", "peak_rss_mib": 1.0}]) == []


def test_timed_logger_writes_memory_rows(tmp_path):
    import io
    import json

    import spacy

    from benchmarks import _ner_hooks as hooks

    out = tmp_path / "log.jsonl"
    log_step, finalize = hooks.timed_logger_v2(str(out), memory_every=2)(spacy.blank("en"), io.StringIO(), io.StringIO())
    for _ in range(5):
        log_step(None)
    finalize()
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    memory = [r for r in rows if r["event"] == "memory"]
    assert [r["step"] for r in memory] == [0, 2, 4]
    assert all(0 < r["rss_mib"] <= r["hwm_mib"] for r in memory)


def test_bench_ner_keeps_its_commands_and_the_report_module():
    from benchmarks import bench_ner as bench

    names = {c.name for c in bench.app.registered_commands}
    assert names == {"train", "speed", "report"}
    report = next(c for c in bench.app.registered_commands if c.name == "report")
    assert report.callback is bench._ner_report.report_cmd


def test_one_corpus_table_with_the_old_names():
    from benchmarks._common import CORPORA, corpus_source, train_dev_files

    # The benchmarks' --corpus conll is the project's conll2003.
    assert corpus_source("conll") is CORPORA["conll2003"]
    assert train_dev_files("conll") == ("conll2003/train.txt", "conll2003/dev.txt")
    assert train_dev_files("bc5cdr") == ("bc5cdr/train.tsv", "bc5cdr/devel.tsv")
    assert train_dev_files("gmb") == ("gmb/train.csv", "gmb/dev.csv")
    assert [corpus_source(c).format for c in ("conll", "gmb", "bc5cdr")] == ["conll", "csv", "tsv"]
