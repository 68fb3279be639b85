"""Long lists a screenful at a time: the first rows, a count of how many there are, and "Show more".

A county's lists run to thousands of rows (5,230 actions, 20,650 referrals): drawing them all made a page switch take
seconds and the table no easier to read. A list shows `step` rows, says "Showing 100 of 5,230 actions", and each
"Show more" adds `step` (filters narrow it further). The count is remembered per list for the session.
"""
from __future__ import annotations

import streamlit as st

from ui.text import escape_md

STEP = 100


def shown(key: str, total: int, step: int = STEP) -> int:
    """How many of `total` rows the list `key` shows now."""
    return min(int(st.session_state.get(f"_shown_{key}", step)), total)


def _more(key: str, step: int) -> None:
    st.session_state[f"_shown_{key}"] = int(st.session_state.get(f"_shown_{key}", step)) + step


def show_more(key: str, total: int, noun: str, step: int = STEP) -> None:
    """Under the list: 'Showing n of N <noun>' and, while some are not shown, a button for the next `step`."""
    n = shown(key, total, step)
    if n >= total:
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.caption(f"Showing {n:,} of {total:,} {escape_md(noun)}; filter to narrow the list.")
    c2.button(f"Show {min(step, total - n):,} more", key=f"_more_{key}", on_click=_more, args=(key, step), width="stretch")
