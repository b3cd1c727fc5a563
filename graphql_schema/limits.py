"""Limits on a document's shape (expanded size, nesting, depth, aliases), measured in one pass.

Strawberry's stock depth and alias limiters walk a fragment again at every spread of it, so a
document of thirty fragments that each spread the next twice keeps the single event loop busy
for 2^30 steps. Here each definition is walked once, without recursion, and a fragment's
measures are reused at every spread: the work is linear in the document's size.
"""

from collections.abc import Mapping
from typing import NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)

# validate() keeps an error of this type and stops every rule's walk, ours raised included.
from graphql.validation.validate import ValidationAbortedError

from graphql_schema.cost import COST_CAP, operation_costs

QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
# Selections a document would have with every spread replaced by its fragment. The token
# limit already bounds a document without fragments to about 4,000; fragments may repeat
# parts of it, not double it thirty times.
MAX_SELECTIONS = 10_000
# Selection sets nested, counted through spreads the way graphql-core counts them. Its own
# recursive rules give up at 200 with a bare "Validation aborted."; refusing at 100 answers
# with our code first, far above what the schema can answer (introspection nests about 15).
MAX_NESTING = 100
# Counts stop one past the limit: only "more than" matters, and the numbers stay small.
_CAP = MAX_SELECTIONS + 1
# Operation names are the client's text; an error message quotes no more of one than this.
_QUOTED = 100


class Shape(NamedTuple):
    """A definition's measures with its spreads expanded."""

    selections: int  # fields, inline fragments and spreads; at most one past MAX_SELECTIONS
    nesting: int  # selection sets nested
    depth: int  # fields with a selection set nested; introspection fields ("__") ignored
    aliases: int


class DocumentShape(NamedTuple):
    operations: list[tuple[OperationDefinitionNode, Shape]]
    selections: int  # the operations' together, or the largest fragment's if more
    nesting: int  # the deepest definition's
    aliases: int  # the operations' together
    walked: int  # selection nodes visited: each once, however often its fragment is spread


class _Spread(NamedTuple):
    name: str
    nesting: int
    depth: int | None  # None below an ignored field, where depth is not counted


class _Walked(NamedTuple):
    own: Shape
    spreads: list[_Spread]


def _walk(selection_set: SelectionSetNode) -> _Walked:
    """A definition's own measures, its spreads left unexpanded."""
    selections = nesting = depth = aliases = 0
    spreads: list[_Spread] = []
    stack: list[tuple[SelectionSetNode, int, int | None]] = [(selection_set, 1, 0)]
    while stack:
        current, level, fields = stack.pop()
        nesting = max(nesting, level)
        for selection in current.selections:
            selections += 1
            if isinstance(selection, FragmentSpreadNode):
                spreads.append(_Spread(selection.name.value, level, fields))
                continue
            if isinstance(selection, FieldNode):
                aliases += selection.alias is not None
                ignored = selection.name.value.startswith("__")
                inner = None if fields is None or ignored else fields + 1
                nested = selection.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                inner, nested = fields, selection.selection_set
            if nested is not None:
                depth = max(depth, inner or 0)
                stack.append((nested, level + 1, inner))
    return _Walked(Shape(selections, nesting, depth, aliases), spreads)


def _expanded(walked: _Walked, fragments: Mapping[str, Shape]) -> Shape:
    selections, nesting, depth, aliases = walked.own
    for spread in walked.spreads:
        # An unknown fragment, or one closing a cycle, adds nothing: other rules report both.
        fragment = fragments.get(spread.name)
        if fragment is None:
            continue
        selections += fragment.selections
        aliases += fragment.aliases
        nesting = max(nesting, spread.nesting + fragment.nesting)
        if spread.depth is not None:
            depth = max(depth, spread.depth + fragment.depth)
    return Shape(min(selections, _CAP), nesting, depth, min(aliases, _CAP))


