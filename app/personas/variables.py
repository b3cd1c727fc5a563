"""A persona's typed variables: what its templates may use, with defaults."""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel


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
