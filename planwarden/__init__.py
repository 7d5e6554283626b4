"""planwarden: keeps multi-agency safeguarding improvement plans moving."""

__version__ = "0.1.0"

from planwarden.core.log import install_redaction as _install_redaction

_install_redaction()  # every process that runs planwarden code logs redacted records only
