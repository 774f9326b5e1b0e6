"""The CRF's outputs equal those recorded from the code before the lattice
(crf_capture.json, written by crf_capture.py at that commit): entities,
probabilities, n-best analyses, uncertainty, alternatives, the loss and its
gradient, log Z, marginals, Viterbi, k best, span probabilities."""
import json
import math
from pathlib import Path
from typing import Any, List

import pytest

from crf_capture import capture

RECORD = Path(__file__).parent / "crf_capture.json"
# With n_best = 1 the old code rounded an entity's log-probability to float32
# and took its exp in float32 (after dividing the scores by the temperature
# in float32); the lattice does both in float64 and rounds once, as the
# n-best path always did: those float32 probabilities may move by an ulp.
N_BEST_1_SCORES = ("bilstm/plain", "bilstm_crf/plain", "bilstm/scores_t1.7", "bilstm_crf/scores_t1.7")


def differences(old: Any, new: Any, where: str, rel: float) -> List[str]:
    """Where `new` differs from `old`: structure, strings and integers
    exactly; floats within `rel` (relative, and as absolute near 0)."""
    if isinstance(old, dict) and isinstance(new, dict):
        if sorted(old) != sorted(new):
            return [f"{where}: keys {sorted(old)} != {sorted(new)}"]
        return [d for key in old for d in differences(old[key], new[key], f"{where}/{key}", rel)]
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{where}: length {len(old)} != {len(new)}"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, f"{where}[{i}]", rel)]
    if isinstance(old, float) or isinstance(new, float):
        if old is None or new is None or isinstance(old, (str, list, dict)) or isinstance(new, (str, list, dict)):
            return [f"{where}: {old!r} != {new!r}"]
        if old == new or (math.isnan(old) and math.isnan(new)):
            return []
        if math.isclose(old, new, rel_tol=rel, abs_tol=rel):
            return []
        return [f"{where}: {old!r} != {new!r}"]
    return [] if old == new and type(old) is type(new) else [f"{where}: {old!r} != {new!r}"]


@pytest.fixture(scope="module")
def outputs():
    return json.loads(RECORD.read_text(encoding="utf8")), json.loads(json.dumps(capture()))


@pytest.mark.parametrize("part", ["pipeline", "lattice"])
def test_outputs_equal_the_record(outputs, part):
    old, new = outputs
    found = []
    for key in old[part]:
        rel = 1e-6 if key in N_BEST_1_SCORES else 1e-9
        found += differences(old[part][key], new[part][key], f"{part}/{key}", rel)
    assert not found, "\n".join(found[:20])


def test_the_record_holds_what_it_should(outputs):
    old, _ = outputs
    crf = old["pipeline"]["bilstm_crf/all"]
    assert sum(len(doc["ents"]) for doc in crf) >= 5
    assert any(doc["ents_nbest_3"]["spans"] for doc in crf)
    assert old["pipeline"]["bilstm_crf/loss"]["param_grads"]
    assert all(old["lattice"][s]["spans"] for s in ("none", "BILUO", "BIO"))
