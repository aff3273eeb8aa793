"""Benchmark: lint a few thousand generated templates across locales and channels.

Prints one JSON line: {"bench": "lint", "templates": N, "templates_per_s": ...}.
Every template is different (the editor lints each keystroke pause), so caches do not help.
Run: LINKSTAR_ENV_FILE=/dev/null python bench/lint.py [N]
"""

import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")

import django  # noqa: E402

django.setup()

from templates_review.linting import lint  # noqa: E402
from templates_review.starters import STARTERS as STARTERS_FOR_BENCH  # noqa: E402

EXTRAS = [
    "",
    " Get a free gift for your review!",
    " Please leave us a 5-star review.",
    " If you are happy, leave a review; if not, contact us first.",
    " Gratis Geschenk für Ihre Bewertung!",
    " 五星好评返现5元。",
    " Laissez-nous un avis 5 étoiles.",
    " {{ buyer.email }}",
    " Visit www.example-shop.com for 10% off.",
]


def generate(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        starter = rng.choice(STARTERS_FOR_BENCH)
        extra = rng.choice(EXTRAS)
        body = starter["body_text"].replace("{{ order.number }}", f"{{{{ order.number }}}} ({i})") + extra
        html = ""
        if starter["channel"] == "email" and rng.random() < 0.5:
            html = "<p>" + body.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
        out.append(
            {
                "channel": starter["channel"],
                "marketplace": starter.get("marketplace"),
                "locale": starter["locale"],
                "subject": starter.get("subject", "") + (f" #{i}" if starter.get("subject") else ""),
                "body_text": body,
                "body_html": html,
            }
        )
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    templates = generate(n)
    # A running server has compiled each language's lists once: do that before timing.
    for warm in {(t["channel"], t["locale"]): t for t in templates}.values():
        lint(**warm)
    start = time.perf_counter()
    blocked = 0
    for template in templates:
        blocked += lint(**template).blocking
    elapsed = time.perf_counter() - start
    print(json.dumps({"bench": "lint", "templates": n, "templates_per_s": round(n / elapsed, 1), "blocked": blocked}))


if __name__ == "__main__":
    main()
