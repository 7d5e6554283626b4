"""The settings read-only commands need, without pydantic.

`planwarden actions` needs only the database URL, `planwarden status` a few facts derived
from the validated settings (plan keys and timezones, the next board meeting); importing
pydantic and building the settings models costs more than the rest of their start. The
URL is read from the TOML (core/configfile.py), but never from settings that have not
validated: the full check (``load_config``) runs whenever the files changed since they
last validated, and its success is remembered by an empty marker file named by a stamp,
a hash of the files' paths, sizes and modification times (and of the code that checks
them). The marker holds nothing from the files, so no secret is copied anywhere.

Derived facts (``remember`` / ``recall``) are kept the same way, in a JSON file named by
the stamp of the files they were derived from (and of the code deriving them): a changed
file or a changed deriving module is a different name, so a stale copy is never read.
Only what the caller puts there is kept: no URL, address or secret.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planwarden.core.configfile import ConfigError, config_path, data_dir, database_url_from, read_toml, resolve

if TYPE_CHECKING:
    from planwarden.core.config import Config

_CHECKER = Path(__file__).with_name("config.py")  # a new checker invalidates every marker


def database_url() -> str:
    """The database URL of the settings in use, validating them only when they changed
    since they last validated (same answer and same ConfigError as ``load_config``)."""
    path = config_path()
    if path is None:
        return database_url_from(None, data_dir(None, Path.cwd()))
    raw = read_toml(path)
    marker = _marker(path, raw)
    if marker is None or not marker.exists():
        from planwarden.core.config import load_config
        config = load_config(path)
        _remember(marker)
        return config.database_url
    return _url(path, raw)


def validated_config() -> Config:
    """``load_config()``, leaving the marker on success, for a command that needs the
    whole config: the next read-only command then skips the check."""
    from planwarden.core.config import load_config

    path = config_path()
    marker = _marker(path, read_toml(path)) if path is not None else None
    config = load_config(path)
    _remember(marker)
    return config


def validated_database_url() -> str | None:
    """The database URL if the settings are unchanged since they last validated; None
    when they must be checked first (or cannot be read), which the caller leaves to the
    full path: it validates them and reports any mistake."""
    path = config_path()
    if path is None:
        return database_url_from(None, data_dir(None, Path.cwd()))
    try:
        raw = read_toml(path)
    except ConfigError:
        return None
    marker = _marker(path, raw)
    return _url(path, raw) if marker is not None and marker.exists() else None


def settings_stamp(code: Sequence[Path] = ()) -> str | None:
    """The stamp of the settings files in use now (and of the ``code`` files): take it
    *before* loading them, so facts derived from what was loaded are never filed under a
    newer file's stamp. None if a file cannot be looked at."""
    path = config_path()
    try:
        raw = read_toml(path) if path is not None else {}
    except ConfigError:
        return None
    return _stamp(path, raw, code)


def remember(stamp: str | None, name: str, facts: Any) -> None:
    """Keep ``facts`` (JSON) derived from the validated settings of ``stamp``. A cache
    folder that cannot be written only costs the next run time."""
    if stamp is None:
        return
    keep(cache_folder() / f"{name}-{stamp}.json", json.dumps(facts))


def keep(target: Path, text: str) -> None:
    """Write a cache file whole (readers see all of it or none). A cache folder that
    cannot be written only costs the next run time."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError:
        pass


def recall(name: str, code: Sequence[Path] = ()) -> Any | None:
    """The facts ``remember`` kept for the settings files as they are now (and this
    ``code``), or None: never validated in this form, changed since, or unreadable."""
    stamp = settings_stamp(code)
    if stamp is None:
        return None
    try:
        return json.loads((cache_folder() / f"{name}-{stamp}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _url(path: Path, raw: dict[str, Any]) -> str:
    url, folder = raw.get("database_url"), raw.get("data_dir")
    return database_url_from(url, data_dir(folder, path.parent))


def _stamp(path: Path | None, raw: dict[str, Any], code: Sequence[Path] = ()) -> str | None:
    """A hash naming this exact set of files: the settings files (none without a settings
    file), the checker and ``code``; None if one cannot be looked at."""
    files = [_CHECKER, *code]
    if path is not None:
        files += [path] + [resolve(raw[k], path.parent) for k in ("directory", "governance")
                           if isinstance(raw.get(k), str) and raw[k]]
    try:
        stamp = "\n".join(f"{f.resolve()}|{f.stat().st_mtime_ns}|{f.stat().st_size}" for f in files)
    except OSError:
        return None
    return hashlib.sha256(stamp.encode()).hexdigest()[:32]


def cache_folder() -> Path:
    """Where planwarden keeps what it can work out again (markers, facts, the help text)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "planwarden"


def _marker(path: Path, raw: dict[str, Any]) -> Path | None:
    """The marker file for this exact set of files (None if one cannot be looked at)."""
    stamp = _stamp(path, raw)
    return None if stamp is None else cache_folder() / f"validated-{stamp}"


def _remember(marker: Path | None) -> None:
    """Leave the marker; a cache folder that cannot be written only costs the next run time."""
    if marker is None:
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass
