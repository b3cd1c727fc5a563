"""Counts and times every GraphQL operation, over HTTP and websockets alike."""

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from app.platform import metrics
from app.platform.requestlog import current_request


class CountOperations(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        self.ran = False
        yield
        context = self.execution_context
        try:
            kind = context.operation_type.value
        except RuntimeError:  # no document: it did not parse
            kind = "unknown"
        if not getattr(context.result, "errors", None) and not context.pre_execution_errors:
            outcome = "ok"
        else:  # Strawberry files execution errors as pre-execution ones too
            outcome = "error" if self.ran else "refused"  # refused: it did not parse or validate
        metrics.record_operation(kind, outcome, time.perf_counter() - started)
        if (info := current_request.get()) is not None:
            info.counted = True

    def on_execute(self) -> Iterator[None]:
        self.ran = True
        yield
