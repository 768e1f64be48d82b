"""The in-project PDF writer (mes.services.pdf) and the receipt's Paris time (BR-07): WinAnsi text,
escaping, wrapping on Helvetica's widths, characters outside WinAnsi, pages, the xref table; read
back with pypdf (tests only)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf._codecs.core_font_metrics import CORE_FONT_METRICS

from mes.domain.texts import french_datetime, opposition_receipt_text, paris_time
from mes.services import pdf
from mes.services.pdf import Block, render, text_width, to_winansi, wrap

TEXT_WIDTH = pdf.PAGE_WIDTH - 2 * pdf.MARGIN


def _read(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data), strict=True)


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in _read(data).pages)


def test_french_text_in_winansi_reads_back_as_written():
    words = "Justificatif d'opposition à la création — élève, garçon, hôte, « guillemets », l’apostrophe, 12 €"
    data = render([Block(words)], title="Titre éà")
    assert _text(data) == words
    assert _read(data).metadata.title == "Titre éà"


def test_brackets_and_backslashes_are_escaped():
    words = r"(parenthèses) \ et ) seule ( seule \\ double"
    data = render([Block(words)], title="t")
    assert _text(data) == words
    assert pdf.escape(b"a(b)c\\") == b"a\\(b\\)c\\\\"


def test_bytes_outside_printable_ascii_are_octal_escapes():
    assert pdf.escape(to_winansi("é€")) == b"\\351\\200"
    content = render([Block("é€ ok")], title="t").split(b"stream\n")[1]
    assert b"(\\351\\200 ok) Tj" in content


def test_characters_outside_winansi_become_a_question_mark_and_control_characters_a_space():
    assert to_winansi("a😀b\u0107c") == b"a?b?c"  # emoji, ć (Latin Extended-A)
    assert to_winansi("a\tb\nc\x00d") == b"a b c d"
    assert to_winansi("\udcff") == b"?"  # a lone surrogate
    assert to_winansi("e\u0301") == "é".encode("cp1252")  # a decomposed accent is composed first
    assert to_winansi("«\u202fmot\u202f»") == "«\u00a0mot\u00a0»".encode("cp1252")  # French thin spaces
    assert _text(render([Block("x😀y")], title="😀")) == "x?y"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_any_text_renders_to_a_readable_pdf(text, bold):
    data = render([Block(text, bold=bold)], title=text[:40])
    assert len(_read(data).pages) >= 1


def test_lines_wrap_within_the_text_width_and_keep_every_word():
    words = " ".join(["anticonstitutionnellement", "à", "élève", "W", "i"] * 40)
    for bold in (False, True):
        lines = wrap(words, 11, bold, TEXT_WIDTH)
        assert len(lines) > 5
        assert all(text_width(line, 11, bold) <= TEXT_WIDTH for line in lines)
        assert b" ".join(lines) == to_winansi(words)
        # greedy: the next word would not have fitted
        for line, following in zip(lines, lines[1:], strict=False):
            assert text_width(line + b" " + following.split(b" ")[0], 11, bold) > TEXT_WIDTH


def test_a_word_longer_than_a_line_is_cut():
    lines = wrap("M" * 200, 11, True, TEXT_WIDTH)
    assert len(lines) > 1 and b"".join(lines) == b"M" * 200
    assert all(text_width(line, 11, True) <= TEXT_WIDTH for line in lines)
    assert wrap("", 11, False, TEXT_WIDTH) == [b""]


@pytest.mark.parametrize("font, bold", [("Helvetica", False), ("Helvetica-Bold", True)])
def test_ascii_widths_are_adobes(font, bold):
    """The widths table against the AFM metrics pypdf ships (39 and 96 differ by encoding: skipped)."""
    afm = CORE_FONT_METRICS[font].character_widths
    for code in range(32, 127):
        if code in (39, 96):
            continue
        assert pdf.char_width(code, bold) == afm[chr(code)], chr(code)
    assert pdf.char_width(to_winansi("é")[0], bold) == afm["e"]
    assert pdf.char_width(to_winansi("—")[0], bold) == 1000


def test_a_long_text_flows_onto_more_pages_and_the_xref_table_is_exact():
    blocks = [Block(f"Paragraphe {i} : " + "mot " * 60) for i in range(40)]
    data = render(blocks, title="t")
    reader = _read(data)
    assert len(reader.pages) >= 2
    assert "Paragraphe 39" in _text(data)
    # every xref entry points at its "n 0 obj"; startxref points at the table
    start = int(data.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert data[start:].startswith(b"xref\n0 ")
    entries = re.findall(rb"(\d{10}) 00000 n \n", data[start:])
    assert len(entries) == int(re.search(rb"/Size (\d+)", data).group(1)) - 1
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset):].startswith(b"%d 0 obj\n" % number)
    assert data.endswith(b"%%EOF\n")


def test_paris_time_follows_the_tz_database():
    """The EU summer-time rule in code, checked against Europe/Paris for 2024-2031 (changes included)."""
    paris = ZoneInfo("Europe/Paris")
    instant = datetime(2024, 1, 1, tzinfo=UTC)
    while instant < datetime(2032, 1, 1, tzinfo=UTC):
        assert paris_time(instant) == instant.astimezone(paris).replace(tzinfo=None), instant
        instant += timedelta(minutes=53)
    change = datetime(2026, 3, 29, 1, tzinfo=UTC)  # 01:59:59 CET, then 03:00 CEST
    assert (paris_time(change - timedelta(seconds=1)).hour, paris_time(change).hour) == (1, 3)


def test_french_datetime():
    assert french_datetime(datetime(2026, 5, 14, 13, 42, tzinfo=UTC)) == "14 mai 2026 à 15 h 42 (heure de Paris)"
    assert french_datetime(datetime(2026, 12, 31, 23, 5, tzinfo=UTC)) == "1er janvier 2027 à 0 h 05 (heure de Paris)"


def test_the_receipt_text_has_the_number_date_and_name_and_nothing_of_the_nir():
    title, paragraphs = opposition_receipt_text(receipt_id="OPP-20260514-AB12CD34",
                                                opposed_at=datetime(2026, 5, 14, 13, 42, tzinfo=UTC),
                                                first_name="Éloïse", last_name="Lefèvre")
    text = " ".join(t for _, t in paragraphs)
    assert title == "Justificatif d'opposition à la création de Mon espace santé"
    assert "OPP-20260514-AB12CD34" in text and "14 mai 2026 à 15 h 42" in text and "Éloïse Lefèvre" in text
    assert "numéro de sécurité sociale" in text  # named, never printed
    assert not re.search(r"\d{13}", text)
    assert _text(render([Block(t) for _, t in paragraphs], title=title)).count("Éloïse Lefèvre") == 1
