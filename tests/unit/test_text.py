"""ui.text.escape_md: user text shown through Streamlit's Markdown renders as that text and nothing else.

The rendered-as-text property is checked against a model of Streamlit 1.67's Markdown (StreamlitMarkdown:
CommonMark + GFM, remark-math, remark-directive, remark-emoji and Streamlit's own replacements), built
from what decides it:
- CommonMark, GFM, math ($) and directives (:red[...]) are syntax only in raw ASCII punctuation; a numeric
  character reference (&#91;) is always literal text. So: no ASCII punctuation may be left raw.
- Streamlit rewrites ":material/" in the raw source, and loads KaTeX and remark-emoji when the raw source
  matches the patterns copied below.
- After parsing, emoji shortcodes, :material_...: icons, :streamlit:, arrows ("->") and GFM autolinks
  (http://, www., e-mail) are matched in the decoded text: the patterns below (copied from Streamlit
  1.67's bundle) must find nothing there.
(A one-off check of the same cases through the real remark packages, outside this suite, agreed.)
"""
from __future__ import annotations

import html
import re
from datetime import date
from string import punctuation

import pytest

from ui.text import WORD_JOINER, escape_md

NASTY = [
    "![t](http://evil.example/t.png)",
    "[x](http://evil.example/)",
    "[![i](http://evil.example/i.png)](http://evil.example/)",
    "[ref]: http://evil.example",
    ":red[boom]",
    ":blue-background[x] :green-badge[y] :small[z] :shimmer[w]",
    ':color[x]{foreground="red"}',
    ":material/warning:",
    ":streamlit:",
    ":smile: :+1: :-1: :100:",
    "$x^2$",
    "$$x$$",
    "price $5 and $x$",
    "<b>bold</b>",
    "<img src=x onerror=alert(1)>",
    "<http://evil.example>",
    "http://evil.example/a",
    "https://evil.example",
    "www.evil.example",
    "WWW.evil.example/x",
    "bob@evil.example",
    "mailto:bob@evil.example",
    "# heading",
    "### h3",
    "> quote",
    "- item",
    "+ item",
    "* item",
    "1. one",
    "1) one",
    "    four spaces: a code block",
    "\tcode",
    "```code```",
    "`code`",
    "**bold** _it_ ~~strike~~ ~one~",
    "| a | b |",
    "***",
    "___",
    "&amp; &lt; &#x21; &copy;",
    "\\*not\\* \\",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    "<!-- c -->",
    "::: note",
    "line one\nline two\r\nthree\rfour",
    "line\u2028separator",
]
ORDINARY = [
    "Smith & Sons (Ltd) #2 - 10% off",
    "Kingsmere Kebabs",
    "O'Brien's \"Café\" – Ünïcödé 😀",
    "12A High Street, KM1 4AB",
    "Meeting at 10:30",
    "C:\\path\\to",
    "a_b_c __init__ 2 * 3 * 4 {x} x^2 a|b",
]

# Streamlit 1.67 (static/js/StreamlitMarkdown.*.js): when the raw source loads remark-emoji and KaTeX.
EMOJI_PLUGIN = re.compile(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", re.ASCII)
_CODE_OR_ESCAPED = re.compile(r"^ {0,3}(`{3,}|~{3,})[\s\S]*?(?:\n[ \t]*\1|$)|(?<!`)(`+)[^`\n]+\2(?!`)|\\[\\$`]", re.MULTILINE)
KATEX = [re.compile(r"(?<!\$)\$\$+(?!\$)[\s\S]*?\$\$"), re.compile(r"(?<!\$)\$(?![\s$])[^$\n]*?[^\s$]\$(?!\d)")]
# ... and what it replaces in the parsed text (plus GFM's autolink transform, as bundled).
IN_TEXT = [
    re.compile(r":\+1:|:-1:|:[\w-]+:", re.ASCII),  # emoji shortcodes
    re.compile(r":material[/_](\w+):", re.ASCII),  # icons (":material/" is rewritten to ":material_" first)
    re.compile(r":streamlit:"),
    *(re.compile(p) for p in (r"(^|\s)<->(\s|$)", r"(^|\s)->(\s|$)", r"(^|\s)<-(\s|$)", r"(^|\s)--(\s|$)",
                              r"(^|\s)>=(\s|$)", r"(^|\s)<=(\s|$)", r"(^|\s)~=(\s|$)")),
    re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE | re.ASCII),  # URL autolinks
    re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)", re.ASCII),  # e-mail autolinks
]
REFERENCE = re.compile(r"&#(\d+);")


def shown(escaped: str) -> str:
    """The text a viewer sees: references decoded, the invisible word joiners and no-break spaces as they look."""
    return html.unescape(escaped).replace(WORD_JOINER, "").replace("\u00a0", " ")


