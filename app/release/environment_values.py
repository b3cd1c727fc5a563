"""The variable values an environment holds: a JSON object of persona variable names.

Values are checked for shape only. Whether a value suits a variable's type is a question
of the persona that uses it, asked at call start (INVALID_VARIABLES): one environment
serves every persona of its workspace, and each may type a name its own way.
"""

import math
from collections.abc import Mapping

from app.personas.variables import BUILTIN_NAMES, MAX_STRING_DEFAULT, MAX_VARIABLES
from app.personas.variables import NAME as VARIABLE_NAME
from app.platform.errors import InvalidInput, Problem
from app.platform.text import check_free_text

PATH = ("variables",)
MAX_KEYS = MAX_VARIABLES  # as many as a persona may define
MAX_STRING = MAX_STRING_DEFAULT
# What storage holds exactly: BSON's 64-bit integers. Larger whole numbers would not store.
MIN_INT, MAX_INT = -(2**63), 2**63 - 1
# A key is a name the caller typed: the path that reports it is cut to this length.
MAX_KEY_SHOWN = 64


def _value_problem(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if MIN_INT <= value <= MAX_INT else "A whole number must fit in 64 bits."
    if isinstance(value, float):
        return None if math.isfinite(value) else "Must be a finite number."
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            return f"Must be at most {MAX_STRING} characters."
        problems = check_free_text(value, (), "The value")
        return problems[0].message if problems else None
    return "Must be a string, a finite number, a boolean or null."


def _key_problem(key: str) -> str | None:
    if not VARIABLE_NAME.fullmatch(key):
        return (
            "A variable name starts with a lowercase letter and holds only lowercase letters, "
            "digits and underscores, at most 64 characters."
        )
    if key in BUILTIN_NAMES:
        return f"{key!r} is a built-in variable: an environment cannot set it."
    return None


def checked_values(values: object) -> dict[str, object]:
    """`values` as stored, or InvalidInput naming each bad entry at ("variables", key)."""
    if not isinstance(values, Mapping):
        message = "Variables must be a JSON object of variable names and values."
        raise InvalidInput([Problem(PATH, message)])
    if len(values) > MAX_KEYS:
        message = f"An environment holds values for at most {MAX_KEYS} variables."
        raise InvalidInput([Problem(PATH, message)])
    problems: list[Problem] = []
    for key, value in values.items():
        problem = _key_problem(key) or _value_problem(value)
        if problem is not None:
            problems.append(Problem((*PATH, str(key)[:MAX_KEY_SHOWN]), problem))
    if problems:
        raise InvalidInput(problems)
    return dict(values)
