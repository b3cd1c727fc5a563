"""Persona.readiness: what publishing the draft now would refuse, and what looks wrong."""

from typing import Self

import strawberry

from app.personas import readiness
from graphql_schema.errors import UserError


@strawberry.type
class Readiness:
    publishable: bool
    problems: list[UserError] = strawberry.field(
        description="What publishing the draft now would refuse with."
    )
    warnings: list[UserError] = strawberry.field(
        description="Allowed but probably a mistake: an unused variable, a tool on a channel "
        "the persona lacks, a knowledge base with no sources."
    )

    @classmethod
    def of(cls, found: readiness.Readiness) -> Self:
        return cls(
            publishable=found.publishable,
            problems=[UserError.from_problem(problem) for problem in found.problems],
            warnings=[UserError.from_problem(problem) for problem in found.warnings],
        )
