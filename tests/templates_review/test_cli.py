"""`manage.py lint_template`: JSON in, JSON out, exit 0 / 1 / 2."""

import io
import json

import pytest
from django.core.management import call_command

CLEAN = {
    "channel": "sms",
    "marketplace": None,
    "locale": "en",
    "body_text": "{{ store.name }}: how was your order? {{ review_link }} Reply STOP to opt out",
}
BLOCKED = {
    "channel": "email",
    "marketplace": "amazon",
    "locale": "de",
    "subject": "Hallo",
    "body_text": "5 Sterne bitte!",
}


def run(*args, stdin=""):
    out, err = io.StringIO(), io.StringIO()
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with pytest.raises(SystemExit) as exited:
            call_command("lint_template", *args, stdout=out, stderr=err)
    finally:
        sys.stdin = old
    return exited.value.code, out.getvalue(), err.getvalue()


def test_clean_template_exits_0_with_segments(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(CLEAN))
    code, out, _ = run(str(path))
    assert code == 0
    result = json.loads(out)
    assert result == {"blocking": False, "findings": [], "segments": {"encoding": "GSM-7", "count": 1}}


def test_blocking_template_exits_1_with_findings_from_stdin():
    code, out, _ = run("-", stdin=json.dumps(BLOCKED))
    assert code == 1
    result = json.loads(out)
    assert result["blocking"] is True and result["segments"] is None
    assert set(result["findings"][0]) == {"rule", "severity", "message", "field", "start", "end"}
    rules = {f["rule"] for f in result["findings"]}
    assert {"review.positive", "amazon.channel"} <= rules


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "invalid JSON"),
        ("[1]", "JSON object"),
        (json.dumps({"locale": "en"}), '"channel"'),
        (json.dumps({"channel": "fax", "locale": "en"}), "Unknown channel"),
        (json.dumps({"channel": "email", "locale": "en", "body_text": 5}), '"body_text"'),
    ],
)
def test_bad_input_exits_2_with_a_message_on_stderr(raw, message):
    code, out, err = run("-", stdin=raw)
    assert code == 2 and out == ""
    assert message in err


def test_missing_file_exits_2():
    code, _out, err = run("/nonexistent/t.json")
    assert code == 2 and "cannot read" in err


def test_jsonl_prints_one_result_per_line_in_order_and_exits_2_on_a_bad_line():
    lines = "\n".join([json.dumps(CLEAN), "{oops", json.dumps(BLOCKED)])
    code, out, _ = run("--jsonl", "-", stdin=lines)
    results = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert results[0]["blocking"] is False
    assert "error" in results[1]
    assert results[2]["blocking"] is True


def test_jsonl_exits_1_when_something_blocks_and_nothing_is_bad():
    code, out, _ = run("--jsonl", "-", stdin=json.dumps(CLEAN) + "\n" + json.dumps(BLOCKED) + "\n")
    assert code == 1 and len(out.splitlines()) == 2
