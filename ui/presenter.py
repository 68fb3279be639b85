"""The board's shared screen: one agenda item as large text, readable from the back of a room on a 1920x1080
projector. Drawn as HTML from `meetings.item_card` (every value escaped; ticks and RAG are drawn with CSS, so the
projector's browser needs no emoji or symbol font)."""
from __future__ import annotations

from datetime import date
from typing import Any

from ui.rag import rag_html
from ui.text import escape_md

MUTED = "#555"
_TICK = ("<span title='done' style='display:inline-block;width:.35em;height:.75em;margin:0 .45em 0 .2em;"
         "border:solid #2e7d32;border-width:0 .16em .16em 0;transform:rotate(45deg)'></span>")
_OPEN = ("<span title='open' style='display:inline-block;width:.6em;height:.6em;margin:0 .35em 0 0;"
         "border:.12em solid #757575;border-radius:50%'></span>")


def day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _row(label: str, value: str) -> str:
    return f"<div style='color:{MUTED}'>{label}</div><div>{value}</div>"


def card_html(card: dict[str, Any], today: date) -> str:
    """The item: its title, what kind of item it is, then its action as a card (if it has one)."""
    facts = [card["kind"], *(["carried from the last meeting"] if card["carried"] else []), card["state"],
             *([f"tier {card['tier']}"] if card["tier"] else [])]
    out = [f"<div data-testid='presenter-title' style='font-size:2.6rem;font-weight:700;line-height:1.15'>"
           f"{escape_md(card['title'])}</div>",
           f"<div data-testid='presenter-facts' style='font-size:1.2rem;color:{MUTED};margin-bottom:.5em'>"
           f"{escape_md(' · '.join(facts))}</div>"]
    a = card["action"]
    if a is not None:
        late = a["due_on"] < today and a["rag"] != "complete"
        rows = []
        if a["title"] != card["title"]:
            rows.append(_row("Action", escape_md(a["title"])))
        owner = ", ".join(escape_md(x) for x in (a["owner"], a["agency"]) if x) or "no owner"
        rows.append(_row("Owner", owner))
        rows.append(_row("Status", f"{rag_html(a['rag'])} {escape_md(a['status'])}"))
        rows.append(_row("Due", day(a["due_on"]) + (" <b style='color:#c62828'>overdue</b>" if late else "")))
        if a["milestones"]:
            lines = []
            for m in a["milestones"]:
                if m["done"]:
                    lines.append(f"{_TICK}{escape_md(m['title'])} <span style='color:{MUTED}'>done "
                                 f"{day(m['completed_on'])}</span>")
                else:
                    overdue = " <b style='color:#c62828'>overdue</b>" if m["due_on"] < today else ""
                    lines.append(f"{_OPEN}{escape_md(m['title'])} <span style='color:{MUTED}'>due {day(m['due_on'])}"
                                 f"</span>{overdue}")
            done = sum(m["done"] for m in a["milestones"])
            rows.append(_row(f"Milestones {done}/{len(a['milestones'])}", "<br>".join(lines)))
        if a["progress"]:
            p = a["progress"]
            rows.append(_row("Progress", f"{escape_md(p['note'])} <span style='color:{MUTED}'>"
                                         f"({escape_md(p['by'] or 'someone')}, {day(p['at'])})</span>"))
        if a["since"] is not None:
            changed = "<br>".join(f"{day(c['at'])}: {escape_md(c['words'])}" for c in a["changed"]) or "no change"
            rows.append(_row(f"Since {day(a['since'])}", changed))
        out.append("<div data-testid='presenter-card' style='display:grid;grid-template-columns:max-content 1fr;gap:.35em 1.2em;font-size:1.5rem;"
                   f"line-height:1.35'>{''.join(rows)}</div>")
    if card["notes"]:
        out.append(f"<div style='font-size:1.4rem;white-space:pre-wrap;margin-top:.6em'>"
                   f"{escape_md(card['notes'], multiline=True)}</div>")
    if card["decision"]:
        out.append(f"<div data-testid='presenter-decision' style='font-size:1.5rem;margin-top:.6em;padding:.3em .6em;border-left:.3em solid #2e7d32;"
                   f"background:#e8f5e9'><b>Decision:</b> {escape_md(card['decision'], multiline=True)}</div>")
    return "".join(out)


STATE_BADGE = {"to discuss": "gray", "discussed": "green", "carried": "orange"}


def agenda_label(item: dict[str, Any], width: int = 60) -> str:
    """One line of the agenda jump list, as Markdown: '3. Title' (cut to fit its column) and the item's state."""
    title = item["title"] if len(item["title"]) <= width else item["title"][: width - 3].rstrip() + "..."
    state = item["state"]
    return f"{escape_md(str(item['position']) + '.')} {escape_md(title)} :{STATE_BADGE.get(state, 'gray')}-badge[{escape_md(state)}]"
