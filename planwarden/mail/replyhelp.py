"""The how-to-reply block every reminder carries, and how to recognise it when it comes back.

Owners copy what they are shown. The block's example therefore records nothing as it
stands: its placeholders are not ratings or dates, and ``EXAMPLE_LINE`` finds its lines
(and the lines of the example reminders carried before November 2026, still in people's
mailboxes) so a reply can drop them and the confirmation can say so. The reminder
templates take their wording from here, so the two cannot drift apart.
"""

from __future__ import annotations

import re

INSTRUCTIONS = (
    "Reply to this email in your own words; no log-in is needed.",
    "To update several actions, start each paragraph with the action's ref.",
    'To set a rating, add a line "RAG:" and one of Green, Amber or Red.',
    'To ask the board for more time, add a line "New date:" and the date.',
    "You can copy this template (it records nothing as it stands):",
)
PLACEHOLDER_TEXT = "(write your update here)"
PLACEHOLDER_RAG = "RAG: (choose Green, Amber or Red)"
PLACEHOLDER_DATE = "New date: (only if you need more time)"


def example(ref: str) -> list[str]:
    """The template lines, with the digest's first ref."""
    return [f"{ref} {PLACEHOLDER_TEXT}", PLACEHOLDER_RAG, PLACEHOLDER_DATE]


_INSTRUCTION_STARTS = "|".join(re.escape(line[:28]) for line in INSTRUCTIONS)
EXAMPLE_LINE = re.compile(
    r"^[ \t>]*(?:\d{1,3}\.\d{1,3}[a-z]?[ \t]+)?(?:"
    r"\(?write your update here\)?"
    r"|rag:[ \t]*\(choose[^\n]*"
    r"|new date:[ \t]*\(only if[^\n]*"
    rf"|(?:{_INSTRUCTION_STARTS})[^\n]*"
    r"|how to reply"
    r"|you will get a short confirmation of what was recorded\.?"
    # the example reminders carried before (copied, it read as AMBER then as a rating list)
    r"|amber[ \t]*[-–—][ \t]*guidance drafted; consultation ends in march\.?"
    r"|rag:[ \t]*green[ \t]*\|[ \t]*amber[ \t]*\|[ \t]*red(?:[ \t]*\n[ \t>]*new date:[ \t]*31 march 2023)?"
    r"|new date:[ \t]*31 march 2023[ \t]*\(asks the board for more time\)"
    r")[ \t]*$", re.I | re.M)
