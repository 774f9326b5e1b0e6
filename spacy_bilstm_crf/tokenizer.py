"""A tokenizer for biomedical text: spaCy's rule-based tokenizer of the
pipeline's language, with extra infix and suffix rules in the spirit of
scispaCy's.

Why: spaCy's English tokenizer keeps `CHX/Pilo`, `Na+/K+`, `Ca(2+)` or
`DOX)-induced` as one token, so chemical and disease mentions that end inside
them cannot be entities, neither in the gold data nor at inference. These rules
split at the characters where BC5CDR mentions begin and end (`/`, `+`, `(`,
`)`, `[`, `]`, `-`, `:`, `,` and a few more, between letters and digits) while
leaving numbers (`1.5`, `-3`), URLs and spaCy's exceptions (`e.g.`) alone.
"""
from typing import Callable, List

from spacy.lang.char_classes import ALPHA, ALPHA_LOWER, ALPHA_UPPER, HYPHENS
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry

# Between two non-space characters, these always split off as their own token.
ALWAYS_INFIX = r"[/()\[\]{}+=<>;~×·]"
INFIXES: List[str] = [
    # `CHX/Pilo`, `Na+/K+`, `Ca(2+)`, `DOX)-induced`, `[3H]-naloxone`, `K+-ATPase`
    rf"(?<=\S){ALWAYS_INFIX}(?=\S)",
    # hyphens between any word characters and brackets (spaCy: letters only):
    # `5-HT`, `L-NAME`, `6-OHDA`, `ethyl-2`, `)-induced`
    rf"(?<=[{ALPHA}0-9)\]+'])(?:{HYPHENS})(?=[{ALPHA}0-9(\[+])",
    # `a:b`, `a,b` between letters or digits and letters (not `1,000`)
    rf"(?<=[{ALPHA}0-9])[:,](?=[{ALPHA}])",
    rf"(?<=[{ALPHA}])[:,](?=[0-9])",
    # `drug.Disease` (a missing space after a full stop)
    rf"(?<=[{ALPHA_LOWER}]{{2}})\.(?=[{ALPHA_UPPER}])",
]
# `Ca2+`, `Na+`, `-induced` after a closing bracket handled above; a charge
# or a trailing slash at the end of a token.
SUFFIXES: List[str] = [
    r"\+", r"/", r"-",
    # a full stop after a capital: `hepatitis C.`, `vitamin D.`, `AmB.` end a
    # sentence far more often than they are initials (spaCy's exceptions such
    # as `Dr.` are matched first; `U.S.` stays whole)
    rf"(?<!\.[{ALPHA_UPPER}])(?<=[{ALPHA_UPPER}])\.",
]
PREFIXES: List[str] = [r"\+", r"/", r"-(?=[{a}])".format(a=ALPHA)]


BIOMEDICAL_TOKENIZER = "spacy-bilstm-crf.BiomedicalTokenizer.v1"


@registry.tokenizers(BIOMEDICAL_TOKENIZER)
def create_biomedical_tokenizer() -> Callable[[Language], Tokenizer]:
    """spaCy's tokenizer for the pipeline's language plus the rules above
    (registered for `[nlp.tokenizer]`; the rules are saved with the model)."""

    def make_tokenizer(nlp: Language) -> Tokenizer:
        return biomedical_tokenizer(nlp)

    return make_tokenizer


def biomedical_tokenizer(nlp: Language) -> Tokenizer:
    defaults = nlp.Defaults
    prefixes = list(defaults.prefixes or []) + PREFIXES
    suffixes = list(defaults.suffixes or []) + SUFFIXES
    infixes = list(defaults.infixes or []) + INFIXES
    return Tokenizer(
        nlp.vocab,
        rules=defaults.tokenizer_exceptions,
        prefix_search=compile_prefix_regex(prefixes).search,
        suffix_search=compile_suffix_regex(suffixes).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )
