"""Meeting minutes as Markdown, DOCX and PDF, built from one frozen snapshot (`Minutes`).

Every format carries the classification marking at the top and the bottom (PDF and DOCX: in the
header and footer of every page), "DEMO DATA" when the record comes from demo data, and
"DRAFT - meeting not closed" until the meeting is closed.

PDF text can hold any Unicode: DejaVu Sans is used when it is installed (Debian: fonts-dejavu-core);
characters it has no glyph for (e.g. emoji) become "?". Without DejaVu the PDF falls back to the
core Helvetica font and text is transliterated to Latin-1 ("–" -> "-", "’" -> "'", "ł" -> "l").
"""
from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from core.domain import CLASSIFICATION, TIERS

DRAFT_MARK = "DRAFT - meeting not closed"
DEMO_MARK = "DEMO DATA"
ITEM_STATUS = {
    "discussed": "Discussed",
    "carried": "Carried to next meeting",
    "pending": "Pending - not yet discussed",
}


@dataclass(frozen=True)
class MinutesAction:
    """An action agreed at the meeting, or reviewed in it."""

    title: str
    owner: str
    agency: str
    due_on: date
    status: str


@dataclass(frozen=True)
class MinutesItem:
    position: int
    kind: str
    title: str
    notes: str
    decision: str
    tier: int | None
    status: str  # discussed / carried / pending
    new_actions: tuple[MinutesAction, ...] = ()
    updates: tuple[str, ...] = ()  # changes to the item's action made while the meeting was live, in words


@dataclass(frozen=True)
class Minutes:
    partnership: str
    board: str
    classification: str
    scheduled_at: datetime
    location: str
    chair: str
    quorum: int
    present: tuple[tuple[str, str], ...]  # (name, agency)
    apologies: tuple[tuple[str, str], ...]  # (name, agency)
    items: tuple[MinutesItem, ...]
    closed_at: datetime | None
    demo: bool = False
    held_at: datetime | None = None  # when the meeting was started; None if it never was

    @property
    def day(self) -> datetime:
        """The date the minutes carry: the day it was held, else the day it was scheduled."""
        return self.held_at or self.scheduled_at

    @property
    def quorate(self) -> bool:
        return len(self.present) >= self.quorum


# --- shared wording -----------------------------------------------------------------------------


def _marking(m: Minutes) -> str:
    return (m.classification or "").strip() or CLASSIFICATION


def _when(dt: datetime) -> str:
    return f"{dt:%A} {dt.day} {dt:%B %Y, %H:%M}"


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _date_line(m: Minutes) -> str:
    if m.held_at is None:
        return _when(m.scheduled_at)
    if m.held_at.date() == m.scheduled_at.date():
        return _when(m.held_at)
    return f"{_when(m.held_at)} (scheduled for {_when(m.scheduled_at)})"


UPDATES_LABEL = "Updated in the meeting"


def _title(m: Minutes) -> str:
    return f"Minutes: {m.board}"


def _state(m: Minutes) -> str:
    if m.closed_at is None:
        return DRAFT_MARK
    return f"Closed {_when(m.closed_at)}"


def _quorum_line(m: Minutes) -> str:
    verdict = "quorate" if m.quorate else "NOT quorate"
    return f"{m.quorum} required, {len(m.present)} present: {verdict}"


def _person(name: str, agency: str) -> str:
    name, agency = name.strip() or "(unnamed)", agency.strip()
    return f"{name} ({agency})" if agency else name


def _tier(tier: int | None) -> str:
    if tier is None:
        return ""
    meaning = TIERS.get(tier)
    return f"Tier {tier} - {meaning}" if meaning else f"Tier {tier}"


def _item_status(status: str) -> str:
    return ITEM_STATUS.get(status, status.strip().capitalize() or "Pending - not yet discussed")


def _kind(kind: str) -> str:
    words = kind.replace("_", " ").strip()
    return words.upper() if words.lower() == "aob" else words.capitalize()


def _owner(a: MinutesAction) -> str:
    return a.owner.strip() or "Unassigned"


def _agreed(m: Minutes) -> list[tuple[MinutesItem, MinutesAction]]:
    return [(item, a) for item in m.items for a in item.new_actions]


def _demo_note() -> str:
    return f"{DEMO_MARK}: this record was produced from fictional demonstration data."


