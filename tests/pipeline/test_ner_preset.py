"""Entities already on the doc (an `entity_ruler` before `bilstm_crf_ner`) are kept and condition decoding."""
import numpy
import pytest
import spacy
from spacy.tokens import Span

from helpers.ner import ARCHS, train_nlp
from spacy_bilstm_crf.pipeline._ner.preset import FREE, fixed_tag_ids
from spacy_bilstm_crf.pipeline._ner.tags import get_tags

TEXT = "Shaka Khan lives in Berlin."
MORE = {"n_best": 4, "uncertainty": True, "alternatives": True}


def _ents(doc):
    return [(e.start, e.end, e.label_) for e in doc.ents]


@pytest.fixture(scope="module", params=[ARCHS[2], ARCHS[0]], ids=["crf", "softmax"])
def saved(request, tmp_path_factory):
    """A trained pipeline (CRF or softmax head) on disk, and what it finds in TEXT alone."""
    nlp, _ = train_nlp(request.param, n_iter=40)
    path = tmp_path_factory.mktemp("crf" if request.param == ARCHS[2] else "softmax") / "model"
    nlp.to_disk(path)
    assert _ents(nlp(TEXT)) == [(0, 2, "PERSON"), (4, 5, "LOC")]
    return path


def _with_ruler(path, patterns, **settings):
    nlp = spacy.load(path, config={"components": {"bilstm_crf_ner": settings}})
    ruler = nlp.add_pipe("entity_ruler", before="bilstm_crf_ner")
    ruler.add_patterns(patterns)
    return nlp


def test_ruler_spans_are_kept_and_the_model_entities_stay(saved):
    # "lives" is no entity to the model, "Berlin" is its LOC: the rules win, "Shaka Khan" stays.
    patterns = [{"label": "PERSON", "pattern": "lives", "id": "rule-7"}, {"label": "GPE", "pattern": "Berlin"}]
    nlp = _with_ruler(saved, patterns)
    piped = list(nlp.pipe([TEXT, "I like it.", TEXT]))
    for doc in [nlp(TEXT), piped[0], piped[2]]:
        assert _ents(doc) == [(0, 2, "PERSON"), (2, 3, "PERSON"), (4, 5, "GPE")]
        assert doc.ents[1].id_ == "rule-7"  # the pre-set span itself, not a copy of its offsets
        # The span group scores what the model decoded: the known-label rule, fixed, for sure.
        scored = {(s.start, s.end, s.label_): p for s, p in zip(doc.spans["ents_scored"], doc.spans["ents_scored"].attrs["scores"])}
        assert scored[(2, 3, "PERSON")] == pytest.approx(1.0, abs=1e-4)
        assert (4, 5, "LOC") not in scored and (4, 5, "GPE") not in scored  # GPE's token was fixed to O


def test_partial_preset_entity_fixes_only_its_tokens(saved):
    nlp = _with_ruler(saved, [{"label": "PERSON", "pattern": "Shaka"}])
    doc = nlp(TEXT)
    assert (0, 1, "PERSON") in _ents(doc) and (4, 5, "LOC") in _ents(doc)
    assert not any(e.start < 1 < e.end for e in doc.ents)  # nothing spans across the pre-set entity's end


def test_fixed_tags_leave_o_and_missing_tokens_free():
    nlp = spacy.blank("en")
    tags = get_tags(["PERSON", "LOC"], "BILUO")
    doc = nlp.make_doc("a b c d e f")
    assert (fixed_tag_ids([doc], tags, "BILUO")[0] == FREE).all()
    doc.set_ents([Span(doc, 1, 4, "LOC"), Span(doc, 5, 6, "ORG")], default="outside")
    assert [tags[i] if i != FREE else None for i in fixed_tag_ids([doc], tags, "BILUO")[0]] == [
        None, "B-LOC", "I-LOC", "L-LOC", None, "O"]  # 'O'-marked tokens are free; ORG is unknown: O
    assert [tags[i] if i != FREE else None for i in fixed_tag_ids([doc], tags, "BILUO", segments=[[3, 3]])[0]] == [
        None, "B-LOC", "L-LOC", "U-LOC", None, "O"]  # an entity across a sentence boundary: one per sentence
    bio = get_tags(["PERSON", "LOC"], "BIO")
    assert [bio[i] if i != FREE else None for i in fixed_tag_ids([doc], bio, "BIO")[0]] == [
        None, "B-LOC", "I-LOC", "I-LOC", None, "O"]


def test_o_marked_tokens_are_not_fixed(saved):
    nlp = spacy.load(saved)
    blank = _ents(nlp(TEXT))
    doc = nlp.make_doc(TEXT)
    doc.set_ents([], default="outside")  # every token explicitly O
    assert _ents(nlp.get_pipe("bilstm_crf_ner")(doc)) == blank


