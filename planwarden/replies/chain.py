"""The chain: run the rules, then do what the verdict asks (Mailman's chains).

``decide`` is pure; ``act`` maps each effect request to the one function that carries
it out and returns what it did. Adding a kind of effect means one request dataclass in
``verdicts``, one function in ``effects`` and one line in ``EFFECTS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planwarden.replies import effects
from planwarden.replies.effects import Env
from planwarden.replies.rules import decide
from planwarden.replies.verdicts import ApplyUpdates, Done, MarkFailing, NoteAway, Verdict

EFFECTS: dict[type, str] = {  # request -> the function in ``effects`` that carries it out
    ApplyUpdates: "apply_updates",
    NoteAway: "note_away",
    MarkFailing: "mark_failing",
}


def act(env: Env, verdict: Verdict) -> Done:
    if verdict.effect is None:
        return Done()
    effect: Callable[[Env, Any], Done] = getattr(effects, EFFECTS[type(verdict.effect)])
    return effect(env, verdict.effect)


__all__ = ["act", "decide"]
