"""Where the settings file is, how it is read, and how the data folder and database URL
follow from it: the part of the settings that needs neither pydantic nor the models of
planwarden.core.config, so that core/quickconfig.py can answer without them."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

CONFIG_ENV = "PLANWARDEN_CONFIG"
DATABASE_ENV = "PLANWARDEN_DATABASE_URL"
HOME_ENV = "PLANWARDEN_HOME"
DEFAULT_CONFIG = Path("config/planwarden.toml")


class ConfigError(Exception):
    """A mistake in a settings file: names the file, the key and the reason."""

    def __init__(self, file: str, key: str, reason: str) -> None:
        self.file, self.key, self.reason = file, key, reason
        super().__init__(f"{file}: {key}: {reason}")


def config_path() -> Path | None:
    """The settings file in use: $PLANWARDEN_CONFIG, else config/planwarden.toml if present."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(str(path), "-", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "-", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "-", "not UTF-8 text") from None


def resolve(value: str, base: Path) -> Path:
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else base / p


def data_dir(configured: str | None, base: Path) -> Path:
    """$PLANWARDEN_HOME, else the file's data_dir, else the XDG data folder."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    if configured:
        return resolve(configured, base)
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(xdg) / "planwarden"


def database_url_from(configured: str | None, folder: Path) -> str:
    """$PLANWARDEN_DATABASE_URL, else the file's database_url, else SQLite in the data folder."""
    return os.environ.get(DATABASE_ENV) or configured or f"sqlite:///{folder / 'planwarden.db'}"
