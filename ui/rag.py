"""RAG status as people read it: a word on its colour, drawn by the app (an emoji needs a font the
projector's browser may not have: Debian's headless Chromium drew 🔴 as a box)."""
from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from core.rag import RAG_COLOURS, RAG_LABELS
from ui.text import escape_md

BADGE_COLOURS = {"red": "red", "amber": "orange", "green": "green", "complete": "gray"}  # st.badge's names


def rag_label(rag: str) -> str:
    """'Red', 'Amber', 'Green', 'Complete' (anything else escaped: the badge and HTML forms put it in Markdown)."""
    return RAG_LABELS.get(rag) or escape_md(str(rag))


def rag_badge(rag: str) -> str:
    """Markdown for a coloured badge: ':red-badge[Red]'."""
    return f":{BADGE_COLOURS.get(rag, 'gray')}-badge[{rag_label(rag)}]"


def rag_html(rag: str, size: str = "1em") -> str:
    """A coloured label for an HTML block (the live meeting's large text)."""
    colour = RAG_COLOURS.get(rag, "#757575")
    return (f"<span style='background:{colour};color:#fff;padding:0 .45em;border-radius:.3em;font-size:{size};"
            f"font-weight:600'>{rag_label(rag)}</span>")


def rag_table(frame: pd.DataFrame, column: str = "RAG") -> pd.DataFrame | Styler:
    """The frame with its RAG column in words, each cell on its colour (for st.dataframe)."""
    if column not in frame:
        return frame
    by_label = {RAG_LABELS[k]: v for k, v in RAG_COLOURS.items()}
    shown = frame.assign(**{column: frame[column].map(rag_label)})
    return shown.style.map(lambda v: f"background-color: {by_label[v]}; color: white" if v in by_label else "",
                           subset=[column])