def filename(m: Minutes, ext: str) -> str:
    """A safe file name, e.g. "minutes-kingsmere-partnership-board-2026-12-02.pdf"."""
    ascii_board = unicodedata.normalize("NFKD", m.board).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_board.lower()).strip("-")[:80].strip("-") or "board"
    suffix = re.sub(r"[^a-z0-9]", "", ext.lower().lstrip(".")) or "txt"
    return f"minutes-{slug}-{m.day:%Y-%m-%d}.{suffix}"


# --- Markdown -----------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|") or " "


def _md_text(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return "  \n".join(lines)


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return out


def to_markdown(m: Minutes) -> str:
    mark = _marking(m)
    out: list[str] = [f"**{mark}**", ""]
    if m.demo:
        out += [f"> **{DEMO_MARK}** - this record was produced from fictional demonstration data.", ""]
    if m.closed_at is None:
        out += [f"> **{DRAFT_MARK}**", ""]
    out += [f"# {_title(m)}", "", m.partnership, ""]
    out += [
        f"- **Date:** {_date_line(m)}",
        f"- **Location:** {m.location or 'Not recorded'}",
        f"- **Chair:** {m.chair or 'Not recorded'}",
        f"- **Classification:** {mark}",
        f"- **Status:** {_state(m)}",
        "",
        "## Attendance",
        "",
        f"**Present ({len(m.present)}):**",
        "",
    ]
    out += [f"- {_person(n, a)}" for n, a in m.present] or ["- None recorded"]
    out += ["", f"**Apologies ({len(m.apologies)}):**", ""]
    out += [f"- {_person(n, a)}" for n, a in m.apologies] or ["- None"]
    out += ["", f"**Quorum:** {_quorum_line(m)}", "", "## Items", ""]
    if not m.items:
        out += ["No items were on the agenda.", ""]
    for item in m.items:
        out += [f"### {item.position}. {item.title.strip()}", ""]
        meta = [f"*{_kind(item.kind)}*"] if item.kind.strip() else []
        meta.append(f"**Status:** {_item_status(item.status)}")
        out += [" · ".join(meta), ""]
        if item.notes.strip():
            out += [f"**Notes:** {_md_text(item.notes)}", ""]
        if item.decision.strip():
            out += [f"**Decision:** {_md_text(item.decision)}", ""]
        if item.updates:
            out += [f"**{UPDATES_LABEL}:**", "", *(f"- {_md_cell(u)}" for u in item.updates), ""]
        if item.tier is not None:
            out += [f"**Response tier:** {_tier(item.tier)}", ""]
        if item.new_actions:
            out += ["**New actions:**", ""]
            out += _md_table(("Action", "Owner", "Agency", "Due"),
                             ((a.title, _owner(a), a.agency, _day(a.due_on)) for a in item.new_actions))
            out.append("")
    out += ["## Actions agreed", ""]
    agreed = _agreed(m)
    if agreed:
        out += _md_table(("Item", "Action", "Owner", "Agency", "Due", "Status"),
                         ((str(i.position), a.title, _owner(a), a.agency, _day(a.due_on), a.status) for i, a in agreed))
    else:
        out.append("No new actions were agreed.")
    out += ["", "---", ""]
    if m.closed_at is None:
        out += [f"*{DRAFT_MARK}*", ""]
    if m.demo:
        out += [f"*{DEMO_MARK}*", ""]
    out += [f"**{mark}**", ""]
    return "\n".join(out)


# --- DOCX ---------------------------------------------------------------------------------------


def _docx_field(paragraph, instruction: str) -> None:  # type: ignore[no-untyped-def]
    """Append a Word field (PAGE, NUMPAGES) to a paragraph."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _docx_table(doc, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]):  # type: ignore[no-untyped-def]
    from docx.shared import Cm, Pt

    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, head in zip(table.rows[0].cells, headers):
        cell.text = ""
        run = cell.paragraphs[0].add_run(head)
        run.bold = True
        _shade(cell, "D9E2EC")
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = _xml_safe(value)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(9.5)
    return table


def _shade(cell, hex_fill: str) -> None:  # type: ignore[no-untyped-def]
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_fill)
    cell._tc.get_or_add_tcPr().append(shd)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(text: str) -> str:
    """Word XML cannot hold control characters; drop them (and lone surrogates)."""
    text = _XML_BAD.sub("", str(text))
    return text.encode("utf-8", "replace").decode("utf-8") if any(0xD800 <= ord(c) <= 0xDFFF for c in text) else text


def _map_text(m: Minutes, fn: Callable[[str], str]) -> Minutes:
    """The same minutes with `fn` applied to every piece of text."""

    def action(a: MinutesAction) -> MinutesAction:
        return replace(a, title=fn(a.title), owner=fn(a.owner), agency=fn(a.agency), status=fn(a.status))

    def item(i: MinutesItem) -> MinutesItem:
        return replace(i, kind=fn(i.kind), title=fn(i.title), notes=fn(i.notes), decision=fn(i.decision),
                       status=fn(i.status), new_actions=tuple(action(a) for a in i.new_actions),
                       updates=tuple(fn(u) for u in i.updates))

    return replace(
        m, partnership=fn(m.partnership), board=fn(m.board), classification=fn(m.classification),
        location=fn(m.location), chair=fn(m.chair),
        present=tuple((fn(n), fn(a)) for n, a in m.present), apologies=tuple((fn(n), fn(a)) for n, a in m.apologies),
        items=tuple(item(i) for i in m.items),
    )


def to_docx(m: Minutes) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    m = _map_text(m, _xml_safe)
    mark = _marking(m)
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2)
    section.top_margin = section.bottom_margin = Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10.5)

    def banner(paragraph, extra: str = "") -> None:  # type: ignore[no-untyped-def]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = paragraph.add_run(mark)
        run.bold = True
        if extra:
            more = paragraph.add_run(f"  |  {extra}")
            more.bold = True
            more.font.color.rgb = RGBColor(0xB7, 0x1C, 0x1C)

    flags = " | ".join(x for x in (DEMO_MARK if m.demo else "", DRAFT_MARK if m.closed_at is None else "") if x)
    banner(section.header.paragraphs[0], flags)
    foot = section.footer.paragraphs[0]
    banner(foot)
    page = section.footer.add_paragraph()
    page.alignment = WD_ALIGN_PARAGRAPH.CENTER
    page.add_run(_xml_safe(f"{m.board}, {_day(m.day.date())} - page "))
    _docx_field(page, "PAGE")
    page.add_run(" of ")
    _docx_field(page, "NUMPAGES")

    if m.demo:
        p = doc.add_paragraph()
        r = p.add_run(_demo_note())
        r.bold = True
        r.font.color.rgb = RGBColor(0xB7, 0x1C, 0x1C)
    if m.closed_at is None:
        p = doc.add_paragraph()
        r = p.add_run(DRAFT_MARK)
        r.bold = True
        r.font.color.rgb = RGBColor(0xB7, 0x1C, 0x1C)
    doc.add_heading(_xml_safe(_title(m)), level=0)
    doc.add_paragraph(_xml_safe(m.partnership))

    def field(label: str, value: str) -> None:
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(2)
        p.add_run(f"{label}: ").bold = True
        p.add_run(_xml_safe(value))

    field("Date", _date_line(m))
    field("Location", m.location or "Not recorded")
    field("Chair", m.chair or "Not recorded")
    field("Classification", mark)
    field("Status", _state(m))

    doc.add_heading("Attendance", level=1)
    doc.add_paragraph().add_run(f"Present ({len(m.present)})").bold = True
    if m.present:
        _docx_table(doc, ("Name", "Agency"), [(n, a) for n, a in m.present], (8, 9))
    else:
        doc.add_paragraph("None recorded")
    doc.add_paragraph().add_run(f"Apologies ({len(m.apologies)})").bold = True
    for n, a in m.apologies:
        doc.add_paragraph(_xml_safe(_person(n, a)), style="List Bullet")
    if not m.apologies:
        doc.add_paragraph("None")
    field("Quorum", _quorum_line(m))

    doc.add_heading("Items", level=1)
    if not m.items:
        doc.add_paragraph("No items were on the agenda.")
    for item in m.items:
        doc.add_heading(_xml_safe(f"{item.position}. {item.title.strip()}"), level=2)
        meta = doc.add_paragraph()
        if item.kind.strip():
            meta.add_run(_xml_safe(_kind(item.kind)) + "   ").italic = True
        meta.add_run("Status: ").bold = True
        meta.add_run(_item_status(item.status))
        if item.notes.strip():
            field("Notes", item.notes.strip())
        if item.decision.strip():
            field("Decision", item.decision.strip())
        if item.tier is not None:
            field("Response tier", _tier(item.tier))
        if item.updates:
            doc.add_paragraph().add_run(UPDATES_LABEL).bold = True
            for u in item.updates:
                doc.add_paragraph(u, style="List Bullet")
        if item.new_actions:
            doc.add_paragraph().add_run("New actions").bold = True
            _docx_table(doc, ("Action", "Owner", "Agency", "Due"),
                        [(a.title, _owner(a), a.agency, _day(a.due_on)) for a in item.new_actions], (8, 3.5, 3, 2.5))

    doc.add_heading("Actions agreed", level=1)
    agreed = _agreed(m)
    if agreed:
        _docx_table(doc, ("Item", "Action", "Owner", "Agency", "Due", "Status"),
                    [(str(i.position), a.title, _owner(a), a.agency, _day(a.due_on), a.status) for i, a in agreed],
                    (1.2, 6.3, 3, 2.3, 2.3, 1.9))
    else:
        doc.add_paragraph("No new actions were agreed.")
    end = doc.add_paragraph()
    end.paragraph_format.space_before = Pt(18)
    banner(end, flags)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- PDF ----------------------------------------------------------------------------------------

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian / Ubuntu (fonts-dejavu-core)
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/share/fonts/TTF"),
    Path("/usr/local/share/fonts"),
)
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf", "BI": "DejaVuSans-BoldOblique.ttf"}

_LATIN1 = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "*", "\u2023": ">", "\u2192": "->", "\u2190": "<-", "\u2264": "<=", "\u2265": ">=",
    "\u20ac": "EUR", "\u2122": "TM", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
    "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d", "\u0131": "i", "\u0152": "OE", "\u0153": "oe",
    "\u2713": "v", "\u2714": "v", "\u2717": "x", "\u2718": "x",
})


def _font_files(dirs: Sequence[Path] = FONT_DIRS) -> dict[str, Path] | None:
    """DejaVu Sans files by fpdf style, or None when the regular face is not installed."""
    for d in dirs:
        regular = d / FONT_FILES[""]
        if regular.is_file():
            return {style: (d / name if (d / name).is_file() else regular) for style, name in FONT_FILES.items()}
    return None


def _clean(text: str) -> str:
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(c for c in text if c == "\n" or unicodedata.category(c) not in ("Cc", "Cs"))


def _to_latin1(text: str) -> str:
    out = []
    for c in _clean(text).translate(_LATIN1):
        if ord(c) < 256:
            out.append(c)
            continue
        base = unicodedata.normalize("NFKD", c).encode("latin-1", "ignore").decode("latin-1")
        if base:
            out.append(base)
        elif unicodedata.category(c) not in ("Mn", "Me", "Cf", "Sk"):
            out.append("?")
    return "".join(out)


def _fpdf_class():  # type: ignore[no-untyped-def]
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class MarkedPDF(FPDF):
        """A4 with the marking (and red flags such as DEMO DATA) in the header and footer of every page."""

        mark = CLASSIFICATION
        flags: tuple[str, ...] = ()
        footer_left = ""
        family = "Helvetica"
        covered: set[int] | None = None  # code points the TTF font can draw; None: core font

        def safe(self, value: str) -> str:
            if self.covered is None:
                return _to_latin1(value)
            out = []
            for c in _clean(value):
                if c == "\n" or ord(c) in self.covered:
                    out.append(c)
                elif unicodedata.category(c) not in ("Mn", "Me", "Cf", "Sk"):
                    base = unicodedata.normalize("NFKD", c)
                    out.append(base if base != c and all(ord(b) in self.covered for b in base) else "?")
            return "".join(out)

        def header(self) -> None:
            self.set_font(self.family, "B", 9)
            self.set_text_color(0, 0, 0)
            self.cell(0, 5, self.safe(self.mark), align="C", new_x="LMARGIN", new_y="NEXT")
            if self.flags:
                self.set_text_color(183, 28, 28)
                self.cell(0, 4.5, self.safe("  |  ".join(self.flags)), align="C", new_x="LMARGIN", new_y="NEXT")
                self.set_text_color(0, 0, 0)
            self.set_draw_color(160, 160, 160)
            self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
            self.ln(5)

        def footer(self) -> None:
            self.set_y(-16)
            self.set_draw_color(160, 160, 160)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(1.5)
            self.set_font(self.family, "", 8)
            self.set_text_color(90, 90, 90)
            y = self.get_y()
            self.cell(0, 4, self.safe(self.footer_left), align="L")
            self.set_xy(self.l_margin, y)
            self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")
            self.set_xy(self.l_margin, y)
            self.set_font(self.family, "B", 9)
            self.set_text_color(0, 0, 0)
            self.cell(0, 4, self.safe(self.mark), align="C")

        # -- building blocks shared by every document --

        def heading(self, text: str) -> None:
            if self.will_page_break(30):
                self.add_page()
            self.ln(3)
            self.set_font(self.family, "B", 13)
            self.set_fill_color(230, 236, 243)
            self.set_text_color(20, 45, 80)
            self.cell(0, 8, self.safe(" " + text), fill=True, new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(2)

        def field(self, label: str, value: str, label_w: float = 34) -> None:
            self.set_x(self.l_margin)
            self.set_font(self.family, "B", 10)
            if self.will_page_break(5.5):  # the label and the value's first line on one page, never apart
                self.add_page()
            y = self.get_y()
            self.cell(label_w, 5.5, self.safe(label))
            self.set_font(self.family, "", 10)
            self.set_xy(self.l_margin + label_w, y)
            self.multi_cell(self.epw - label_w, 5.5, self.safe(value), new_x="LMARGIN", new_y="NEXT")

        def grid(self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
            """A table with a shaded heading row repeated on every page it spans."""
            head_style = FontFace(emphasis="BOLD", fill_color=(217, 226, 236), family=self.family, size_pt=9.5)
            self.set_font(self.family, "", 9.5)
            self.set_draw_color(150, 150, 150)
            self.set_fill_color(255, 255, 255)
            with self.table(cell_fill_mode="ROWS", cell_fill_color=(244, 246, 248), col_widths=tuple(widths),
                            text_align="LEFT", headings_style=head_style, line_height=5, padding=(1, 1.5),
                            v_align="TOP", first_row_as_headings=True, repeat_headings=1) as tbl:
                r = tbl.row()
                for h in headers:
                    r.cell(self.safe(h))
                for row in rows:
                    r = tbl.row()
                    for value in row:
                        r.cell(self.safe(value) or " ")
            self.ln(2)

        def note(self, text: str, colour: tuple[int, int, int] = (183, 28, 28)) -> None:
            self.set_font(self.family, "B", 10)
            self.set_text_color(*colour)
            self.multi_cell(0, 5.5, self.safe(text), new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)

        def para(self, text: str, size: float = 10, style: str = "") -> None:
            self.set_font(self.family, style, size)
            self.multi_cell(0, 5.5, self.safe(text), new_x="LMARGIN", new_y="NEXT")

    return MarkedPDF


def marked_pdf(*, mark: str, flags: Sequence[str] = (), footer_left: str = "", title: str = "", author: str = "",
               font_dirs: Sequence[Path] | None = None):  # type: ignore[no-untyped-def]
    """An A4 document with `mark` at the top and bottom of every page, DejaVu Sans when installed.

    Returns an fpdf2 document with `heading`, `field`, `table`, `note` and `para` helpers; the caller adds
    pages and content and calls `bytes(pdf.output())`. `font_dirs=()` forces the core Helvetica font.
    """
    cls = _fpdf_class()
    pdf = cls()
    files = _font_files(FONT_DIRS if font_dirs is None else font_dirs)
    if files:
        try:
            for style, path in files.items():
                pdf.add_font("DejaVu", style, str(path))
            pdf.family = "DejaVu"
            cmaps = [set(f.cmap) for key, f in pdf.fonts.items() if key.startswith("dejavu")]
            pdf.covered = set.intersection(*cmaps) if cmaps else None
        except Exception:  # noqa: BLE001 - a broken font file must not stop the document; use the core font
            pdf = cls()
    pdf.mark, pdf.flags, pdf.footer_left = mark, tuple(f for f in flags if f), footer_left
    pdf.set_title(pdf.safe(title))
    pdf.set_author(pdf.safe(author))
    pdf.set_subject(pdf.safe(mark))
    pdf.set_creator("Partnership Hub")
    pdf.set_margins(18, 12, 18)
    pdf.set_auto_page_break(True, margin=22)
    return pdf


def to_pdf(m: Minutes, *, font_dirs: Sequence[Path] | None = None) -> bytes:
    """A4 PDF; `font_dirs` overrides where DejaVu Sans is looked for (an empty tuple forces Helvetica)."""
    pdf = marked_pdf(mark=_marking(m), flags=(DEMO_MARK if m.demo else "", DRAFT_MARK if m.closed_at is None else ""),
                     footer_left=f"{m.board}, {_day(m.day.date())}", title=_title(m), author=m.partnership,
                     font_dirs=font_dirs)
    pdf.add_page()
    t = pdf.safe
    fam = pdf.family
    heading, field, table, note = pdf.heading, pdf.field, pdf.grid, pdf.note

    # title block
    pdf.set_font(fam, "B", 20)
    pdf.set_text_color(20, 45, 80)
    pdf.multi_cell(0, 10, t(_title(m)), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fam, "", 12)
    pdf.set_text_color(80, 80, 80)
    pdf.multi_cell(0, 6, t(m.partnership), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    if m.demo:
        note(_demo_note())
    if m.closed_at is None:
        note(DRAFT_MARK)
    if m.demo or m.closed_at is None:
        pdf.ln(1)
    field("Date", _date_line(m))
    field("Location", m.location or "Not recorded")
    field("Chair", m.chair or "Not recorded")
    field("Classification", _marking(m))
    field("Status", _state(m))

    heading("Attendance")
    if pdf.will_page_break(18):
        pdf.add_page()
    pdf.set_font(fam, "B", 10)
    pdf.cell(0, 6, f"Present ({len(m.present)})", new_x="LMARGIN", new_y="NEXT")
    if m.present:
        table(("Name", "Agency"), [(n, a) for n, a in m.present], (1, 1))
    else:
        pdf.set_font(fam, "", 10)
        pdf.multi_cell(0, 5.5, "None recorded", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fam, "B", 10)
    pdf.cell(0, 6, f"Apologies ({len(m.apologies)})", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fam, "", 10)
    pdf.multi_cell(0, 5.5, t("; ".join(_person(n, a) for n, a in m.apologies) or "None"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    field("Quorum", _quorum_line(m))

    heading("Items")
    if not m.items:
        pdf.set_font(fam, "", 10)
        pdf.multi_cell(0, 5.5, "No items were on the agenda.", new_x="LMARGIN", new_y="NEXT")
    for item in m.items:
        if pdf.will_page_break(28):
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(fam, "B", 11.5)
        pdf.set_text_color(20, 45, 80)
        pdf.multi_cell(0, 6, t(f"{item.position}. {item.title.strip()}"), new_x="LMARGIN", new_y="NEXT")
        if item.kind.strip():
            pdf.set_text_color(90, 90, 90)
            pdf.set_font(fam, "I", 9)
            pdf.multi_cell(0, 4.5, t(_kind(item.kind)), new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0, 0, 0)
        pdf.ln(1)
        if item.notes.strip():
            field("Notes", item.notes.strip())
        if item.decision.strip():
            field("Decision", item.decision.strip())
        if item.tier is not None:
            field("Response tier", _tier(item.tier))
        field("Status", _item_status(item.status))
        if item.updates:
            field(UPDATES_LABEL, "\n".join(item.updates))
        if item.new_actions:
            if pdf.will_page_break(18):  # keep the label with the first rows of its table
                pdf.add_page()
            pdf.set_font(fam, "B", 10)
            pdf.cell(0, 6, "New actions", new_x="LMARGIN", new_y="NEXT")
            table(("Action", "Owner", "Agency", "Due"),
                  [(a.title, _owner(a), a.agency, _day(a.due_on)) for a in item.new_actions], (8, 3.5, 3, 2.5))
        pdf.set_draw_color(215, 215, 215)
        pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.w - pdf.r_margin, pdf.get_y() + 1.5)
        pdf.ln(2.5)

    heading("Actions agreed")
    agreed = _agreed(m)
    if agreed:
        table(("Item", "Action", "Owner", "Agency", "Due", "Status"),
              [(str(i.position), a.title, _owner(a), a.agency, _day(a.due_on), a.status) for i, a in agreed],
              (1.3, 5.8, 3, 2.4, 2.6, 2.4))
    else:
        pdf.set_font(fam, "", 10)
        pdf.multi_cell(0, 5.5, "No new actions were agreed.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(fam, "I", 9)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(0, 4.5, t(f"End of minutes. {_state(m)}."), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())
