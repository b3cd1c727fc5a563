"""What a document may cost to answer: every field counts, lists multiply what they hold.

A field costs 1 plus its selections' cost times the objects it may return: for a field that
takes `first`, its value (DEFAULT_PAGE when absent; the largest page when it is a variable,
unknown while a document is validated once for every request), and for a list field of the
schema's description (`types`, `fields`, ...) INTROSPECTION_LIST, so that introspection
nested many levels deep is bounded like data. Other lists in the schema are short by rule
(a voice configuration per locale) and count once. Each fragment is costed once and reused
at every spread, so the work is linear in the document's size.
"""

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_nullable_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef

from app.platform.pages import MAX_PAGE

DEFAULT_PAGE = 20  # graphql_schema.pagination's page size when `first` is null
INTROSPECTION_LIST = 10
# Costs stop growing here: a document far over any sane limit, whose exact cost helps nobody.
COST_CAP = 1_000_000_000


def _times(field: FieldNode, definition: GraphQLField | None, parent: GraphQLNamedType) -> int:
    if definition is None:
        return 1
    if "first" in definition.args:
        given = next((a.value for a in field.arguments or () if a.name.value == "first"), None)
        if given is None:
            return DEFAULT_PAGE
        if isinstance(given, IntValueNode) and 0 <= int(given.value) <= MAX_PAGE:
            return int(given.value)
        return MAX_PAGE  # a variable, or a value the resolver refuses anyway
    listed = isinstance(get_nullable_type(definition.type), GraphQLList)
    return INTROSPECTION_LIST if listed and parent.name.startswith("__") else 1


class _Costing:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.costs: dict[str, int] = {}
        self.pending: set[str] = set()

    def _type(self, name: str) -> GraphQLNamedType | None:
        return self.schema.get_type(name)

    def fragment(self, name: str) -> int:
        if name in self.costs:
            return self.costs[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.pending:  # unknown or a cycle: other rules refuse
            return 0
        self.pending.add(name)
        cost = self.selections(
            definition.selection_set, self._type(definition.type_condition.name.value)
        )
        self.pending.discard(name)
        self.costs[name] = cost
        return cost

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType | None) -> int:
        # Recursion is bounded: DocumentLimits refuses documents nested deeper than 100 first.
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
            elif isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition = selection.type_condition
                inner = parent if condition is None else self._type(condition.name.value)
                total += self.selections(selection.selection_set, inner)
        return min(total, COST_CAP)

    def field(self, field: FieldNode, parent: GraphQLNamedType | None) -> int:
        if field.selection_set is None:
            return 1
        definition = self._definition(field.name.value, parent)
        child = None if definition is None else get_named_type(definition.type)
        times = 1 if parent is None else _times(field, definition, parent)
        return min(1 + times * self.selections(field.selection_set, child), COST_CAP)

    def _definition(self, name: str, parent: GraphQLNamedType | None) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        fields = getattr(parent, "fields", None)
        return None if fields is None else fields.get(name)


def _root(schema: GraphQLSchema, operation: OperationDefinitionNode) -> GraphQLObjectType | None:
    return {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }[operation.operation]


def operation_costs(
    schema: GraphQLSchema, document: DocumentNode
) -> list[tuple[OperationDefinitionNode, int]]:
    """Each operation of `document` with its cost, at most COST_CAP."""
    costing = _Costing(schema, document)
    return [
        (d, costing.selections(d.selection_set, _root(schema, d)))
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
    ]
