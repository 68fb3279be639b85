"""The board's shared screen as HTML: every value escaped, ticks and RAG drawn without a symbol font."""
from __future__ import annotations

from datetime import date, datetime, timezone

from ui.presenter import agenda_label, card_html

TODAY = date(2026, 12, 5)
PLANTED = "<img src=x onerror=alert(1)> **bold** [link](http://evil.example) :red[x]"


def _card(**action) -> dict:
    a = {"id": 1, "title": "Warrant for 12 The Broadway", "owner": "Kiran Patel", "agency": "Food Safety", "rag": "red",
         "status": "in progress", "due_on": date(2026, 12, 1),
         "milestones": [{"title": "Brief officers", "due_on": date(2026, 11, 1), "done": True, "completed_on": date(2026, 10, 30)},
                        {"title": "Serve notice", "due_on": date(2026, 12, 2), "done": False, "completed_on": None}],
         "progress": {"note": "Visits booked", "by": "Aisha Rahman", "at": datetime(2026, 11, 9, 10, tzinfo=timezone.utc)},
         "since": datetime(2026, 11, 28, 16, tzinfo=timezone.utc),
         "changed": [{"at": datetime(2026, 12, 1, tzinfo=timezone.utc), "words": "Kiran Patel: status: not started → in progress"}],
         "can_edit": True, **action}
    return {"title": "Warrant for 12 The Broadway", "kind": "action overdue", "state": "to discuss", "carried": True,
            "notes": "", "decision": "", "tier": None, "action": a}


def test_the_card_shows_what_the_board_reads() -> None:
    html = card_html(_card(), TODAY)
    for words in ("Kiran Patel", "Food Safety", "Red", "in progress", "1 Dec 2026", "overdue", "Brief officers",
                  "done 30 Oct 2026", "Serve notice", "due 2 Dec 2026", "Milestones 1/2", "Visits booked",
                  "Since 28 Nov 2026", "carried from the last meeting"):
        assert words in html, words
    assert html.count("title='done'") == 1 and html.count("title='open'") == 1
    assert all(ord(c) < 0x2190 or c in "·→" for c in html), "no symbol a projector's font may lack"


def test_nothing_typed_by_a_person_becomes_markup() -> None:
    card = _card(title=PLANTED, owner=PLANTED, agency=PLANTED, status=PLANTED,
                 progress={"note": PLANTED, "by": PLANTED, "at": datetime(2026, 11, 9, tzinfo=timezone.utc)},
                 changed=[{"at": datetime(2026, 12, 1, tzinfo=timezone.utc), "words": PLANTED}])
    card.update(title=PLANTED, notes=PLANTED, decision=PLANTED)
    card["action"]["milestones"][0]["title"] = PLANTED
    html = card_html(card, TODAY) + agenda_label({"position": 3, "title": PLANTED, "state": "to discuss"}, width=500)
    for raw in ("<img", "**bold**", "[link]", ":red[", "http://"):
        assert raw not in html, raw


def test_a_long_title_is_cut_to_its_column_and_the_number_is_not_a_list() -> None:
    label = agenda_label({"position": 12, "title": "Review premises licence of Wolseley Wholesale, Unit 5 Oak Park",
                          "state": "discussed"}, width=30)
    assert label.startswith("12&#46; Review premises licence") and "..." in label.replace("&#46;", ".")
    assert label.endswith(":green-badge[discussed]")
