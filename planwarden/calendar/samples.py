"""A sample context for `planwarden preview-emails`: an updated board invitation."""

from __future__ import annotations

from typing import Any

from planwarden.mail.emails import sample


@sample("invite")
def _invite() -> dict[str, Any]:
    return {
        "kind": "update", "reason": "update", "title": "JTAI Improvement Board",
        "when": "Wed 21 Dec 2022 14:00–16:00 (Europe/London)",
        "repeats": "Monthly on the third Wednesday, 15 times",
        "location": "Committee Suite 1, Westfields, Middlewich Road, Sandbach",
        "online_url": "https://teams.example.org/l/meetup-join/jtai-improvement-board",
        "description": "Strategic scrutiny of the JTAI written statement of action.",
        "organiser": "Rachel Hughes", "sequence": 2,
        "moved": ["Wed 15 Feb 2023 14:00 → Thu 16 Feb 2023 14:00"], "cancelled": ["Wed 19 Apr 2023 14:00"],
        "note": "Board pack: built on 14 December 2022 and sent to the secretary (pack-2022-12.pdf).",
        "attendee_count": 11,
    }
