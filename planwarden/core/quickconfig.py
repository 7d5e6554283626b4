"""The database URL for read-only commands, without pydantic.

`planwarden actions` needs only the database URL; importing pydantic and building the
settings models costs more than the rest of its start. The URL is read from the TOML
(core/configfile.py), but never from settings that have not validated: the full check
(``load_config``) runs whenever the files changed since they last validated, and its
success is remembered by an empty marker file named by a hash of the files' paths,
sizes and modification times (and of the code that checks them). The marker holds
nothing from the files, so no secret is copied anywhere.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from planwarden.core.configfile import config_path, data_dir, database_url_from, read_toml, resolve

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
    url, folder = raw.get("database_url"), raw.get("data_dir")
    return database_url_from(url, data_dir(folder, path.parent))


def _marker(path: Path, raw: dict[str, Any]) -> Path | None:
    """The marker file for this exact set of files (None if one cannot be looked at)."""
    files = [path, _CHECKER] + [resolve(raw[k], path.parent) for k in ("directory", "governance")
                                if isinstance(raw.get(k), str) and raw[k]]
    try:
        stamp = "\n".join(f"{f.resolve()}|{f.stat().st_mtime_ns}|{f.stat().st_size}" for f in files)
    except OSError:
        return None
    cache = Path(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")) / "planwarden"
    return cache / f"validated-{hashlib.sha256(stamp.encode()).hexdigest()[:32]}"


def _remember(marker: Path | None) -> None:
    """Leave the marker; a cache folder that cannot be written only costs the next run time."""
    if marker is None:
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass
