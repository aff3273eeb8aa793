"""The print-ready sheet: A4, eight cards (2 × 4, 105 × 74.25 mm) per page with light cut lines.

Each card carries the merchant's logo, the store's name, the headline and text in the card's language,
its own QR code (segno, drawn as vector modules with a quiet zone, so any printer keeps it sharp), the
order number and the postal address. Latin text uses Helvetica; Chinese uses the Adobe CID font
STSong-Light and Japanese HeiseiKakuGo-W5 (reportlab's built-in Asian fonts, which every PDF reader
ships), chosen per line by the characters it holds.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

COLUMNS, ROWS = 2, 4
CARD_W, CARD_H = A4[0] / COLUMNS, A4[1] / ROWS
PAD = 6 * mm
QR_SIZE = 30 * mm
_CJK_RANGES = "\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK = re.compile(f"[{_CJK_RANGES}]")
TOKENS = re.compile(f"[{_CJK_RANGES}]|[^ {_CJK_RANGES}]+ *| +")
FONTS = {"zh": "STSong-Light", "ja": "HeiseiKakuGo-W5"}
for _name in FONTS.values():
    pdfmetrics.registerFont(UnicodeCIDFont(_name))


@dataclass(frozen=True)
class CardFace:
    url: str
    language: str
    store_name: str
    headline: str
    text: str
    scan_label: str
    order_label: str = ""
    postal_address: str = ""


def _font(text: str, language: str, bold: bool = False) -> str:
    if CJK.search(text) or language in ("zh-Hans", "ja"):
        return FONTS["ja"] if language == "ja" else FONTS["zh"]
    return "Helvetica-Bold" if bold else "Helvetica"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines that fit `width`: words for Latin text, characters for Chinese and Japanese."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        # Break at ASCII spaces only (a no-break space keeps "souci ?" together) and between CJK characters.
        tokens = TOKENS.findall(paragraph)
        line = ""
        for token in tokens:
            candidate = line + token
            if line and pdfmetrics.stringWidth(candidate.rstrip(), font, size) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line = candidate
        lines.append(line.rstrip())
    return lines


def _draw_qr(c: canvas.Canvas, url: str, x: float, y: float, size: float) -> None:
    qr = segno.make(url, error="m", micro=False)
    matrix = [list(row) for row in qr.matrix]
    count = len(matrix) + 8  # a quiet zone of four modules each side
    module = size / count
    c.setFillColorRGB(1, 1, 1)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        col = 0
        while col < len(row):  # one rectangle per run of dark modules: a third of the drawing operators
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            path.rect(x + (start + 4) * module, y + size - (r + 5) * module, (col - start) * module, module)
    c.drawPath(path, stroke=0, fill=1)


def _text_block(c, lines, font, size, x, y, leading) -> float:
    c.setFont(font, size)
    for line in lines:
        c.drawString(x, y, line)
        y -= leading
    return y


def _draw_card(c: canvas.Canvas, face: CardFace, x0: float, y0: float, logo: ImageReader | None) -> None:
    top = y0 + CARD_H - PAD
    text_width = CARD_W - 3 * PAD - QR_SIZE
    y = top
    if logo is not None:
        w, h = logo.getSize()
        scale = min(40 * mm / w, 12 * mm / h)
        c.drawImage(logo, x0 + PAD, y - h * scale, w * scale, h * scale, mask="auto")
        y -= h * scale + 2 * mm
    c.setFillColorRGB(0.35, 0.35, 0.35)
    y = _text_block(c, [face.store_name], _font(face.store_name, face.language), 8, x0 + PAD, y - 8, 10)
    c.setFillColorRGB(0, 0, 0)
    head_font = _font(face.headline, face.language, bold=True)
    y = _text_block(c, _wrap(face.headline, head_font, 12, text_width), head_font, 12, x0 + PAD, y - 6, 15)
    body_font = _font(face.text, face.language)
    _text_block(c, _wrap(face.text, body_font, 8.5, text_width)[:8], body_font, 8.5, x0 + PAD, y - 2, 11)
    # QR code and its caption on the right.
    qr_x, qr_y = x0 + CARD_W - PAD - QR_SIZE, y0 + CARD_H - PAD - QR_SIZE - 4 * mm
    _draw_qr(c, face.url, qr_x, qr_y, QR_SIZE)
    caption_font = _font(face.scan_label, face.language)
    c.setFont(caption_font, 7.5)
    c.drawCentredString(qr_x + QR_SIZE / 2, qr_y - 3.5 * mm, face.scan_label)
    # Footer: order number and postal address.
    c.setFillColorRGB(0.35, 0.35, 0.35)
    footer = [line for line in face.postal_address.splitlines() if line.strip()][:2]
    if face.order_label:
        footer.insert(0, face.order_label)
    fy = y0 + PAD
    for line in reversed(footer):
        c.setFont(_font(line, face.language), 7)
        c.drawString(x0 + PAD, fy, line[:110])
        fy += 9
    c.setFillColorRGB(0, 0, 0)


def _cut_lines(c: canvas.Canvas) -> None:
    c.setStrokeColorRGB(0.8, 0.8, 0.8)
    c.setLineWidth(0.3)
    c.setDash(2, 3)
    for col in range(1, COLUMNS):
        c.line(col * CARD_W, 0, col * CARD_W, A4[1])
    for row in range(1, ROWS):
        c.line(0, row * CARD_H, A4[0], row * CARD_H)
    c.setDash()


def render_sheet(faces: list[CardFace], *, logo: bytes | None = None, title: str = "") -> bytes:
    """The PDF bytes of all cards, eight to a page, in order."""
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(title or "Linkstar insert cards")
    c.setAuthor("Linkstar")
    reader = ImageReader(io.BytesIO(logo)) if logo else None
    per_page = COLUMNS * ROWS
    for start in range(0, len(faces), per_page):
        _cut_lines(c)
        for i, face in enumerate(faces[start : start + per_page]):
            col, row = i % COLUMNS, i // COLUMNS
            _draw_card(c, face, col * CARD_W, A4[1] - (row + 1) * CARD_H, reader)
        c.showPage()
    if not faces:
        c.showPage()
    c.save()
    return buffer.getvalue()
