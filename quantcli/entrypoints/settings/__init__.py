"""Typed settings from config/*.yaml, overridable by a file, a directory or $QUANTCLI_CONFIG."""

from quantcli.entrypoints.settings.loader import load_settings
from quantcli.entrypoints.settings.schema import Settings

__all__ = ["Settings", "load_settings"]