def test_nbest_and_probabilities_are_conditioned_on_the_preset_span(saved):
    nlp = _with_ruler(saved, [{"label": "PERSON", "pattern": "lives"}], **MORE)
    plain = spacy.load(saved, config={"components": {"bilstm_crf_ner": MORE}})
    doc, base = nlp(TEXT), plain(TEXT)
    analyses = [doc.spans[f"ents_nbest_{r}"] for r in range(4)]
    probs = [group.attrs["probabilities"][0] for group in analyses if group.attrs["probabilities"][0] is not None]
    assert len(probs) >= 2  # there are alternatives, and each of them keeps the pre-set span
    for group in analyses:
        if group.attrs["probabilities"][0] is not None:
            assert (2, 3, "PERSON") in [(s.start, s.end, s.label_) for s in group]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-5
    # Without the rule no analysis has it: the rule changed what is decoded, not just doc.ents.
    assert all((2, 3, "PERSON") not in [(s.start, s.end, s.label_) for s in base.spans[f"ents_nbest_{r}"]]
               for r in range(4))
    group = doc.spans["ents_scored"]
    i = [(s.start, s.end) for s in group].index((2, 3))
    assert group.attrs["alternatives"][i]["PERSON"] == pytest.approx(1.0, abs=1e-4)
    assert 0.0 <= group.attrs["uncertainty"]["best_probability"] <= 1.0 + 1e-6
    # A doc the rule covers whole has one analysis: the k-best decoder's others break the rule.
    doc = nlp("lives")
    assert [doc.spans[f"ents_nbest_{r}"].attrs["probabilities"] for r in range(4)] == [
        [pytest.approx(1.0, abs=1e-4)], [None], [None], [None]]
    assert doc.spans["ents_scored"].attrs["uncertainty"]["entropy"] == pytest.approx(0.0, abs=1e-4)


def test_setting_off_gives_the_component_s_own_entities(saved):
    nlp = _with_ruler(saved, [{"label": "PERSON", "pattern": "lives"}, {"label": "GPE", "pattern": "Berlin"}],
                      respect_preset_ents=False)
    assert nlp.get_pipe("bilstm_crf_ner").respect_preset_ents is False
    assert _ents(nlp(TEXT)) == _ents(spacy.load(saved)(TEXT)) == [(0, 2, "PERSON"), (4, 5, "LOC")]


def test_the_setting_round_trips_and_old_pipelines_get_the_default(saved, tmp_path):
    nlp = _with_ruler(saved, [{"label": "PERSON", "pattern": "lives"}], respect_preset_ents=False)
    nlp.to_disk(tmp_path / "off")
    loaded = spacy.load(tmp_path / "off")
    assert loaded.get_pipe("bilstm_crf_ner").respect_preset_ents is False
    assert _ents(loaded(TEXT)) == _ents(nlp(TEXT)) == [(0, 2, "PERSON"), (4, 5, "LOC")]
    # A pipeline saved before the setting existed has no such line: it loads with the default, on.
    config = (tmp_path / "off" / "config.cfg").read_text(encoding="utf8")
    assert "respect_preset_ents = false\n" in config
    (tmp_path / "off" / "config.cfg").write_text(config.replace("respect_preset_ents = false\n", ""), encoding="utf8")
    old = spacy.load(tmp_path / "off")
    assert old.get_pipe("bilstm_crf_ner").respect_preset_ents is True
    assert _ents(old(TEXT)) == [(0, 2, "PERSON"), (2, 3, "PERSON"), (4, 5, "LOC")]


@pytest.mark.parametrize("settings,code", [
    ({"threshold": "0.5"}, "E010"), ({"temperature": "2"}, "E010"), ({"threshold": True}, "E010"),
    ({"respect_preset_ents": "yes"}, "E011"), ({"respect_preset_ents": 1}, "E011"),
])
def test_settings_of_the_wrong_type_are_coded_errors(settings, code):
    from spacy_bilstm_crf.pipeline.ner import BiLSTMCRFNER

    nlp = spacy.blank("en")
    model = nlp.add_pipe("bilstm_crf_ner").model
    with pytest.raises(ValueError, match=code):
        BiLSTMCRFNER(nlp.vocab, model, **settings)
    if "threshold" in settings and settings["threshold"] == "0.5":
        with pytest.raises(ValueError, match=r"\[E010\] threshold must be a number, got '0.5'"):
            spacy.blank("en").add_pipe("bilstm_crf_ner", config=settings)


def test_annotate_after_an_entity_ruler(saved, tmp_path):
    import json

    from spacy_bilstm_crf.annotate import annotate_local

    if saved.parent.name.startswith("softmax"):
        pytest.skip("one head is enough through annotate")
    nlp = _with_ruler(saved, [{"label": "GPE", "pattern": "Berlin"}])
    nlp.to_disk(tmp_path / "ruled")
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Shaka Khan lives in Berlin."}\n', encoding="utf8")
    annotate_local(tmp_path / "ruled", src, tmp_path / "out.jsonl", progress=False)
    row = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf8"))
    assert [(e["start"], e["end"], e["label"]) for e in row["entities"]] == [(0, 10, "PERSON"), (20, 26, "GPE")]


def test_a_preset_entity_across_a_sentence_boundary(saved):
    """Sentence-level decoding: the entity is fixed as one piece per sentence, and kept whole."""
    nlp = spacy.load(saved, config={"components": {"bilstm_crf_ner": MORE}})
    nlp.add_pipe("sentencizer", first=True)
    text = "I like Berlin. Shaka Khan lives in Berlin."
    doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
    doc.set_ents([Span(doc, 2, 5, "LOC", kb_id="Q64")])  # "Berlin . Shaka"
    doc = nlp.get_pipe("bilstm_crf_ner")(doc)
    assert (2, 5, "LOC") in _ents(doc) and doc.ents[0].kb_id_ == "Q64"
    assert not any(e.start < 5 < e.end for e in doc.ents)
    for r in range(4):
        group = doc.spans[f"ents_nbest_{r}"]
        assert [s for s, _ in group.attrs["sequences"]] == [0, 4]
        if group.attrs["probabilities"][0] is not None:
            assert (2, 4, "LOC") in [(s.start, s.end, s.label_) for s in group]  # the first sentence's piece
        if group.attrs["probabilities"][1] is not None:
            assert (4, 5, "LOC") in [(s.start, s.end, s.label_) for s in group]  # the second's
