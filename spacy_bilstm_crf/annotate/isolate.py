"""Run `nlp.pipe` so that one document spaCy fails on costs one reject, not
the job: the other documents of its batch are redone one by one, and a stream
that breaks is restarted after the documents it held."""
from collections import deque
from typing import Deque, Iterator, List, Optional, Tuple

from spacy.language import Language
from spacy.tokens import Doc

from .io import Item, Record, Reject, reason

FAILED = "spacy_bilstm_crf.annotate.failed"


class FailureLog:
    """spaCy error handler: instead of raising, flag the docs of a failed
    batch (spaCy drops them from `pipe`, but `nlp(text)` would return them
    half annotated) and keep the last error. Module-level, so it can be
    handed to worker processes."""

    def __init__(self) -> None:
        self.last: Optional[str] = None

    def __call__(self, name, proc, docs, err) -> None:
        self.last = f"{name or 'worker'}: {reason(err)}"
        for doc in docs or []:
            doc.user_data[FAILED] = self.last


def annotate_in_order(
    nlp: Language, items: Iterator[Item], *, n_process: int = 1, batch_size: int = 256
) -> Iterator[Tuple[Item, Optional[Doc]]]:
    """Each input item with its Doc, in input order: a `Reject` (from the
    reader, or for a record spaCy failed on, with the reason) comes with None."""
    failures = FailureLog()
    nlp.set_error_handler(failures)
    pending: Deque[Item] = deque()
    source_error: List[BaseException] = []

    def feed():
        try:
            for item in items:
                if isinstance(item, Record) and len(item.text) > nlp.max_length:
                    item = Reject(item.line, f"[E088] text of {len(item.text):,} characters is longer than "
                                  f"nlp.max_length ({nlp.max_length:,})", item.raw, item.end)
                pending.append(item)
                if isinstance(item, Record):
                    yield item.text, item.line
        except BaseException as err:
            source_error.append(err)
            raise

    source = feed()
    while True:
        try:
            for doc, line in nlp.pipe(source, as_tuples=True, n_process=n_process, batch_size=batch_size):
                while pending[0].line != line:  # dropped by spaCy: its batch failed
                    yield _alone(nlp, pending.popleft(), failures)
                item = pending.popleft()
                yield (item, doc) if FAILED not in doc.user_data else _alone(nlp, item, failures)
        except Exception:
            if source_error or not pending:
                raise
            while pending:  # the stream broke: redo what it held, then go on
                yield _alone(nlp, pending.popleft(), failures)
            continue
        break
    while pending:
        yield _alone(nlp, pending.popleft(), failures)


def _alone(nlp: Language, item: Item, failures: FailureLog) -> Tuple[Item, Optional[Doc]]:
    """One item on its own: its Doc, or a Reject saying why spaCy failed."""
    if isinstance(item, Reject):
        return item, None
    failures.last = None
    try:
        doc = nlp(item.text)
    except Exception as err:  # noqa: BLE001 -- whatever fails, only this document is rejected
        # A trainable pipe hands its error to the handler and returns None,
        # which spaCy then reports as E005: the component's own error is
        # the one that says what went wrong.
        return Reject(item.line, failures.last or reason(err), item.raw, item.end), None
    if FAILED in doc.user_data:
        return Reject(item.line, doc.user_data[FAILED], item.raw, item.end), None
    return item, doc
