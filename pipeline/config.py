"""The workflow config's error type and typed sections."""

from __future__ import annotations


class ConfigError(ValueError):
    """A config that passes the schema but cannot run; the message names the key and value."""
