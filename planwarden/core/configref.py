"""The configuration reference, generated from the settings models so it cannot drift."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from planwarden.core.config import DirectoryConfig, GovernanceConfig, Settings


def _type_name(annotation: Any) -> str:
    text = str(annotation).replace("typing.", "").replace("planwarden.core.config.", "")
    return text.replace("<class '", "").replace("'>", "").replace("datetime.", "").replace("|", "\\|")


def _model_of(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *typing.get_args(annotation)]
    for c in candidates:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
        for inner in typing.get_args(c):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return None


def _default(field: Any) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        return "" if isinstance(value, BaseModel) else repr(value)
    return "" if field.default is PydanticUndefined else repr(field.default)


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        nested = _model_of(field.annotation)
        if nested is not None and nested is not model:
            listed = typing.get_origin(field.annotation) is list
            rows.extend(_rows(nested, f"{key}[].") if listed else _rows(nested, f"{key}."))
            continue
        desc = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{key}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
    return rows


def render_reference() -> str:
    parts = ["# Configuration reference", "",
             "Generated from the settings models (`planwarden/core/config.py`) by "
             "`planwarden config-reference`; a test keeps it current. Unknown keys are errors.", ""]
    for title, model in (("planwarden.toml", Settings), ("Directory file", DirectoryConfig),
                         ("Governance calendar file", GovernanceConfig)):
        parts += [f"## {title}", "", "| key | type | default | meaning |", "|---|---|---|---|",
                  *_rows(model, ""), ""]
    return "\n".join(parts)
