#!/usr/bin/env bash
# Prepare, on this CPU machine, what benchmarks/gpu_check.sh needs on a lent GPU machine,
# which reaches no package registry and has no ../shared/data:
#   .whl/       spaCy, thinc and the other packages that machine lacks, as cp312 manylinux wheels
#   .gpu_data/  CoNLL-2003 train/dev as DocBin (converted from ../shared/data)
# Both are ignored by git (.gitignore) and travel with `carry`.
# The whole tree that travels must stay under 64 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
mkdir -p .whl .gpu_data
# Versions of this project's pins (requirements.txt resolves them here); the GPU image already has
# torch, numpy, typer, click, tqdm, requests, jinja2, setuptools, packaging, httpx, wrapt, pytest.
PKGS="spacy==3.8.18 thinc==8.3.14 blis==1.3.4 cymem==2.0.16 preshed==3.0.15 murmurhash==1.0.16 srsly==2.5.6
wasabi==1.1.3 catalogue==2.0.10 confection==1.3.4 weasel==1.0.1 cloudpathlib==0.26.0 smart_open==9.0.4
pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.7.0 typing-inspection==0.4.5 typing_extensions==4.16.0
spacy-legacy==3.0.12 spacy-loggers==1.0.5 pytorch-crf==0.7.2"
$PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_24_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64 \
    -d .whl $PKGS
for split in train dev; do
    [ -f .gpu_data/conll_$split.spacy ] || $PY -m spacy_bilstm_crf convert ../shared/data/conll2003/$split.txt .gpu_data/conll_$split.spacy --format conll
done
du -sh .whl .gpu_data
echo "now: device run, carry [.whl, .gpu_data], command: bash benchmarks/gpu_check.sh"
