"""Lint a template from a file or standard input and print the findings as JSON.

    python manage.py lint_template template.json
    python manage.py lint_template - < template.json
    python manage.py lint_template --jsonl templates.jsonl

Input: {"channel", "marketplace", "locale", "subject", "body_text", "body_html"}; the
last three may be missing or empty and marketplace may be null ("purpose" and
"countries" are optional). Output: {"blocking", "findings": [{"rule", "severity",
"message", "field", "start", "end"}], "segments": {"encoding", "count"} or null}.
Exit status: 0 nothing blocks, 1 something blocks, 2 bad input (message on stderr;
with --jsonl a bad line prints {"error": "..."} in its place).
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from templates_review.linting import LintInputError, lint

REQUIRED = ("channel", "locale")
OPTIONAL_TEXT = ("subject", "body_text", "body_html")


class BadInput(ValueError):
    pass


def parse(raw: str) -> dict:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadInput(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict):
        raise BadInput("the input must be a JSON object")
    for key in REQUIRED:
        if not isinstance(data.get(key), str) or not data.get(key):
            raise BadInput(f'"{key}" is required and must be a string')
    marketplace = data.get("marketplace")
    if marketplace is not None and not isinstance(marketplace, str):
        raise BadInput('"marketplace" must be a string or null')
    values = {"channel": data["channel"], "locale": data["locale"], "marketplace": marketplace or None}
    for key in OPTIONAL_TEXT:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise BadInput(f'"{key}" must be a string')
        values[key] = value or ""
    purpose = data.get("purpose")
    if purpose is not None:
        if not isinstance(purpose, str):
            raise BadInput('"purpose" must be a string')
        values["purpose"] = purpose
    countries = data.get("countries")
    if countries is not None:
        if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
            raise BadInput('"countries" must be a list of country codes')
        values["countries"] = countries
    return values


def lint_one(raw: str) -> dict:
    try:
        return lint(**parse(raw)).as_dict(with_fix=False)
    except LintInputError as exc:
        raise BadInput(str(exc)) from None


class Command(BaseCommand):
    help = "Lint a message template (JSON) and print the findings as JSON; exit 1 when something blocks."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a JSON file, or - for standard input")
        parser.add_argument("--jsonl", action="store_true", help="one JSON object per line, one result per line")

    def handle(self, *args, **options):
        sys.exit(self.run(options["file"], options["jsonl"]))

    def run(self, path: str, jsonl: bool) -> int:
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
        except (OSError, UnicodeDecodeError) as exc:
            self.stderr.write(f"cannot read {path}: {exc}")
            return 2
        if not jsonl:
            try:
                result = lint_one(text)
            except BadInput as exc:
                self.stderr.write(str(exc))
                return 2
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return 1 if result["blocking"] else 0
        status = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                result = lint_one(line)
            except BadInput as exc:
                self.stdout.write(json.dumps({"error": f"line {number}: {exc}"}, ensure_ascii=False))
                self.stderr.write(f"line {number}: {exc}")
                status = 2
                continue
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            if result["blocking"] and status == 0:
                status = 1
        return status
