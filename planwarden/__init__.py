"""planwarden: keeps multi-agency safeguarding improvement plans moving."""

from pathlib import Path as _Path

__version__ = "0.1.0"

# Shipped with the package (package data; in a checkout these are symlinks to the
# top-level templates/ and config/examples/ folders the design card fixes).
TEMPLATES = _Path(__file__).parent / "templates"
EXAMPLES = _Path(__file__).parent / "examples"

from planwarden.core.log import install_redaction as _install_redaction

_install_redaction()  # every process that runs planwarden code logs redacted records only
