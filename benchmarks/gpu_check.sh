#!/usr/bin/env bash
# GPU check, run on a lent GPU machine in one call of at most ~8 minutes (issue 19):
#   device run, carry [".whl", ".gpu_data"]:  bash benchmarks/gpu_check.sh
# (prepare both first on the CPU machine: bash benchmarks/gpu_prepare.sh).
# 1. installs the carried wheels and this package into /tmp/site (no registry there);
# 2. runs the GPU tests (pytest -m gpu);
# 3. trains the shipped BiLSTM-CRF briefly on CoNLL-2003 on the GPU and on the CPU (2 threads, as on
#    our 2-core machines) and times inference both ways, comparing entities (benchmarks/gpu_check.py).
# Results: $OUT/gpu_check.json (or .gpu_out/ without $OUT) and the log.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${OUT:-.gpu_out}
mkdir -p "$OUT_DIR"
exec > >(tee "$OUT_DIR/gpu_check.log") 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-compile --target /tmp/site . || exit 1
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
python3 -c "import spacy, thinc, torch, cupy; print('spacy', spacy.__version__, 'thinc', thinc.__version__, 'torch', torch.__version__, 'cupy', cupy.__version__, 'cuda', torch.cuda.is_available())"
timeout 240 python3 -m pytest -q -p no:cacheprovider -m gpu tests/test_gpu.py
tests_rc=$?
timeout 300 python3 -m benchmarks.gpu_check --data-dir .gpu_data --out "$OUT_DIR/gpu_check.json"
check_rc=$?
echo "gpu tests exit $tests_rc, gpu_check.py exit $check_rc"
exit $(( tests_rc || check_rc ))
