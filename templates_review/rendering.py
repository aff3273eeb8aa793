"""The sandboxed renderer for merchants' templates.

Bodies are written by merchants, so they render in Jinja2's `SandboxedEnvironment`
with `StrictUndefined`, from a fixed set of variables, with no globals, a short list
of filters, loops only over `order.items`, and budgets on iterations, output size and
time. `check_source` is the edit-time half (it finds unknown variables and anything
the sandbox would refuse, with spans); `render_source` is the send-time half.
"""

from __future__ import annotations

import contextvars
import operator
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import LoopContext
from jinja2.sandbox import SandboxedEnvironment

# The variables a template may use: top-level name -> allowed attributes (None: a plain value).
VARIABLES: dict[str, frozenset[str] | None] = {
    "buyer": frozenset({"first_name", "last_name", "name"}),
    "order": frozenset({"number", "items", "carrier", "tracking_number"}),
    "store": frozenset({"name", "postal_address"}),
    "review_link": None,
    "support_link": None,
    "unsubscribe_link": None,
    "tracking_link": None,  # the carrier's tracking page (fulfilment notices)
}
ITEM_ATTRIBUTES = frozenset({"title", "sku", "quantity"})
LOOP_ATTRIBUTES = frozenset({"index", "index0", "first", "last", "length", "revindex", "revindex0"})
VARIABLE_PATHS = sorted(
    [f"{name}.{attr}" for name, attrs in VARIABLES.items() if attrs for attr in sorted(attrs)]
    + [name for name, attrs in VARIABLES.items() if attrs is None]
)
LINK_VARIABLES = ("review_link", "support_link", "unsubscribe_link", "tracking_link")

ALLOWED_FILTERS = frozenset(
    {"upper", "lower", "title", "capitalize", "trim", "default", "d", "e", "escape", "first", "last", "length"}
    | {"truncate", "join", "string", "int", "striptags", "wordcount"}
)
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "number", "string", "eq", "ne", "even", "odd"})

MAX_SOURCE_CHARS = 20_000
MAX_OUTPUT_CHARS = {"subject": 998, "text": 32_000, "html": 200_000}
MAX_ITEMS = 50
MAX_ITERATIONS = 5_000
MAX_SECONDS = 0.25
MAX_STRING_PRODUCT = 2_000


class RenderError(Exception):
    """A template that cannot be rendered: its message says why, for the merchant or the campaign."""


class UnknownVariableError(RenderError):
    pass


class RenderLimitError(RenderError):
    pass


@dataclass(frozen=True)
class RenderedMessage:
    subject: str
    text: str
    html: str
    link: str = ""  # push: the rendered tap target


@dataclass(frozen=True)
class SourceProblem:
    code: str  # "syntax" | "unknown_variable" | "unsupported"
    detail: str
    start: int
    end: int


# --- runtime guards -----------------------------------------------------------------


