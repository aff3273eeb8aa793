"""The compliance linter: `lint(...)` returns findings with spans; `count_segments` counts SMS segments."""

from .engine import Finding, LintInputError, LintResult, lint
from .rules import BLOCK, RULES, WARN, Rule
from .segments import Segments, count_segments

__all__ = [
    "BLOCK",
    "RULES",
    "WARN",
    "Finding",
    "LintInputError",
    "LintResult",
    "Rule",
    "Segments",
    "count_segments",
    "lint",
]
