"""The benchmark scripts import their shared layer as `_common` (benchmarks/ is
on sys.path when they run): put it there for the tests too."""
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))
