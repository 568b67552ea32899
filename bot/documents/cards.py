"""Printable invite cards: an A4 PDF, eight cards a page, to hand out at the next 例会.

Each card shows the person's name, role, area and work ID number, the invite's QR
code and its ``t.me`` link, with dashed lines to cut along. The QR code is drawn as
vector squares from bot/qr.py's matrix, so it prints sharp at any size and thousands
of cards stay quick. Chinese is set in the packaged CJK font (see bot/documents/charts.py).
Blocking: call :func:`write_cards` in a thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from bot.documents.fonts import font_path
from bot.i18n import t
from bot.qr import deep_link, qr_matrix
from bot.services.roster import Card

FONT = "GridCJK"
COLUMNS, ROWS = 2, 4
MARGIN = 24.0  # points
QR_SIZE = 104.0
# white around the code: scanners want a quiet zone of four modules (about 13 points)
QUIET = 16.0


@cache
def _register_font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, str(font_path()), subfontIndex=0))
    return FONT


def _fit(text: str, size: float, width: float) -> tuple[str, float]:
    """``text`` at ``size`` or smaller so it fits ``width``; cut with … below 6 points."""
    while size > 6 and pdfmetrics.stringWidth(text, FONT, size) > width:
        size -= 0.5
    while len(text) > 1 and pdfmetrics.stringWidth(text, FONT, size) > width:
        text = text[:-2] + "…"
    return text, size


def _qr(canvas: Canvas, link: str, x: float, y: float, size: float) -> None:
    matrix = qr_matrix(link)
    cell = size / len(matrix)
    path = canvas.beginPath()
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):  # one rectangle per run of dark modules in a row
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.rect(x + start * cell, y + size - (r + 1) * cell, (c - start) * cell, cell)
            else:
                c += 1
    canvas.drawPath(path, stroke=0, fill=1)


def _card(canvas: Canvas, card: Card, username: str, lang: str, x: float, y: float,
          w: float, h: float) -> None:  # fmt: skip
    canvas.setDash(3, 3)
    canvas.setStrokeGray(0.6)
    canvas.rect(x, y, w, h)
    canvas.setDash()
    pad = 12.0
    text_w = w - QR_SIZE - 2 * pad - 2 * QUIET
    top = y + h - pad
    canvas.setFillGray(0)
    title, size = _fit(t(lang, "roster.card.title"), 11, w - 2 * pad)
    canvas.setFont(FONT, size)
    canvas.drawString(x + pad, top - 11, title)
    name, size = _fit(card.name, 20, text_w)
    canvas.setFont(FONT, size)
    canvas.drawString(x + pad, top - 42, name)
    lines = [
        t(lang, "roster.card.role", role=t(lang, f"role.{card.role.value}")),
        t(lang, "roster.card.area", area=card.area.name),
        card.area.path.rsplit("/", 1)[0],
        t(lang, "roster.card.work_id", work_id=card.work_id or t(lang, "roster.card.no_work_id")),
        t(lang, "roster.card.expires", date=f"{card.expires_at:%Y-%m-%d}"),
    ]
    line_y = top - 62
    for i, line in enumerate(lines):
        shown, size = _fit(line, 9 if i != 2 else 7, text_w)
        canvas.setFont(FONT, size)
        canvas.setFillGray(0 if i != 2 else 0.35)
        canvas.drawString(x + pad, line_y, shown)
        line_y -= 14 if i != 1 else 11
    canvas.setFillGray(0)
    link = deep_link(username, card.code)
    _qr(canvas, link, x + w - pad - QR_SIZE, top - 11 - QUIET - QR_SIZE, QR_SIZE)
    how, size = _fit(t(lang, "roster.card.how"), 8, w - 2 * pad)
    canvas.setFont(FONT, size)
    canvas.drawString(x + pad, y + pad + 12, how)
    shown, size = _fit(link, 7.5, w - 2 * pad)
    canvas.setFont(FONT, size)
    canvas.drawString(x + pad, y + pad, shown)


def write_cards(cards: Sequence[Card], username: str, lang: str, target: Path) -> int:
    """Write the cards to an A4 PDF at ``target``; return the number of pages."""
    _register_font()
    canvas = Canvas(str(target), pagesize=A4, pageCompression=1)
    canvas.setTitle(t(lang, "roster.card.title"))
    page_w, page_h = A4
    w = (page_w - 2 * MARGIN) / COLUMNS
    h = (page_h - 2 * MARGIN) / ROWS
    per_page = COLUMNS * ROWS
    pages = 0
    for start in range(0, len(cards), per_page):
        for i, card in enumerate(cards[start : start + per_page]):
            col, row = i % COLUMNS, i // COLUMNS
            _card(
                canvas,
                card,
                username,
                lang,
                MARGIN + col * w,
                page_h - MARGIN - (row + 1) * h,
                w,
                h,
            )
        canvas.showPage()
        pages += 1
    canvas.save()
    return pages
