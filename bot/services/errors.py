"""Errors the use cases raise for the edge to show: Danish text for the person who acted."""

from __future__ import annotations


class ActionError(LookupError):
    """A card action that cannot be carried out (wrong person, unknown row, bad input): Danish text."""


class Refused(ActionError):
    """An attempt the actor's roles or tenant do not allow: logged, audited, and answered politely."""

    def __init__(self, text: str, action: str = "", target: str = "") -> None:
        super().__init__(text)
        self.action = action
        self.target = target
