"""A small PDF writer: paragraphs of text on A4 pages (the opposition receipt, BR-07).

Written here rather than taken from a library: fpdf2 needs Pillow and fontTools (+25 MB), which would
push the API package past its 60 MB bound; reportlab is larger still. What it does: the two standard
fonts Helvetica and Helvetica-Bold (never embedded), WinAnsiEncoding (é è à ç ô ’ « » € …), lines
wrapped on the fonts' own widths (Adobe's AFM), as many pages as the text needs, a correct xref table.
Every character outside WinAnsi becomes "?" and control characters become spaces: it never raises on
text. Text is escaped in the content streams (\\ ( ) and bytes above 127 as octal escapes), so the
file itself is ASCII apart from the binary marker comment."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4, in points
MARGIN = 56  # about 2 cm
LEADING = 1.35  # line height / font size
FONTS = {False: ("F1", "Helvetica"), True: ("F2", "Helvetica-Bold")}

# Widths (1/1000 em) of the printable ASCII codes 32..126 under WinAnsiEncoding (39 is quotesingle,
# 96 is grave), from Helvetica.afm and Helvetica-Bold.afm.
_ASCII_WIDTHS = {
    False: (278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
            556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
            1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
            667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
            333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
            556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584),
    True: (278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
           556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
           975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
           667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
           333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
           611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584),
}
# Characters above 127 that are wider than a letter (an accented letter measures as its base letter).
_WIDE = {"—": 1000, "…": 1000, "‰": 1000, "™": 1000, "Œ": 1000, "Æ": 1000, "œ": 944, "æ": 889, "©": 737, "®": 737}
_DEFAULT_WIDTH = 556


@dataclass(frozen=True)
class Block:
    """A paragraph: wrapped to the text width, `size` points, bold or not, `space` points above it."""

    text: str
    size: float = 11
    bold: bool = False
    space: float = 6


def to_winansi(text: str) -> bytes:
    """The text in WinAnsiEncoding (Windows-1252): composed accents, control characters as spaces,
    anything else outside the encoding as "?". Never raises."""
    text = unicodedata.normalize("NFC", text).replace("\u202f", "\u00a0")  # French thin space → no-break space
    text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return text.encode("cp1252", errors="replace")


def char_width(code: int, bold: bool) -> int:
    """The width of one WinAnsi byte in 1/1000 em."""
    if 32 <= code <= 126:
        return _ASCII_WIDTHS[bold][code - 32]
    char = bytes([code]).decode("cp1252", errors="replace")
    if char in _WIDE:
        return _WIDE[char]
    base = unicodedata.normalize("NFD", char)[0]
    return _ASCII_WIDTHS[bold][ord(base) - 32] if 32 <= ord(base) <= 126 else _DEFAULT_WIDTH


def text_width(data: bytes, size: float, bold: bool) -> float:
    return sum(char_width(code, bold) for code in data) * size / 1000


def _split_long_word(word: bytes, size: float, bold: bool, width: float) -> list[bytes]:
    pieces, current = [], b""
    for code in word:
        if current and text_width(current + bytes([code]), size, bold) > width:
            pieces.append(current)
            current = b""
        current += bytes([code])
    return [*pieces, current]


def wrap(text: str, size: float, bold: bool, width: float) -> list[bytes]:
    """Greedy wrapping on spaces; a word longer than the line is cut. Always at least one line."""
    lines: list[bytes] = []
    current = b""
    for word in to_winansi(text).split():
        for piece in _split_long_word(word, size, bold, width):
            candidate = current + b" " + piece if current else piece
            if current and text_width(candidate, size, bold) > width:
                lines.append(current)
                candidate = piece
            current = candidate
    return [*lines, current]


def escape(data: bytes) -> bytes:
    """A PDF literal string's content: \\ ( ) escaped, bytes outside printable ASCII as octal."""
    out = bytearray()
    for code in data:
        if code in b"\\()":
            out += b"\\" + bytes([code])
        elif 32 <= code <= 126:
            out.append(code)
        else:
            out += b"\\%03o" % code
    return bytes(out)


def layout(blocks: Sequence[Block]) -> list[bytes]:
    """One content stream per page: each line positioned absolutely, top to bottom."""
    pages: list[list[bytes]] = [[]]
    y: float = PAGE_HEIGHT - MARGIN
    for block in blocks:
        y -= block.space
        font, _ = FONTS[block.bold]
        for line in wrap(block.text, block.size, block.bold, PAGE_WIDTH - 2 * MARGIN):
            y -= block.size * LEADING
            if y < MARGIN:
                pages.append([])
                y = PAGE_HEIGHT - MARGIN - block.size * LEADING
            pages[-1].append(b"BT /%s %g Tf 1 0 0 1 %d %.2f Tm (%s) Tj ET" % (
                font.encode(), block.size, MARGIN, y, escape(line)))
    return [b"\n".join(lines) + b"\n" for lines in pages]


def _info_string(text: str) -> bytes:
    """A text string of the document information dictionary: UTF-16BE with its byte order mark, in hex."""
    return b"<FEFF" + text.encode("utf-16-be", errors="replace").hex().upper().encode() + b">"


def render(blocks: Sequence[Block], *, title: str, lang: str = "fr-FR") -> bytes:
    """The PDF file: catalog, page tree, the two fonts, document information, then pages and streams."""
    streams = layout(blocks)
    first_page = 6
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(streams)))
    fonts = b" ".join(b"/%s %d 0 R" % (FONTS[bold][0].encode(), 3 + bold) for bold in (False, True))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang (%s) >>" % lang.encode(),
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(streams)),
        *(b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % FONTS[bold][1].encode()
          for bold in (False, True)),
        b"<< /Title %s /Producer (mes) >>" % _info_string(title),
    ]
    for i, stream in enumerate(streams):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << %s >> >> "
                       b"/Contents %d 0 R >>" % (PAGE_WIDTH, PAGE_HEIGHT, fonts, first_page + 2 * i + 1))
        objects.append(b"<< /Length %d >>\nstream\n%sendstream" % (len(stream), stream))
    return _file(objects)


def _file(objects: list[bytes]) -> bytes:
    """Header, numbered objects, the cross-reference table (offsets in bytes) and the trailer."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