class _Budget:
    def __init__(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.iterations = 0

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > MAX_ITERATIONS:
            raise RenderLimitError(f"the template loops more than {MAX_ITERATIONS} times")
        if self.iterations % 64 == 0 and time.monotonic() > self.deadline:
            raise RenderLimitError(f"rendering took longer than {MAX_SECONDS:.2f} s")

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise RenderLimitError(f"rendering took longer than {MAX_SECONDS:.2f} s")


class _GuardedStr(str):
    """A context string whose iteration counts against the budget."""

    def __new__(cls, value: str, budget: _Budget):
        obj = super().__new__(cls, value)
        obj._budget = budget
        return obj

    def __iter__(self):
        for ch in str.__iter__(self):
            self._budget.tick()
            yield ch


class _GuardedList(list):
    def __init__(self, values, budget: _Budget):
        super().__init__(values)
        self._budget = budget

    def __iter__(self):
        for value in list.__iter__(self):
            self._budget.tick()
            yield value


class _Record(dict):
    """Attribute access over a fixed dict; a missing attribute is undefined (an error with StrictUndefined)."""


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("render_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _safe_join(value: Any, d: str = "", attribute: str | None = None) -> str:
    """`join` for order.items only: joining the characters of a string could multiply its size."""
    if not isinstance(value, list):
        raise SecurityError("join works on order.items only")
    parts = []
    for item in value:
        part = item.get(attribute, "") if attribute and isinstance(item, dict) else item
        parts.append(str(part))
    result = str(d).join(parts)
    if len(result) > MAX_OUTPUT_CHARS["text"]:
        raise RenderLimitError("the template produces too much text")
    return result


class _Env(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self, *, autoescape: bool):
        super().__init__(
            undefined=StrictUndefined,
            autoescape=autoescape,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            cache_size=0,
        )
        self.globals.clear()
        self.filters = {name: f for name, f in self.filters.items() if name in ALLOWED_FILTERS}
        self.tests = {name: t for name, t in self.tests.items() if name in ALLOWED_TESTS}
        self.filters["join"] = _safe_join

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return False  # no attribute of any Python object: records are read through getitem below

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        if isinstance(obj, _Record):
            if attribute in obj:
                return obj[attribute]
            return self.undefined(obj=obj, name=attribute)
        if isinstance(obj, LoopContext) and attribute in LOOP_ATTRIBUTES:
            return getattr(obj, attribute)
        if attribute.startswith("_"):
            raise SecurityError(f"access to attribute {attribute!r} is not allowed")
        return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        if isinstance(obj, _Record) and isinstance(argument, str):
            return self.getattr(obj, argument)
        if isinstance(obj, list | str) and isinstance(argument, int):
            try:
                return obj[argument]
            except IndexError:
                return self.undefined(obj=obj, name=argument)
        raise SecurityError("indexing is only allowed on order.items")

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's signature)
        raise SecurityError("calling functions or methods is not allowed in templates")

    def call_binop(self, context, operator_name: str, left: Any, right: Any) -> Any:
        _tick()
        if operator_name == "*":
            if isinstance(left, str | list) or isinstance(right, str | list):
                count = right if isinstance(left, str | list) else left
                seq = left if isinstance(left, str | list) else right
                if not isinstance(count, int) or len(seq) * max(count, 0) > MAX_STRING_PRODUCT:
                    raise RenderLimitError("repeating text that many times is not allowed")
            return operator.mul(left, right)
        if operator_name == "**":
            if not isinstance(right, int | float) or abs(right) > 16 or not isinstance(left, int | float):
                raise RenderLimitError("powers are limited to small numbers")
            if abs(left) > 10**6:
                raise RenderLimitError("powers are limited to small numbers")
            return operator.pow(left, right)
        if operator_name == "%":
            if isinstance(left, str):
                raise SecurityError("%-formatting of text is not allowed")
            return operator.mod(left, right)
        if operator_name == "+":
            result = operator.add(left, right)
            if isinstance(result, str | list) and len(result) > MAX_OUTPUT_CHARS["html"]:
                raise RenderLimitError("the template produces too much text")
            return result
        return operator.floordiv(left, right)


_TEXT_ENV = _Env(autoescape=False)
_HTML_ENV = _Env(autoescape=True)


def _env(html: bool) -> _Env:
    return _HTML_ENV if html else _TEXT_ENV


# --- edit-time checks -----------------------------------------------------------------

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def tag_spans(source: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TAG.finditer(source)]


def _line_span(source: str, lineno: int) -> tuple[int, int]:
    lines = source.split("\n")
    lineno = min(max(lineno, 1), len(lines))
    start = sum(len(line) + 1 for line in lines[: lineno - 1])
    return start, start + len(lines[lineno - 1])


def _find_in_tags(source: str, pattern: str) -> tuple[int, int] | None:
    regex = re.compile(pattern)
    for start, end in tag_spans(source):
        match = regex.search(source, start, end)
        if match:
            return match.start(), match.end()
    return None


def _path_pattern(path: list[str]) -> str:
    return r"(?<![\w.])" + r"\s*\.\s*".join(re.escape(p) for p in path) + r"(?!\w)"


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[SourceProblem] = []
        self.seen: set[tuple[str, str]] = set()

    def add(self, code: str, detail: str, needle: str | None, lineno: int) -> None:
        if (code, detail) in self.seen:
            return
        self.seen.add((code, detail))
        span = _find_in_tags(self.source, needle) if needle else None
        if span is None:
            span = _line_span(self.source, lineno)
        self.problems.append(SourceProblem(code, detail, span[0], span[1]))

    def path_of(self, node: nodes.Node) -> list[str] | None:
        parts: list[str] = []
        while isinstance(node, nodes.Getattr | nodes.Getitem):
            if isinstance(node, nodes.Getattr):
                parts.append(node.attr)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                parts.append(node.arg.value)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, int):
                parts.append("[]")
            else:
                return None
            node = node.node
        if not isinstance(node, nodes.Name):
            return None
        parts.append(node.name)
        return list(reversed(parts))

    def check_path(self, path: list[str], scope: dict[str, str], lineno: int) -> None:
        head, rest = path[0], [p for p in path[1:] if p != "[]"]
        indexes = [p for p in path[1:] if p == "[]"]
        shown = ".".join(p for p in path if p != "[]")
        needle = _path_pattern([p for p in path if p != "[]"][:2])
        if head in scope:
            allowed = ITEM_ATTRIBUTES if scope[head] == "item" else LOOP_ATTRIBUTES
            if indexes or len(rest) != 1 or rest[0] not in allowed:
                self.add("unknown_variable", shown, needle, lineno)
            return
        if head not in VARIABLES:
            self.add("unknown_variable", shown, needle, lineno)
            return
        attrs = VARIABLES[head]
        if attrs is None:
            if rest or indexes:
                self.add("unknown_variable", shown, needle, lineno)
            return
        if not rest or rest[0] not in attrs:
            self.add("unknown_variable", shown, needle, lineno)
            return
        if head == "order" and rest[0] == "items":
            # order.items, order.items[0].title
            if len(rest) == 1:
                return
            if not indexes or len(rest) > 2 or rest[1] not in ITEM_ATTRIBUTES:
                self.add("unknown_variable", shown, needle, lineno)
            return
        if len(rest) > 1 or indexes:
            self.add("unknown_variable", shown, needle, lineno)

    def visit(self, node: nodes.Node, scope: dict[str, str]) -> None:
        lineno = getattr(node, "lineno", 1) or 1
        if isinstance(node, nodes.For):
            path = self.path_of(node.iter)
            if path != ["order", "items"] or not isinstance(node.target, nodes.Name):
                self.add("unsupported", "loops may only go over order.items", r"\{%-?\s*for\b[^%]*", lineno)
            else:
                inner = {**scope, node.target.name: "item", "loop": "loop"}
                for child in node.body:
                    self.visit(child, inner)
            for child in node.else_:
                self.visit(child, scope)
            if node.test is not None:
                self.visit(node.test, {**scope, getattr(node.target, "name", "_"): "item"})
            return
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            path = self.path_of(node)
            if path is None:
                if isinstance(node, nodes.Getattr):
                    self.add("unsupported", f"attribute access .{node.attr}", re.escape("." + node.attr), lineno)
                else:
                    self.add("unsupported", "indexing", r"\[", lineno)
                return
            self.check_path(path, scope, lineno)
            return
        if isinstance(node, nodes.Name):
            if node.ctx == "load":
                self.check_path([node.name], scope, lineno)
            return
        if isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            self.add("unsupported", f"filter |{node.name}", r"\|\s*" + re.escape(node.name), lineno)
        if isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
            self.add("unsupported", f"test 'is {node.name}'", r"\bis\s+" + re.escape(node.name), lineno)
        if isinstance(node, nodes.Call):
            self.add("unsupported", "function calls", r"\w\s*\(", lineno)
        if isinstance(
            node,
            nodes.Macro
            | nodes.CallBlock
            | nodes.Include
            | nodes.Import
            | nodes.FromImport
            | nodes.Extends
            | nodes.Block
            | nodes.Assign
            | nodes.AssignBlock
            | nodes.FilterBlock
            | nodes.With
            | nodes.Scope
            | nodes.ScopedEvalContextModifier,
        ):
            kind = type(node).__name__.lower()
            self.add("unsupported", f"the {kind} tag", r"\{%-?\s*\w+", lineno)
            return
        for child in node.iter_child_nodes():
            self.visit(child, scope)


@lru_cache(maxsize=1024)
def _parse(source: str, html: bool) -> nodes.Template | TemplateSyntaxError:
    try:
        return _env(html).parse(source)
    except TemplateSyntaxError as exc:
        return exc


@lru_cache(maxsize=4096)
def check_source(source: str, html: bool = False) -> tuple[SourceProblem, ...]:
    """Problems that block a template at edit time: syntax errors, unknown variables, unsupported constructs."""
    if len(source) > MAX_SOURCE_CHARS:
        return (SourceProblem("too_long", f"more than {MAX_SOURCE_CHARS} characters", MAX_SOURCE_CHARS, len(source)),)
    if "{" not in source:
        return ()
    tree = _parse(source, html)
    if isinstance(tree, TemplateSyntaxError):
        start, end = _line_span(source, tree.lineno or 1)
        return (SourceProblem("syntax", tree.message or "syntax error", start, end),)
    checker = _Checker(source)
    checker.visit(tree, {})
    return tuple(checker.problems)


_PATHS_RE = re.compile("|".join(f"(?P<v{i}>{_path_pattern(p.split('.'))})" for i, p in enumerate(VARIABLE_PATHS)))


@lru_cache(maxsize=4096)
def variables_used(source: str) -> frozenset[str]:
    """The variable paths a template refers to (for 'does the body include unsubscribe_link?')."""
    found = set()
    for start, end in tag_spans(source):
        for match in _PATHS_RE.finditer(source, start, end):
            found.add(VARIABLE_PATHS[int(match.lastgroup[1:])])
    return frozenset(found)


@lru_cache(maxsize=2048)
def _compiled(source: str, html: bool):
    """Compile from the tree check_source already parsed (parsing twice doubled the cost of a lint)."""
    env = _env(html)
    tree = _parse(source, html)
    if isinstance(tree, TemplateSyntaxError):
        raise RenderError(tree.message or "syntax error")
    return env.template_class.from_code(env, env.compile(tree), env.make_globals(None), None)


# --- rendering ------------------------------------------------------------------------


def _guard(value: Any, budget: _Budget) -> Any:
    if isinstance(value, str):
        return _GuardedStr(value, budget)
    if isinstance(value, bool | int | float) or value is None:
        return value
    raise RenderError(f"unsupported value of type {type(value).__name__} in the context")


def build_context(context: dict, budget: _Budget) -> dict:
    """Turn a plain dict of the fixed variables into sandbox records; refuse anything else."""
    unknown = set(context) - set(VARIABLES)
    if unknown:
        raise UnknownVariableError(f"unknown variables in the context: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for name, value in context.items():
        attrs = VARIABLES[name]
        if attrs is None:
            out[name] = _guard("" if value is None else str(value), budget)
            continue
        if not isinstance(value, dict):
            raise RenderError(f"{name} must be a mapping of {', '.join(sorted(attrs))}")
        extra = set(value) - attrs
        if extra:
            raise UnknownVariableError(f"unknown variables in the context: {', '.join(f'{name}.{e}' for e in extra)}")
        record = _Record()
        for attr, attr_value in value.items():
            if name == "order" and attr == "items":
                items = []
                for item in list(attr_value or [])[:MAX_ITEMS]:
                    if not isinstance(item, dict) or set(item) - ITEM_ATTRIBUTES:
                        raise RenderError("order.items must be a list of {title, sku, quantity}")
                    items.append(_Record({k: _guard(v, budget) for k, v in item.items()}))
                record[attr] = _GuardedList(items, budget)
            else:
                record[attr] = _guard(attr_value, budget)
        out[name] = record
    return out


def _render(source: str, *, html: bool, context: dict, limit: int, field: str) -> str:
    if not source:
        return ""
    if "{" not in source:
        if len(source) > limit:
            raise RenderLimitError(f"{field}: the rendered text is longer than {limit} characters")
        return source
    problems = check_source(source, html)
    if problems:
        first = problems[0]
        if first.code == "unknown_variable":
            raise UnknownVariableError(f"{field}: unknown variable {first.detail}")
        raise RenderError(f"{field}: {first.detail}")
    budget = _Budget()
    token = _BUDGET.set(budget)
    try:
        guarded = build_context(context, budget)
        chunks: list[str] = []
        size = 0
        for chunk in _compiled(source, html).generate(guarded):
            size += len(chunk)
            if size > limit:
                raise RenderLimitError(f"{field}: the rendered text is longer than {limit} characters")
            budget.check_time()
            chunks.append(chunk)
        return "".join(chunks)
    except UndefinedError as exc:
        raise UnknownVariableError(f"{field}: {exc.message} (the context lacks a variable the template uses)") from None
    except SecurityError as exc:
        raise RenderError(f"{field}: {exc}") from None
    except RenderError as exc:
        message = str(exc)
        raise type(exc)(message if message.startswith(f"{field}:") else f"{field}: {message}") from None
    except (TypeError, ValueError, ArithmeticError, OverflowError, RecursionError) as exc:
        raise RenderError(f"{field}: {exc}") from None
    finally:
        _BUDGET.reset(token)


def render_source(*, subject: str, body_text: str, body_html: str, context: dict, link: str = "") -> RenderedMessage:
    """Render the fields of a template; raises RenderError (or a subclass) with a clear message.

    `link` (push) must render to one http(s) address: a buyer's name cannot turn it into anything else.
    """
    build_context(context, _Budget())  # refuse a bad context even for text without tags
    rendered_subject = _render(subject, html=False, context=context, limit=MAX_OUTPUT_CHARS["subject"], field="subject")
    # A subject is one header line: a buyer's name cannot inject headers.
    rendered_subject = " ".join(rendered_subject.split())
    rendered_link = _render(link, html=False, context=context, limit=2000, field="link").strip()
    if rendered_link and not re.fullmatch(r"https?://[^\s<>\"']+", rendered_link):
        raise RenderError("link: the link does not render to one http(s) address")
    return RenderedMessage(
        subject=rendered_subject,
        text=_render(body_text, html=False, context=context, limit=MAX_OUTPUT_CHARS["text"], field="body_text"),
        html=_render(body_html, html=True, context=context, limit=MAX_OUTPUT_CHARS["html"], field="body_html"),
        link=rendered_link,
    )


SAMPLE_LINK = "https://lnk.example/r/8fKq2Zt"


def sample_context(*, locale: str = "en", store_name: str = "") -> dict:
    """Sample data for previews and segment counts (links as long as the tracked ones)."""
    names = {
        "ja": ("花子", "山田", "山田 花子"),
        "zh-Hans": ("伟", "王", "王伟"),
        "de": ("Anna", "Schmidt", "Anna Schmidt"),
        "fr": ("Camille", "Martin", "Camille Martin"),
        "es": ("Lucía", "García", "Lucía García"),
        "it": ("Giulia", "Rossi", "Giulia Rossi"),
        "pt": ("Ana", "Silva", "Ana Silva"),
        "nl": ("Sanne", "de Vries", "Sanne de Vries"),
        "pl": ("Zofia", "Nowak", "Zofia Nowak"),
        "sv": ("Elsa", "Andersson", "Elsa Andersson"),
    }
    first, last, full = names.get(locale, ("Jamie", "Smith", "Jamie Smith"))
    return {
        "buyer": {"first_name": first, "last_name": last, "name": full},
        "order": {
            "number": "112-4839201-5550123",
            "items": [{"title": "Trail Lantern 300", "sku": "TL-300", "quantity": 1}],
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
        },
        "store": {"name": store_name or "Acme Outdoor", "postal_address": "1 Harbour Road, Springfield, IL 62701, USA"},
        "review_link": SAMPLE_LINK,
        "support_link": SAMPLE_LINK.replace("8fKq2Zt", "h3Lp9Qa"),
        "unsubscribe_link": SAMPLE_LINK.replace("8fKq2Zt", "u7Nb4Xc"),
        "tracking_link": SAMPLE_LINK.replace("8fKq2Zt", "t5Wd2Rm"),
    }
