"""The spaCy project's scripts, a package so that they share code by import.

Run them from the project folder as modules, as project.yml does:
`python -m scripts.train CONFIG OUTPUT CORPUS_DIR`. benchmarks/ imports the
corpus table (`scripts.catalog`) and the evaluation (`scripts.evaluate`) from here.
"""
