"""Benchmark: render a print-ready sheet of insert cards (each with its own QR code) and read it back.

Prints one JSON line: {"bench": "insert_cards", "cards": N, "render_cards_per_s": ..., "pdf_bytes": ...,
"decode_pages_per_s": ...}. Rendering is what a merchant waits for on the page or the API; decoding (a
200 dpi page, all its QR codes) is what the tests do to prove every code is readable.
Run: LINKSTAR_ENV_FILE=/dev/null python bench/insert_cards.py [N]
"""

import json
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "linkstar.settings")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "YmVuY2gta2V5LTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=")

import django  # noqa: E402

django.setup()

from inserts.pdf import CardFace, render_sheet  # noqa: E402
from inserts.texts import DEFAULT_TEXTS, LANGUAGES  # noqa: E402


def main(count: int) -> None:
    faces = []
    for i in range(count):
        lang = LANGUAGES[i % len(LANGUAGES)]
        words = DEFAULT_TEXTS[lang]
        faces.append(
            CardFace(
                url=f"https://linkstar.example.com/c/{secrets.token_urlsafe(12)}:{secrets.token_urlsafe(32)}",
                language=lang,
                store_name="Acme Outdoor",
                headline=words["headline"],
                text=words["text"],
                scan_label=words["scan"],
                order_label=f"{words['order']} #{100000 + i}",
                postal_address="1 Harbour Road\nSpringfield, IL 62701",
            )
        )
    start = time.perf_counter()
    pdf = render_sheet(faces)
    render_seconds = time.perf_counter() - start

    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    pages = min(len(document), 5)
    start = time.perf_counter()
    decoded = 0
    for index in range(pages):
        decoded += len(zxingcpp.read_barcodes(document[index].render(scale=200 / 72).to_pil()))
    decode_seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "bench": "insert_cards",
                "cards": count,
                "render_seconds": round(render_seconds, 3),
                "render_cards_per_s": round(count / render_seconds, 1),
                "pdf_bytes": len(pdf),
                "decode_pages": pages,
                "decoded_codes": decoded,
                "decode_pages_per_s": round(pages / decode_seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 400)
