"""Every name the package declares as an entry point resolves in spaCy's registries."""
from importlib.metadata import distribution

import pytest
from spacy.language import Language
from spacy.util import registry

GROUPS = {
    "spacy_architectures": registry.architectures,
    "spacy_readers": registry.readers,
    "spacy_misc": registry.misc,
    "spacy_tokenizers": registry.tokenizers,
    "thinc_optimizers": registry.optimizers,
    "thinc_schedules": registry.schedules,
}
ENTRY_POINTS = [
    ep for ep in distribution("spacy-bilstm-crf").entry_points if ep.group in GROUPS or ep.group == "spacy_factories"
]


def test_entry_points_are_declared():
    assert {ep.group for ep in ENTRY_POINTS} >= {"spacy_factories", "spacy_architectures", "thinc_optimizers", "thinc_schedules"}


@pytest.mark.parametrize("ep", ENTRY_POINTS, ids=lambda ep: ep.name)
def test_entry_point_resolves(ep):
    if ep.group == "spacy_factories":
        ep.load()  # what spaCy does for a factory it does not know yet; registers it
        assert Language.has_factory(ep.name)
        assert Language.get_factory_meta(ep.name).factory == ep.name
    else:
        assert GROUPS[ep.group].get(ep.name) is ep.load()
