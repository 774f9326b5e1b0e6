"""The benchmarks, a package so that they share code by import: run each from
the repository root as a module, e.g. `python -m benchmarks.bench_ner --help`.
`benchmarks._common` holds what they share and imports the corpus table and the
evaluation from the project's scripts (`scripts.catalog`, `scripts.evaluate`).
Modules whose names start with `_` are not scripts."""
