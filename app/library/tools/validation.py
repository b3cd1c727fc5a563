"""Every rule of a tool's definition, reported as Problems with field paths; nothing raises here."""

import json
import re

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from app.library.tools.definitions import ToolKind, ToolSpec
from app.library.urls import check_url
from app.platform.errors import Problem
from app.platform.quoting import clipped
from app.platform.text import Path, check_text

# What a language model accepts as a function name.
NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{0,63}$")
MAX_DESCRIPTION = 1_024
TIMEOUT = (1, 120)
MAX_PARAMETERS_BYTES = 64 * 1024
MAX_ALLOWED_TOOLS = 128
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def check_tool(spec: ToolSpec, path: Path = ()) -> list[Problem]:
    problems = _check_name(spec.name, (*path, "name"))
    problems += check_text(spec.description, (*path, "description"), "Description", MAX_DESCRIPTION)
    problems += check_url(spec.url, (*path, "url"))
    low, high = TIMEOUT
    if not low <= spec.timeout_seconds <= high:
        message = f"Timeout must be between {low} and {high} seconds."
        problems.append(Problem((*path, "timeoutSeconds"), message))
    if spec.kind is ToolKind.FUNCTION:
        problems += _check_parameters(spec.parameters, (*path, "parameters"))
        if spec.allowed_tools is not None:
            message = "Only an MCP tool has allowedTools; a FUNCTION tool is one function."
            problems.append(Problem((*path, "allowedTools"), message))
    else:
        if spec.parameters is not None:
            message = "An MCP server describes its own tools' parameters: leave parameters null."
            problems.append(Problem((*path, "parameters"), message))
        problems += _check_allowed(spec.allowed_tools, (*path, "allowedTools"))
    return problems


def _check_name(name: str, path: Path) -> list[Problem]:
    if NAME.match(name):
        return []
    message = "Name must start with a letter and hold at most 64 letters, digits, '_' or '-'."
    return [Problem(path, message)]


def _check_parameters(schema: object, path: Path) -> list[Problem]:
    if schema is None:
        return [Problem(path, "A FUNCTION tool needs parameters: a JSON Schema of its arguments.")]
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return [Problem(path, 'Parameters must be a JSON Schema whose root is {"type": "object"}.')]
    if len(json.dumps(schema)) > MAX_PARAMETERS_BYTES:
        return [Problem(path, f"Parameters must be at most {MAX_PARAMETERS_BYTES} bytes of JSON.")]
    declared = schema.get("$schema", DRAFT_2020_12)
    if declared != DRAFT_2020_12:
        return [
            Problem(
                (*path, "$schema"), f"Parameters must be a draft 2020-12 schema ({DRAFT_2020_12})."
            )
        ]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = (*path, *(str(part) for part in error.absolute_path))
        return [Problem(where, f"Parameters are not a valid JSON Schema: {clipped(error.message)}")]
    return []


def _check_allowed(names: list[str] | None, path: Path) -> list[Problem]:
    if names is None:
        return []
    if len(names) > MAX_ALLOWED_TOOLS:
        return [Problem(path, f"At most {MAX_ALLOWED_TOOLS} allowed tools.")]
    problems = []
    for index, name in enumerate(names):
        problems += _check_name(name, (*path, str(index)))
    if len(set(names)) != len(names):
        problems.append(Problem(path, "Each allowed tool may be named once."))
    return problems
