"""Translation catalogues, one per app (<app>/locale/zh_Hans/LC_MESSAGES/django.po).

python scripts/i18n.py update          # extract new strings into every app's catalogue
python scripts/i18n.py check           # update, then fail on any untranslated or fuzzy entry
python scripts/i18n.py apply APP FILE  # set translations from a JSON object {msgid: msgstr}
"""

import json
import os
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
APPS = ["linkstar", "accounts", "orders", "templates_review", "channels", "billing", "reviews", "insights", "inserts"]
LOCALE = "zh_Hans"


def catalogue(app: str) -> Path:
    return ROOT / app / "locale" / LOCALE / "LC_MESSAGES" / "django.po"


def update() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "linkstar.settings", "PYTHONPATH": str(ROOT)}
    for app in APPS:
        if not (ROOT / app).is_dir():
            continue
        (ROOT / app / "locale").mkdir(exist_ok=True)
        subprocess.run(  # noqa: S603  (our own interpreter and manage.py)
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "makemessages",
                "-l",
                LOCALE,
                "--no-obsolete",
                "--no-location",
                "-v",
                "0",
            ],
            cwd=ROOT / app,
            env=env,
            check=True,
        )


def problems(app: str) -> list[str]:
    path = catalogue(app)
    if not path.exists():
        return []
    with path.open("rb") as fh:
        cat = read_po(fh)
    found = []
    for message in cat:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(strings):
            found.append(f"{app}: {message.id!r}")
    return found


def apply(app: str, source: str) -> None:
    translations = json.loads(Path(source).read_text(encoding="utf-8"))
    path = catalogue(app)
    with path.open("rb") as fh:
        cat = read_po(fh)
    for message in cat:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in translations:
            value = translations[key]
            message.string = tuple(value) if isinstance(message.id, tuple | list) else value
            message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, cat, width=0, omit_header=False, include_previous=False)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "update":
        update()
        return 0
    if command == "check":
        update()
        missing = [p for app in APPS for p in problems(app)]
        for line in missing:
            print("untranslated:", line)
        return 1 if missing else 0
    if command == "apply":
        apply(argv[2], argv[3])
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
