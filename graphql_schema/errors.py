"""The one place where domain errors become `userErrors`."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from app.platform.errors import DomainError, ErrorCode, Problem

T = TypeVar("T")

strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type
class UserError:
    field: list[str] | None
    message: str
    code: ErrorCode

    @classmethod
    def from_problem(cls, problem: Problem) -> "UserError":
        return cls(field=list(problem.path) or None, message=problem.message, code=problem.code)


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError.from_problem(problem) for problem in error.problems]


async def attempt(call: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run a service call; a refused request becomes its userErrors."""
    try:
        return await call(), []
    except DomainError as error:
        return None, user_errors(error)


def field_error(error: DomainError) -> GraphQLError:
    """A refused query as a GraphQL error carrying the first problem's code."""
    code = error.problems[0].code if error.problems else ErrorCode.INVALID
    return GraphQLError(str(error), extensions={"code": str(code)})
