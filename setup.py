"""spacy-bilstm-crf: BiLSTM / BiLSTM-LSTM / BiLSTM-CRF NER taggers for spaCy v3."""
from pathlib import Path

from setuptools import find_packages, setup

# Not needed by the package: pytorch-crf is the reference the tests check the CRF
# algorithms against (and benchmarks/bench_crf.py's baseline); seqeval and matplotlib
# serve the spaCy project's evaluate and compare scripts.
TEST_REQUIRES = ["pytest>=7.0", "pytest-timeout>=2.1", "pytest-xdist>=3.0", "pytorch-crf>=0.7.2,<0.8.0"]
PROJECT_REQUIRES = ["seqeval>=1.2.2", "matplotlib>=3.7,<4"]

about: dict = {}
exec((Path(__file__).parent / "spacy_bilstm_crf" / "about.py").read_text(), about)

setup(
    name=about["__title__"],
    version=about["__version__"],
    description="BiLSTM, BiLSTM-LSTM and BiLSTM-CRF named-entity taggers as spaCy v3 components",
    long_description=(Path(__file__).parent / "README.md").read_text(encoding="utf8"),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["spacy_bilstm_crf", "spacy_bilstm_crf.*"]),
    python_requires=">=3.9",
    install_requires=[
        "spacy>=3.8.0,<3.9.0",
        "thinc>=8.3.0,<8.4.0",
        "torch>=2.1",
        "safetensors>=0.4.0",
        "typer>=0.9.0",
        "tqdm>=4.38.0",
        "srsly>=2.4.0,<3.0.0",
    ],
    extras_require={
        "transformers": ["spacy-transformers>=1.3.0,<1.5.0"],
        "ray": ["ray>=2.30"],
        "test": TEST_REQUIRES,
        "project": PROJECT_REQUIRES,
        "dev": TEST_REQUIRES + PROJECT_REQUIRES,
    },
    entry_points={
        "spacy_factories": [
            "bilstm_crf_ner = spacy_bilstm_crf.pipeline.ner:make_bilstm_crf_ner",
        ],
        "spacy_architectures": [
            "spacy-bilstm-crf.BiLSTMTagger.v2 = spacy_bilstm_crf.ml.architectures:build_bilstm_tagger_v2",
            "spacy-bilstm-crf.BiLSTMLSTMTagger.v2 = spacy_bilstm_crf.ml.architectures:build_bilstm_lstm_tagger_v2",
            "spacy-bilstm-crf.BiLSTMCRFTagger.v4 = spacy_bilstm_crf.ml.architectures:build_bilstm_crf_tagger_v4",
            "spacy-bilstm-crf.BiLSTMTagger.v1 = spacy_bilstm_crf.ml.legacy:build_bilstm_tagger_v1",
            "spacy-bilstm-crf.BiLSTMLSTMTagger.v1 = spacy_bilstm_crf.ml.legacy:build_bilstm_lstm_tagger_v1",
            "spacy-bilstm-crf.BiLSTMCRFTagger.v1 = spacy_bilstm_crf.ml.legacy:build_bilstm_crf_tagger_v1",
            "spacy-bilstm-crf.BiLSTMCRFTagger.v2 = spacy_bilstm_crf.ml.legacy:build_bilstm_crf_tagger_v2",
            "spacy-bilstm-crf.BiLSTMCRFTagger.v3 = spacy_bilstm_crf.ml.legacy:build_bilstm_crf_tagger_v3",
            "spacy-bilstm-crf.CharCNN.v1 = spacy_bilstm_crf.ml.layers.chars:CharCNN",
            "spacy-bilstm-crf.CharBiLSTM.v1 = spacy_bilstm_crf.ml.layers.chars:CharBiLSTM",
            "spacy-bilstm-crf.StackedEmbed.v1 = spacy_bilstm_crf.ml.layers.stacked:StackedEmbed",
            "spacy-bilstm-crf.WordEmbed.v1 = spacy_bilstm_crf.ml.layers.word_embed:WordEmbed",
        ],
        "thinc_optimizers": [
            "spacy-bilstm-crf.SGDMomentum.v1 = spacy_bilstm_crf.ml.optimizers:SGDMomentum",
        ],
        "thinc_schedules": [
            "spacy-bilstm-crf.epoch_decaying.v1 = spacy_bilstm_crf.ml.schedules:epoch_decaying",
        ],
        "spacy_tokenizers": [
            "spacy-bilstm-crf.BiomedicalTokenizer.v1 = spacy_bilstm_crf.tokenizer:create_biomedical_tokenizer",
        ],
        "spacy_readers": [
            "spacy-bilstm-crf.OversamplingCorpus.v1 = spacy_bilstm_crf.readers.oversampling:create_oversampling_corpus",
            "spacy-bilstm-crf.SilverCorpus.v1 = spacy_bilstm_crf.readers.silver:create_silver_corpus",
        ],
    },
    classifiers=[
        "Framework :: spaCy",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
