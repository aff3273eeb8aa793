"""Loads the labelled corpus (corpus/*.tsv) and lints each message as a merchant would send it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from templates_review.linting import lint
from templates_review.starters import _EMAIL, _FOOTER

CORPUS_DIR = Path(__file__).parent / "corpus"
STOP_WORDING = {
    "en": "Reply STOP to opt out",
    "de": "STOP zum Abmelden",
    "fr": "STOP pour vous désinscrire",
    "es": "Responda BAJA para no recibir más",
    "it": "Rispondi STOP per annullare",
    "ja": "配信停止はSTOPと返信",
    "pt": "Responda SAIR para cancelar",
    "nl": "Antwoord STOP om af te melden",
    "zh-Hans": "回复TD退订",
    "pl": "Odpowiedz STOP, aby zrezygnować",
    "sv": "Svara STOPP för att avsluta",
}


@dataclass(frozen=True)
class Sample:
    locale: str
    line: int
    label: str  # "V" or "C"
    category: str
    channel: str
    text: str

    def lint_input(self) -> dict:
        if self.channel == "email":
            return {
                "channel": "email",
                "marketplace": "own_site",
                "locale": self.locale,
                "subject": _EMAIL[self.locale][0],
                "body_text": f"{self.text}\n\n{_FOOTER[self.locale]}",
            }
        if self.channel == "sms":
            return {
                "channel": "sms",
                "marketplace": "own_site",
                "locale": self.locale,
                "body_text": f"{{{{ store.name }}}}: {self.text} {STOP_WORDING[self.locale]}",
            }
        return {
            "channel": "amazon_solicitation",
            "marketplace": "amazon",
            "locale": self.locale,
            "body_text": self.text,
        }


def load() -> list[Sample]:
    samples = []
    for path in sorted(CORPUS_DIR.glob("*.tsv")):
        locale = path.stem
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not raw.strip() or raw.startswith("#"):
                continue
            label, category, channel, text = raw.split("\t", 3)
            assert label in {"V", "C"}, f"{path.name}:{number}: label {label!r}"
            samples.append(Sample(locale, number, label, category, channel, text.replace("\\n", "\n")))
    return samples


@dataclass
class Scores:
    violations: int
    violations_blocked: int
    clean: int
    clean_blocked: int
    missed: list
    false_blocks: list

    @property
    def recall(self) -> float:
        return self.violations_blocked / self.violations

    @property
    def false_block_rate(self) -> float:
        return self.clean_blocked / self.clean


def score(samples: list[Sample]) -> Scores:
    s = Scores(0, 0, 0, 0, [], [])
    for sample in samples:
        result = lint(**sample.lint_input())
        if sample.label == "V":
            s.violations += 1
            if result.blocking:
                s.violations_blocked += 1
            else:
                s.missed.append(sample)
        else:
            s.clean += 1
            if result.blocking:
                s.clean_blocked += 1
                s.false_blocks.append((sample, [f.rule for f in result.findings if f.severity == "block"]))
    return s


if __name__ == "__main__":  # python -m tests.templates_review.corpus (with Django set up) lists the misses
    import django

    django.setup()
    scores = score(load())
    for sample in scores.missed:
        print("MISSED", sample.locale, sample.line, sample.text)  # noqa: T201
    for sample, rules in scores.false_blocks:
        print("BLOCKED", sample.locale, sample.line, rules, sample.text)  # noqa: T201
    print(  # noqa: T201
        f"violations {scores.violations_blocked}/{scores.violations} = {scores.recall:.1%}; "
        f"clean blocked {scores.clean_blocked}/{scores.clean} = {scores.false_block_rate:.1%}"
    )
