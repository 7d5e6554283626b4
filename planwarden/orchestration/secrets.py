"""Mail credentials kept in Prefect Secret blocks (``*_block`` keys in ``[mail.*]`` and
``[plans.mail.*]``), loaded when a flow run, `planwarden serve` or `planwarden deploy`
starts, and handed to the mail layer (which never imports Prefect; see
planwarden.mail.credentials).

A block the config names that does not exist, or holds no text, stops the start with a
ConfigError naming the settings file, the key and the block; the value itself never
appears in an error, a log line or a flow run's result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from planwarden.core.config import Config, ConfigError, MailSettings
from planwarden.mail.credentials import provide_block_values

SECTIONS = ("smtp", "imap", "ews", "graph")
Loader = Callable[[str], object]  # block name -> the block's value (raises when missing)


def secret_blocks(config: Config, plan_keys: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(config key, block name) for every Secret block named by the shared ``[mail]``
    section and by the plans' own ``[plans.mail]`` (only ``plan_keys``' when given)."""
    wanted = None if plan_keys is None else set(plan_keys)
    sections: list[tuple[str, MailSettings]] = [("mail", config.settings.mail)]
    sections += [(f"plans.{i}.mail", p.mail) for i, p in enumerate(config.settings.plans)
                 if p.mail and (wanted is None or p.key in wanted)]
    return [(f"{prefix}.{name}.{field}", value)
            for prefix, mail in sections for name in SECTIONS
            for field, value in getattr(mail, name) if field.endswith("_block") and value]


def load_secret_blocks(config: Config, plan_keys: Iterable[str] | None = None,
                       load: Loader | None = None) -> int:
    """Load every block the runs for ``plan_keys`` need (all plans' when None) and hand
    the values to the mail layer; returns how many blocks were loaded."""
    blocks = secret_blocks(config, plan_keys)
    if not blocks:
        return 0
    load = load or _prefect_secret
    values: dict[str, str] = {}
    for key, block in blocks:
        if block not in values:
            values[block] = _text(config, key, block, load)
    provide_block_values(values)
    return len(values)


def _text(config: Config, key: str, block: str, load: Loader) -> str:
    where = str(config.source or "planwarden.toml")
    try:
        value = load(block)
    except (ValueError, LookupError):  # Prefect: "Unable to find block document named ..."
        raise ConfigError(where, key, f"no Prefect Secret block named {block!r} on the Prefect server: create it "
                          f"(prefect block create secret, or Secret(value=...).save({block!r}))") from None
    if not isinstance(value, str) or not value:
        raise ConfigError(where, key, f"the Prefect Secret block {block!r} holds no text value")
    return value


def _prefect_secret(block: str) -> object:
    """The block's value as stored: a password of digits stays text (``Secret.get()``
    would parse it as JSON and return a number)."""
    from prefect.blocks.system import Secret
    from prefect.exceptions import ObjectNotFound

    try:
        secret = Secret.load(block, _sync=True)  # type: ignore[call-overload]
    except ObjectNotFound:
        raise LookupError(block) from None
    raw = secret.value.get_secret_value()
    return raw if isinstance(raw, str) else secret.get()
