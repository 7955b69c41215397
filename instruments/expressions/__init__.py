"""XLSForm expressions: lexer, recursive-descent parser, tree evaluator and a compiled JSON form.

``parse(text)`` gives an immutable tree; ``evaluate(tree, Context(...))`` its value; ``to_json(tree)``
the form ``instruments/js/rules.js`` evaluates in the browser with the same semantics.
"""

from instruments.errors import ExpressionError
from instruments.expressions.compiled import from_json, references, to_json, walk
from instruments.expressions.evaluator import (
    Context,
    EntryPath,
    evaluate,
    evaluate_bool,
    evaluate_string,
    resolve_in,
    resolve_reference,
)
from instruments.expressions.nodes import (
    Binary,
    Call,
    Column,
    Current,
    Filter,
    Negate,
    Node,
    Number,
    Parent,
    Ref,
    Step,
    String,
)
from instruments.expressions.parser import FUNCTIONS, parse
from instruments.expressions.values import Value, to_bool, to_number, to_string

__all__ = [
    "FUNCTIONS", "Binary", "Call", "Column", "Context", "Current", "EntryPath", "ExpressionError", "Filter", "Negate",
    "Node", "Number", "Parent", "Ref", "Step", "String", "Value", "evaluate", "evaluate_bool", "evaluate_string",
    "from_json", "parse", "references", "resolve_in", "resolve_reference", "to_bool", "to_json", "to_number",
    "to_string", "walk",
]
