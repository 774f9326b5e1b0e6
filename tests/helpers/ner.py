"""Test helpers: a toy NER set, tiny configs for each architecture, a trainer."""
from pathlib import Path
from typing import Dict, List

import spacy
from spacy.language import Language
from spacy.training import Example
from thinc.api import Adam

ARCHS = [
    "spacy-bilstm-crf.BiLSTMTagger.v1",
    "spacy-bilstm-crf.BiLSTMLSTMTagger.v1",
    "spacy-bilstm-crf.BiLSTMCRFTagger.v1",
]

TRAIN_DATA = [
    ("Who is Shaka Khan?", [(7, 17, "PERSON")]),
    ("I like London and Berlin.", [(7, 13, "LOC"), (18, 24, "LOC")]),
    ("I like Berlin and London today.", [(7, 13, "LOC"), (18, 24, "LOC")]),
    ("Shaka Khan lives in Berlin.", [(0, 10, "PERSON"), (20, 26, "LOC")]),
    ("Zoë Müller visited Zürich.", [(0, 10, "PERSON"), (19, 25, "LOC")]),
]


def tiny_model_config(arch: str, width: int = 32, depth: int = 1, **extra) -> Dict:
    model = {
        "@architectures": arch,
        "width": width,
        "depth": depth,
        "dropout": 0.0,
        "spatial_dropout": 0.0,
        "tok2vec": {
            "@architectures": "spacy.MultiHashEmbed.v2",
            "width": 32,
            "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
            "rows": [500, 100, 100, 100],
            "include_static_vectors": False,
        },
    }
    if arch.startswith("spacy-bilstm-crf.BiLSTMLSTMTagger."):
        model["lstm_width"] = width
    model.update(extra)
    return {"model": model}


def make_examples(nlp: Language, data=TRAIN_DATA):
    return [Example.from_dict(nlp.make_doc(text), {"entities": ents}) for text, ents in data]


def train_nlp(arch: str, n_iter: int = 80, tag_scheme: str = "BILUO", data=TRAIN_DATA, **kwargs):
    """A blank English pipeline with a trained `bilstm_crf_ner` and its losses."""
    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("en")
    config = tiny_model_config(arch, **kwargs)
    config["tag_scheme"] = tag_scheme
    nlp.add_pipe("bilstm_crf_ner", config=config)
    examples = make_examples(nlp, data)
    nlp.initialize(lambda: examples)
    optimizer = Adam(0.01)
    history = []
    for _ in range(n_iter):
        losses: Dict[str, float] = {}
        nlp.update(examples, sgd=optimizer, losses=losses)
        history.append(losses["bilstm_crf_ner"])
    return nlp, history


BERT_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def write_tiny_bert(path: Path, words: List[str]) -> Path:
    """A randomly initialised 2-layer, 32-wide BERT with a cased word-level
    vocabulary (the words, their characters and ##characters), no network."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    path.mkdir(parents=True, exist_ok=True)
    chars = sorted({c for w in words for c in w})
    vocab = BERT_SPECIAL + sorted(set(words)) + [c for c in chars if c not in words] + ["##" + c for c in chars]
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf8")
    tokenizer = BertTokenizerFast(vocab_file=str(path / "vocab.txt"), do_lower_case=False,
                                  strip_accents=False, model_max_length=128)
    tokenizer.save_pretrained(str(path))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(path))
    return path


def write_toy_corpus(path: Path) -> Dict[str, str]:
    """TRAIN_DATA as train.spacy and dev.spacy in `path`; returns the
    `paths.train`/`paths.dev` overrides for a config."""
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    db = DocBin()
    for text, ents in TRAIN_DATA:
        doc = nlp.make_doc(text)
        doc.ents = [doc.char_span(s, e, label=label) for s, e, label in ents]
        db.add(doc)
    db.to_disk(path / "train.spacy")
    db.to_disk(path / "dev.spacy")
    return {"paths.train": str(path / "train.spacy"), "paths.dev": str(path / "dev.spacy")}