def assert_renders_as_text(escaped: str) -> None:
    raw_punctuation = [c for c in REFERENCE.sub("", escaped) if c in punctuation]
    assert raw_punctuation == [], f"raw Markdown punctuation left in {escaped!r}"
    assert all(int(n) < 128 and chr(int(n)) in punctuation for n in REFERENCE.findall(escaped))
    assert not re.search(r"^[ \t]", escaped, re.MULTILINE), "a line starting with spaces could be a code block"
    assert ":material/" not in escaped and not EMOJI_PLUGIN.search(escaped)
    assert not any(p.search(_CODE_OR_ESCAPED.sub("_", escaped)) for p in KATEX)
    decoded = html.unescape(escaped)
    hits = [p.pattern for p in IN_TEXT if p.search(decoded)]
    assert hits == [], f"{decoded!r} is still replaced by Streamlit: {hits}"


@pytest.mark.parametrize("value", NASTY + ORDINARY)
def test_one_line_renders_as_exactly_the_text(value: str) -> None:
    escaped = escape_md(value)
    assert_renders_as_text(escaped)
    assert "\n" not in escaped and "\r" not in escaped
    assert shown(escaped) == " ".join(value.splitlines()).strip()


@pytest.mark.parametrize("value", NASTY + ORDINARY)
def test_multiline_keeps_the_lines_and_renders_as_text(value: str) -> None:
    escaped = escape_md(value, multiline=True)
    assert_renders_as_text(escaped)
    assert [shown(line).strip() for line in escaped.split("\n")] == [line.strip() for line in value.splitlines()]


@pytest.mark.parametrize(("value", "escaped"), [
    ("![t](http://evil.example/t.png)",
     "&#33;&#91;t&#93;&#40;http&#58;\u2060&#47;&#47;evil&#46;example&#47;t&#46;png&#41;"),
    ("[x](http://evil.example/)", "&#91;x&#93;&#40;http&#58;\u2060&#47;&#47;evil&#46;example&#47;&#41;"),
    (":red[boom]", "&#58;\u2060red&#91;boom&#93;"),
    ("$x$", "&#36;x&#36;"),
    ("<b>", "&#60;b&#62;"),
    ("# Title", "&#35; Title"),
    ("1. one", "1&#46; one"),
    ("a -> b", "a &#45;\u2060&#62; b"),
    ("bob@x.example", "bob&#64;\u2060x&#46;example"),
    ("www.x.example", "www\u2060&#46;x&#46;example"),
    ("two\nlines", "two lines"),
    ("  padded  ", "padded"),
    ("Smith & Sons (Ltd) #2 - 10% off", "Smith &#38; Sons &#40;Ltd&#41; &#35;2 &#45; 10&#37; off"),
    ("Kingsmere Kebabs", "Kingsmere Kebabs"),
    ("Note: done", "Note&#58; done"),
    (42, "42"),
    (None, "None"),
    (date(2026, 12, 4), "2026&#45;12&#45;04"),
])
def test_escaped_form(value: object, escaped: str) -> None:
    assert escape_md(value) == escaped


def test_multiline_markers_at_line_starts_and_paragraphs() -> None:
    text = "First line\n# not a heading\n    - not a list in a code block\n\n> not a quote\n1) not a list"
    escaped = escape_md(text, multiline=True)
    assert escaped.split("\n") == [
        "First line", "&#35; not a heading", "\u00a0\u00a0\u00a0\u00a0&#45; not a list in a code block", "",
        "&#62; not a quote", "1&#41; not a list",
    ]


def test_safe_inside_an_html_block() -> None:
    """In st.markdown(..., unsafe_allow_html=True) a one-line value cannot end the HTML block (no blank
    line) nor open a tag; the browser decodes the references back to the text."""
    escaped = escape_md("x\n\n![t](http://evil.example/t.png) <script>alert(1)</script>")
    assert "\n" not in escaped and "<" not in escaped and ">" not in escaped
    assert shown(escaped) == "x  ![t](http://evil.example/t.png) <script>alert(1)</script>"


@pytest.mark.parametrize(("value", "span"), [
    ("former.officer", "` former.officer `"),
    ("Ab-_9x", "` Ab-_9x `"),
    ("a`b", "`` a`b ``"),
    ("``x``", "``` ``x`` ```"),
    ("![t](http://evil.example/t.png) $x$ :red[x]", "` ![t](http://evil.example/t.png) $x$ :red[x] `"),
    (":material/home:", "` :\u2060material/home: `"),
    ("two\nlines", "` two lines `"),
])
def test_code_span(value: str, span: str) -> None:
    """Inline code shows its content as it is; only a run of backticks as long as the fence could end it."""
    escaped = escape_md(value, code=True)
    assert escaped == span
    fence = re.match("`+", escaped).group()  # type: ignore[union-attr]
    inner = escaped[len(fence) + 1:-len(fence) - 1]
    assert fence not in inner, "the text could close the span early"
    assert inner.replace(WORD_JOINER, "") == " ".join(value.splitlines())
