"""One execution of a subscription event for all subscribers who asked the same thing.

graphql-core executes a subscription's selection set once per subscriber and event; with
hundreds of subscribers that execution is most of a publish's delivery time. Subscribers
receive the very same event object (see subscriptions.py), so the result of executing one
document, with the same variables, for the same workspace and role, is the same for all
of them: the first subscriber executes it, the others reuse its result.
"""

import asyncio
from collections.abc import Hashable
from typing import Any

from graphql import ExecutionResult

from graphql_schema.outage import RefusingExecution


def _frozen(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((key, _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    return value if isinstance(value, Hashable) else repr(value)


class SharedBySubscribers:
    """A subscription payload delivered as one object to every subscriber of an event."""

    def shared_results(self) -> dict[Hashable, Any]:
        """The executions of this payload, kept on it: they go when the event goes."""
        results: dict[Hashable, Any] = self.__dict__.setdefault("_shared_results", {})
        return results


class SharedEventExecution(RefusingExecution):
    """Executes a subscription event once per distinct (document, variables, caller)."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        event = self.root_value
        if not isinstance(event, SharedBySubscribers):
            return super().execute_operation(serially)
        actor = getattr(self.context_value, "principal", None)
        key = (
            id(self.operation),
            _frozen(self.variable_values.coerced),
            None if actor is None else (actor.workspace_id, actor.role),
        )
        results = event.shared_results()
        if key not in results:
            result = super().execute_operation(serially)
            # Resolved at once (the usual case) or later: an awaitable is kept as a future.
            shared = asyncio.ensure_future(result) if self.is_awaitable(result) else result
            results[key] = shared
            return (
                self._later(shared, serially, first=True)
                if isinstance(shared, asyncio.Future)
                else shared
            )
        shared = results[key]
        if isinstance(shared, asyncio.Future):
            if not shared.done():
                return self._later(shared, serially, first=False)
            shared = shared.result()
        # A result with errors is not shared: errors are masked and logged per subscriber.
        if isinstance(shared, ExecutionResult) and shared.errors:
            return super().execute_operation(serially)
        return shared

    async def _later(
        self, shared: "asyncio.Future[Any]", serially: bool | None, first: bool
    ) -> Any:
        # Shielded: one subscriber leaving must not cancel the execution the others await.
        result = await asyncio.shield(shared)
        if not first and isinstance(result, ExecutionResult) and result.errors:
            own = super().execute_operation(serially)
            return await own if self.is_awaitable(own) else own
        return result