def _fragment_shapes(walked: Mapping[str, _Walked]) -> dict[str, Shape]:
    """Each fragment's shape, a fragment's after those it spreads, without recursion."""
    shapes: dict[str, Shape] = {}
    for root in walked:
        if root in shapes:
            continue
        path = [(root, iter(walked[root].spreads))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            for spread in pending:
                child = spread.name
                if child in walked and child not in shapes and child not in on_path:
                    path.append((child, iter(walked[child].spreads)))
                    on_path.add(child)
                    break
            else:
                path.pop()
                on_path.remove(name)
                shapes[name] = _expanded(walked[name], shapes)
    return shapes


def measure(document: DocumentNode) -> DocumentShape:
    fragments: dict[str, _Walked] = {}
    operations: list[tuple[OperationDefinitionNode, _Walked]] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = _walk(definition.selection_set)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append((definition, _walk(definition.selection_set)))
    shapes = _fragment_shapes(fragments)
    expanded = [(operation, _expanded(walked, shapes)) for operation, walked in operations]
    measured = [shape for _, shape in expanded] + list(shapes.values())
    together = min(sum(shape.selections for _, shape in expanded), _CAP)
    return DocumentShape(
        operations=expanded,
        selections=max([together, *(shape.selections for shape in shapes.values())]),
        nesting=max((shape.nesting for shape in measured), default=0),
        aliases=min(sum(shape.aliases for _, shape in expanded), _CAP),
        walked=sum(w.own.selections for w in [*fragments.values(), *(w for _, w in operations)]),
    )


class QueryTooComplex(ValidationAbortedError):
    """Refuses a document before any other rule walks it: validate() stops at this error."""

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": QUERY_TOO_COMPLEX})


def _refusal(message: str, operation: OperationDefinitionNode | None = None) -> GraphQLError:
    return GraphQLError(message, operation, extensions={"code": QUERY_TOO_COMPLEX})


def _name_of(operation: OperationDefinitionNode) -> str:
    name = operation.name.value if operation.name else "anonymous"
    return name if len(name) <= _QUOTED else name[:_QUOTED] + "…"


def _too_costly(operation: OperationDefinitionNode, cost: int, max_cost: int) -> GraphQLError:
    amount = f"more than {COST_CAP}" if cost >= COST_CAP else str(cost)
    message = (
        f"'{_name_of(operation)}' costs {amount}, over the limit of {max_cost}: "
        "ask for smaller pages (`first`) or fewer nested fields."
    )
    extensions = {"code": QUERY_TOO_COMPLEX, "cost": cost, "maxCost": max_cost}
    return GraphQLError(message, operation, extensions=extensions)


def document_limits(max_depth: int, max_aliases: int, max_cost: int) -> type[ValidationRule]:
    """A rule refusing documents larger than MAX_SELECTIONS expanded or nested deeper than
    MAX_NESTING (stopping validation), and operations deeper than `max_depth`, costing more
    than `max_cost` (graphql_schema/cost.py) or holding more than `max_aliases` aliases
    together. Build it once: validation results are cached by rule class."""

    class DocumentLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: object) -> None:
            shape = measure(node)
            if shape.selections > MAX_SELECTIONS:
                raise QueryTooComplex(
                    f"The document expands to more than {MAX_SELECTIONS} selections."
                )
            if shape.nesting > MAX_NESTING:
                raise QueryTooComplex(f"The document nests deeper than {MAX_NESTING} levels.")
            for operation, measured in shape.operations:
                if measured.depth > max_depth:
                    message = f"'{_name_of(operation)}' exceeds maximum operation depth of"
                    self.report_error(_refusal(f"{message} {max_depth}", operation))
            for operation, cost in operation_costs(self.context.schema, node):
                if cost > max_cost:
                    self.report_error(_too_costly(operation, cost, max_cost))
            if shape.aliases > max_aliases:
                message = f"{shape.aliases} aliases found. Allowed: {max_aliases}"
                self.report_error(_refusal(message))

    return DocumentLimits
