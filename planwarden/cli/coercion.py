"""Parameter values without pydantic where Typer's own coercion would be a no-op.

Typer (>= 0.29) coerces every option value through a pydantic ``TypeAdapter``, built on
first use: importing pydantic and building the adapters costs ~0.1 s of a command's start,
for a ``--plan KEY`` that is a string already. This defers Typer's coercion per parameter:
a missing value, a ``str`` option given a string and an ``int`` given plain digits are
returned as Typer would return them; anything else (enums, paths, dates, bad numbers,
parsers, bounds) goes through Typer's coercion unchanged, so its errors are Typer's.
"""

from __future__ import annotations

import re
from typing import Any

_DIGITS = re.compile(r"-?[0-9]+")


class DeferredCoercion:
    """Stands in for a Typer parameter's runtime coercion until a value needs the real one."""

    def __init__(self, param: Any) -> None:
        self._param = param
        self._real: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multi = param.multiple or param.nargs == -1
        if not multi:
            if value is None:
                return None
            plain = _plain(param, value)
            if plain is not None:
                return plain
        return self._full().coerce(value, param=param, ctx=ctx)

    def _full(self) -> Any:
        if self._real is None:
            from typer._coercion import build_runtime_param
            self._real = build_runtime_param(self._param.type_descriptor)
        return self._real


def _plain(param: Any, value: Any) -> Any:
    """The value as Typer would coerce it, when that needs no work; else None."""
    descriptor = param.type_descriptor
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or info.parser is not None:
        return None
    if descriptor.annotation is bool and isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    if descriptor.annotation is str:
        return value
    if (descriptor.annotation is int and info.min is None and info.max is None
            and _DIGITS.fullmatch(value)):
        return int(value)
    return None


def defer_coercion() -> None:
    """Give every Typer parameter a deferred coercion on first use (including the --help
    options Typer makes on demand). A Typer without this hook is left as it is."""
    try:
        from typer.core import _TyperParameter
    except ImportError:  # pragma: no cover - a Typer without runtime coercion
        return
    if getattr(_TyperParameter, "_planwarden_deferred", False) or not hasattr(_TyperParameter, "get_runtime_param"):
        return

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            self._runtime_param = DeferredCoercion(self)
        return self._runtime_param

    _TyperParameter.get_runtime_param = get_runtime_param
    _TyperParameter._planwarden_deferred = True
