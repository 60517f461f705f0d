"""What every command receives: settings and the container, built once, lazily."""

from __future__ import annotations

from pathlib import Path

import attrs
import click

from quantcli.entrypoints.container import Container, build_container
from quantcli.entrypoints.settings import Settings, load_settings


@attrs.define
class AppContext:
    """Pass one with adapters already overridden (`obj=` in click) to embed or test the CLI."""

    config_path: Path | None = None
    _container: Container | None = None

    @property
    def container(self) -> Container:
        if self._container is None:
            self._container = build_container(load_settings(self.config_path, warn=_warn))
        return self._container

    @property
    def settings(self) -> Settings:
        settings: Settings = self.container.settings()
        return settings


def _warn(message: str) -> None:
    click.echo(f"Warning: configuration: {message}", err=True)
