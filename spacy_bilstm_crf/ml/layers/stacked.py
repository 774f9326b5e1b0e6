"""Several token representations side by side (Flair's `StackedEmbeddings`).

Each part maps docs to one vector per token (`MultiHashEmbed`, a character
encoder, static vectors, a `Tok2VecListener` or `TransformerListener`); their
vectors are concatenated, then optionally projected to `width`. Like thinc's
`concatenate`, the parts are variadic positional arguments, so a config names
them freely: `[components.ner.model.tok2vec.*.hash]`, `[...tok2vec.*.chars]`.
"""
from typing import List, Optional

from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Linear, Model, chain, concatenate, with_array
from thinc.types import Floats2d

from ...errors import Errors


@registry.architectures("spacy-bilstm-crf.StackedEmbed.v1")
def StackedEmbed(
    *parts: Model[List[Doc], List[Floats2d]], width: Optional[int] = None
) -> Model[List[Doc], List[Floats2d]]:
    """Concatenate the parts' token vectors; with `width`, project them to it
    with a Linear layer (its input width is inferred at initialize)."""
    if not parts:
        raise ValueError(Errors.E020)
    if width is not None and (not isinstance(width, int) or width < 1):
        raise ValueError(Errors.E006.format(
            arch="spacy-bilstm-crf.StackedEmbed.v1", arg="width", value=width, expected="null or an integer >= 1"
        ))
    model = concatenate(*parts) if len(parts) > 1 else parts[0]
    widths = [part.maybe_get_dim("nO") for part in parts]
    if width is not None:
        model = chain(model, with_array(Linear(nO=width)))
        model.set_dim("nO", width)
    elif all(w is not None for w in widths):
        model.set_dim("nO", sum(widths))
    model.name = "stacked_embed"
    return model
