"""The project's scripts import each other by module name (scripts/ is on
sys.path when `spacy project run` calls them): put it there for the tests too."""
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
