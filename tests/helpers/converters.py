"""What every converter test of bad input checks: the refusal is a
ConversionError that names the file, the line and what was wrong."""
from typing import Any, Callable, Optional, Sequence, Union
from pathlib import Path

import pytest

from spacy_bilstm_crf.converters import ConversionError


def assert_conversion_error(
    read: Callable[[], Any],
    *,
    line: Optional[int] = None,
    path: Optional[Union[str, Path]] = None,
    contains: Sequence[str] = (),
) -> ConversionError:
    """Call `read`, which must refuse its input; check the error's line, path
    and message texts (those given) and return it for further checks."""
    with pytest.raises(ConversionError) as err:
        read()
    message = str(err.value)
    if line is not None:
        assert err.value.line == line, message
    if path is not None:
        assert err.value.path == str(path), message
    for text in contains:
        assert text in message, message
    return err.value
