"""User and data text shown through Streamlit's Markdown: always as the text itself, never as Markdown.

`st.markdown`, `st.write` of a string, titles, captions, alerts, toasts and most labels and tooltips render
Markdown, so a business name holding ``![t](http://host/t.png)`` would make every viewer's browser fetch that
image. Wrap every value that did not come from this code's own string literals in `escape_md` (the
convention test in tests/unit/test_conventions.py checks pages/, ui/ and app.py for it).

How it works: every Markdown construct (links, images, emphasis, code, headings, lists, quotes, tables,
HTML, autolinks such as http://, www. and a@b.c) and every Streamlit extension (:red[...] and the other
directives, :material/...:, emoji shortcodes, $ LaTeX $) starts with ASCII punctuation. Each ASCII
punctuation character is written as a numeric character reference ("[" becomes "&#91;"), which Markdown
shows as that character and never reads as syntax; so does HTML, so the result is also safe inside an
`unsafe_allow_html` block. Streamlit replaces emoji, :material/...: icons and a few arrows ("->", "--"),
and GFM turns www. addresses and e-mail addresses into links, in the text after parsing, when "&#58;" is a
colon again: an invisible word joiner (U+2060) after a colon or an @, after "www" before its dot, and
between two of ``-<>=~``, keeps those from matching (it is copied with the text, but never shows). A line's leading spaces become no-break spaces (four spaces would
start a code block), and a value meant for one line has its line breaks turned into spaces.
"""
from __future__ import annotations

import re
from string import punctuation

__all__ = ["escape_md"]

WORD_JOINER = "\u2060"  # zero width, no line break: invisible, but splits ":smile:" or "->" for Streamlit
_REFERENCES = {ord(c): f"&#{ord(c)};" for c in punctuation}
_ARROW_PARTS = "|".join(f"&#{ord(c)};" for c in "-<>=~")  # "->", "<-", "<->", "--", ">=", "<=", "~=" become arrows
# Where a word joiner goes, in the escaped text. Streamlit (and GFM's autolinks) match these in the parsed text:
_JOINER_AFTER = re.compile(
    r"&#58;(?=\S)"  # a colon before a non-space: :smile:, :+1:, :material/icon:, :streamlit:, http://
    r"|&#64;"  # every @: bob@example.org would become a mailto: link
    r"|(?i:www)(?=&#46;)"  # www. would become a link
    rf"|(?:{_ARROW_PARTS})(?={_ARROW_PARTS})"  # arrows and dashes
)
_LEADING_BLANKS = re.compile(r"^[ \t]+")


def _escape_line(line: str) -> str:
    line = _LEADING_BLANKS.sub(lambda m: "\u00a0" * len(m.group()), line)
    return _JOINER_AFTER.sub(lambda m: m.group() + WORD_JOINER, line.translate(_REFERENCES))


def escape_md(value: object, *, multiline: bool = False, code: bool = False) -> str:
    """`value` as Streamlit Markdown that shows exactly its text (``str(value)``), with no formatting.

    One line by default: line breaks become spaces and the ends are trimmed (for a name, a title, a label;
    Markdown's ``**...**`` fails around a value that starts or ends with a space). With `multiline=True`
    the lines are kept as Markdown keeps them (a single line break is a space, a blank line a new
    paragraph), for free text such as a referral's body or briefing notes. With `code=True` the value is
    one line of inline code, backticks included (nothing is parsed in a code span, so the text is kept
    as it is: a username, a temporary password).
    """
    lines = str(value).splitlines() or [""]
    if code:
        return _code_span(" ".join(lines))
    if not multiline:
        return _escape_line(" ".join(lines).strip())
    return "\n".join("" if not line.strip() else _escape_line(line) for line in lines)


def _code_span(text: str) -> str:
    # A code span ends at a run of as many backticks as opened it: open with one more than the text holds.
    # One space inside each end is dropped by Markdown when both are there (needed next to a backtick).
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    # Streamlit rewrites ":material/" anywhere in the source, code spans included.
    return f"{fence} {text.replace(':material/', ':' + WORD_JOINER + 'material/')} {fence}"
