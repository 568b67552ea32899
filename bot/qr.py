"""QR codes for invite links: a PNG to send, and text to print in a terminal."""

from __future__ import annotations

import io

import qrcode
from qrcode.image.pure import PyPNGImage


def qr_png(data: str) -> bytes:
    """A PNG picture of a QR code for ``data`` (pure Python, no imaging library)."""
    image = qrcode.make(data, image_factory=PyPNGImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def qr_text(data: str) -> str:
    """A QR code for ``data`` drawn with block characters, for a terminal."""
    code = qrcode.QRCode(border=1)
    code.add_data(data)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out)
    return out.getvalue()


def deep_link(bot_username: str, code: str) -> str:
    """The t.me link that opens the bot and sends ``/start <code>``."""
    return f"https://t.me/{bot_username}?start={code}"


def qr_matrix(data: str, version: int | None = None) -> list[list[bool]]:
    """The modules of a QR code for ``data`` (True is dark), without a quiet zone.

    For drawing many codes as vectors (the invite cards' PDF): a fixed mask pattern
    skips the search for the best of eight, which is most of the time a code takes,
    and every mask gives a valid code.
    """
    code = qrcode.QRCode(
        version=version,
        border=0,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        mask_pattern=0,
    )
    code.add_data(data)
    code.make(fit=version is None)
    return [[bool(cell) for cell in row] for row in code.get_matrix()]
