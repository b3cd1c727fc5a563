"""The schema extensions' hooks, run without inspecting every extension again per request.

Strawberry's runner looks each hook up, checks what kind of function it is and wraps it in
a fresh `contextlib` manager at every stage of every request: with the ten extensions here
that cost about a fifth of a small query's time. Here the lookup is made once per extension
class and stage, and the hooks' generators are driven directly, with ExitStack's rules:
entered in order, finished in reverse, an exception thrown into each (a hook may replace or
swallow it), and the hooks entered so far finished when a later one fails to start.
"""

import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from types import TracebackType
from typing import Any, cast

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

Running = Generator[None, None, None] | AsyncGenerator[None, None]
Hook = Callable[[SchemaExtension], Any]


_hooks: dict[tuple[type[SchemaExtension], str], Hook | None] = {}


def _hook(extension_class: type[SchemaExtension], stage: str) -> Hook | None:
    key = (extension_class, stage)
    if key not in _hooks:
        hook: Hook = getattr(extension_class, stage)
        _hooks[key] = None if hook is getattr(SchemaExtension, stage) else hook
    return _hooks[key]


async def _start(hook: Hook, extension: SchemaExtension) -> Running | None:
    """Runs a hook up to its `yield`; one that is a plain function has then run in full."""
    started = hook(extension)
    if inspect.isgenerator(started):
        next(started)
        return cast(Running, started)
    if inspect.isasyncgen(started):
        await started.__anext__()
        return cast(Running, started)
    if inspect.isawaitable(started):
        await started
    return None


async def _finish(running: Running, error: BaseException | None) -> BaseException | None:
    """Runs a hook past its `yield`, throwing `error` in; returns the error still pending."""
    try:
        if isinstance(running, Generator):
            running.send(None) if error is None else running.throw(error)
        else:
            await (running.asend(None) if error is None else running.athrow(error))
    except (StopIteration, StopAsyncIteration):
        return None  # the hook ended; an error thrown in, it swallowed
    except BaseException as raised:  # the error passed on, or another in its place
        return raised
    return RuntimeError(f"the extension hook {running!r} yielded more than once")


class Stage:
    """One stage (operation, parsing, validation, execution) of every extension, nested."""

    __slots__ = ("_hooks", "_running")

    def __init__(self, extensions: list[SchemaExtension], stage: str) -> None:
        self._hooks = [
            (hook, extension)
            for extension in extensions
            if (hook := _hook(type(extension), stage)) is not None
        ]
        self._running: list[Running] = []

    async def __aenter__(self) -> None:
        for hook, extension in self._hooks:
            try:
                running = await _start(hook, extension)
            except BaseException as error:
                await self.__aexit__(type(error), error, error.__traceback__)
                raise
            if running is not None:
                self._running.append(running)

    async def __aexit__(
        self,
        error_type: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        pending = error
        while self._running:
            pending = await _finish(self._running.pop(), pending)
        if pending is None:
            return error is not None  # True: swallowed by a hook
        if pending is error:
            return False
        if pending.__context__ is None:
            pending.__context__ = error
        raise pending


class HookRunner(SchemaExtensionsRunner):
    """Strawberry's runner with the four stages a request goes through replaced by `Stage`;
    streamed results and results stay Strawberry's. Asynchronous only, as this schema is
    served: `execute_sync` is not."""

    def operation(self) -> Any:
        return Stage(self.extensions, "on_operation")

    def parsing(self) -> Any:
        return Stage(self.extensions, "on_parse")

    def validation(self) -> Any:
        return Stage(self.extensions, "on_validate")

    def executing(self) -> Any:
        return Stage(self.extensions, "on_execute")
