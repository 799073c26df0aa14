"""Excel formula grammar: text -> syntax tree -> text."""
from . import ast
from .parser import FormulaSyntaxError, parse_formula, parse_or_failure
from .printer import to_text

__all__ = ["ast", "FormulaSyntaxError", "parse_formula", "parse_or_failure", "to_text"]
