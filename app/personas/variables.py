"""A persona's typed variables: what its templates may use, with defaults, and their values
at call start."""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.text import Path

MAX_VARIABLES = 64
MAX_DESCRIPTION = 500
MAX_STRING_DEFAULT = 2_000
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")

# Defined at every call start, whatever the persona defines.
BUILTIN_NAMES = frozenset({"persona_name", "locale", "channel", "environment", "now", "contact_id"})
# Templates also get the contact's memory, which is not a value: it is not among the call's
# `variables`, and only roles that may read contact memory get it filled in.
MEMORY_NAME = "contact_memory"
TEMPLATE_NAMES = BUILTIN_NAMES | {MEMORY_NAME}
RESERVED_NAMES = TEMPLATE_NAMES


class VariableType(StrEnum):
    STRING = "STRING"
    NUMBER = "NUMBER"
    BOOLEAN = "BOOLEAN"


class VariableDefinition(BaseModel):
    name: str
    type: VariableType = VariableType.STRING
    required: bool = False
    default_value: Any = None
    description: str | None = None


def _of_type(value: object, kind: VariableType) -> bool:
    if kind is VariableType.BOOLEAN:
        return isinstance(value, bool)
    if kind is VariableType.NUMBER:
        # bool is an int to Python, not a number to a template author.
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return not isinstance(value, float) or math.isfinite(value)
    return isinstance(value, str)


def _normalised(value: object) -> object:
    # A whole NUMBER renders without a decimal point: 42, not 42.0.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _check_one(definition: VariableDefinition, path: Path) -> list[Problem]:
    problems: list[Problem] = []
    if not NAME.fullmatch(definition.name):
        message = (
            "Name must start with a lowercase letter and hold only lowercase letters, digits "
            "and underscores, at most 64 characters."
        )
        problems.append(Problem((*path, "name"), message))
    elif definition.name in RESERVED_NAMES:
        message = f"{definition.name!r} is a built-in variable: choose another name."
        problems.append(Problem((*path, "name"), message))
    default = definition.default_value
    if default is not None:
        if not _of_type(default, definition.type):
            message = f"Default value must be a {definition.type.value}."
            problems.append(Problem((*path, "defaultValue"), message))
        elif isinstance(default, str) and len(default) > MAX_STRING_DEFAULT:
            message = f"Default value must be at most {MAX_STRING_DEFAULT} characters."
            problems.append(Problem((*path, "defaultValue"), message))
    if definition.description is not None and len(definition.description) > MAX_DESCRIPTION:
        message = f"Description must be at most {MAX_DESCRIPTION} characters."
        problems.append(Problem((*path, "description"), message))
    return problems


def check_variables(definitions: Sequence[VariableDefinition], path: Path) -> list[Problem]:
    """Every rule of a persona's variable list; the list's order is the persona's own."""
    if len(definitions) > MAX_VARIABLES:
        return [Problem(path, f"A persona has at most {MAX_VARIABLES} variables.")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, definition in enumerate(definitions):
        item_path = (*path, str(index))
        problems += _check_one(definition, item_path)
        if definition.name in seen:
            message = f"Variable {definition.name!r} is defined more than once."
            problems.append(Problem((*item_path, "name"), message, ErrorCode.DUPLICATE_NAME))
        seen.add(definition.name)
    return problems


class VariableRefusal(DomainError):
    """A call start whose variable values cannot render; `names` are the variables at fault."""

    def __init__(self, names: list[str], problems: list[Problem]) -> None:
        self.names = names
        super().__init__(problems)


class MissingVariables(VariableRefusal):
    def __init__(self, names: list[str]) -> None:
        message = "A required variable has no value."
        super().__init__(names, [Problem(("variables", name), message) for name in names])


class InvalidVariables(VariableRefusal):
    def __init__(self, names: list[str], definitions: Mapping[str, VariableDefinition]) -> None:
        problems = [
            Problem(("variables", name), f"Must be a {definitions[name].type.value}.")
            for name in names
        ]
        super().__init__(names, problems)


@dataclass(frozen=True)
class Resolved:
    values: dict[str, object]  # built-ins, then every defined variable (None: no value)
    ignored: list[str]  # names the call gave that the persona does not define, sorted


def resolve_values(
    definitions: Sequence[VariableDefinition],
    builtins: Mapping[str, object],
    environment_values: Mapping[str, object],
    call_values: Mapping[str, object],
) -> Resolved:
    """The values a call renders with: defaults < environment < call, over built-ins.

    A null value is no value: the layer below it shows through. Every defined variable is
    in the answer, null when nothing gives it a value, so templates can test it or use
    `default`; built-ins missing from `builtins` (contact_id without a contact) are null too.
    Built-ins are never overridden: a persona cannot define their names, and a call value
    for one is reported as ignored like any name the persona does not define. Environment
    values for names the persona does not define are not the call's doing: dropped silently.
    Raises MissingVariables first, then InvalidVariables.
    """
    defined = {definition.name: definition for definition in definitions}
    ignored = sorted(name for name in call_values if name not in defined or name in BUILTIN_NAMES)
    merged: dict[str, object] = {}
    for name, definition in defined.items():
        value: object = definition.default_value
        for layer in (environment_values, call_values):
            if layer.get(name) is not None:
                value = layer[name]
        merged[name] = value
    missing = [name for name, value in merged.items() if value is None and defined[name].required]
    if missing:
        raise MissingVariables(missing)
    invalid = [
        name
        for name, value in merged.items()
        if value is not None and not _of_type(value, defined[name].type)
    ]
    if invalid:
        raise InvalidVariables(invalid, defined)
    values: dict[str, object] = {name: builtins.get(name) for name in sorted(BUILTIN_NAMES)}
    values.update(builtins)
    for name, value in merged.items():
        if name not in BUILTIN_NAMES:
            values[name] = _normalised(value)
    return Resolved(values=values, ignored=ignored)
