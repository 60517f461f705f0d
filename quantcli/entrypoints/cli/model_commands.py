"""`quantcli models ...`: list, inspect, promote, roll back and prune registered model versions."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import click

from quantcli.application.ports import ModelRegistry, ModelVersion
from quantcli.application.ports.registry import GATES
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.output import table

# A model version, for every command that takes one: 0 or text is a usage error (exit 2).
VERSION = click.IntRange(min=1)


def _registry(app: AppContext) -> ModelRegistry:
    registry: ModelRegistry = app.container.model_registry()
    return registry


@click.group()
def models() -> None:
    """Inspect and manage the versioned model registry."""


@models.command(name="list")
@click.argument("name", required=False)
@click.pass_obj
def list_(app: AppContext, name: str | None) -> None:
    """List the versions of NAME, or of every registered model."""
    versions = _registry(app).list(name)
    if not versions:
        click.echo("No models are registered.")
        return
    rows = [
        (v.name, v.version, v.stage, _timestamp(v.created_at), _gate_summary(v.metadata))
        for v in versions
    ]
    click.echo(table(("name", "version", "stage", "created (UTC)", "gates"), rows))


@models.command()
@click.argument("name")
@click.option(
    "--version", "version", type=VERSION, help="Default: the production version, else the latest."
)
@click.pass_obj
def show(app: AppContext, name: str, version: int | None) -> None:
    """Show one version of NAME with its metadata and gate results."""
    found = _registry(app).get(name, version)
    click.echo(f"model:    {found.name}")
    click.echo(f"version:  {found.version}")
    click.echo(f"stage:    {found.stage}")
    click.echo(f"created:  {_timestamp(found.created_at)} UTC")
    metadata = dict(found.metadata)
    gates = metadata.get(GATES)
    if isinstance(gates, Mapping) and gates:
        del metadata[GATES]
        click.echo("\ngates:")
        click.echo(_indent(_gate_table(gates)))
    click.echo("\nmetadata:")
    click.echo("\n".join(_tree(metadata, depth=1)) if metadata else "  (none)")


@models.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@click.pass_obj
def promote(app: AppContext, name: str, version: int) -> None:
    """Put VERSION of NAME in production; the current production version is archived."""
    registry = _registry(app)
    previous = _production(registry.list(name))
    if previous == version:
        click.echo(f"{name} version {version} is already in production.")
        return
    registry.promote(name, version)
    click.echo(f"{name} version {version} is now in production.")
    if previous is not None:
        click.echo(
            f"Version {previous} is archived; `quantcli models rollback {name}` restores it."
        )


@models.command()
@click.argument("name")
@click.pass_obj
def rollback(app: AppContext, name: str) -> None:
    """Put the previous production version of NAME back in production."""
    registry = _registry(app)
    previous = _production(registry.list(name))
    restored = registry.rollback(name)
    click.echo(
        f"{name} version {restored.version} is in production again "
        f"(version {previous} is archived)."
    )


@models.command()
@click.argument("name")
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    help="Newest versions to keep (default: models.registry.keep_last). The production version "
    "and the one a rollback would restore are always kept.",
)
@click.pass_obj
def prune(app: AppContext, name: str, keep: int | None) -> None:
    """Delete old versions of NAME."""
    keep_last = keep if keep is not None else app.settings.models.registry.keep_last
    registry = _registry(app)
    deleted = registry.prune(name, keep_last)
    kept = ", ".join(str(v.version) for v in registry.list(name))
    if not deleted:
        click.echo(f"Nothing to prune: {name} keeps versions {kept} (--keep {keep_last}).")
        return
    noun = "version" if len(deleted) == 1 else "versions"
    click.echo(f"Deleted {name} {noun} {', '.join(map(str, deleted))}; kept {kept}.")


def _production(versions: Sequence[ModelVersion]) -> int | None:
    return next((v.version for v in versions if v.is_production), None)


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _passed(result: Any) -> bool | None:
    outcome = result.get("passed") if isinstance(result, Mapping) else result
    return outcome if isinstance(outcome, bool) else None


def _gate_summary(metadata: Mapping[str, Any]) -> str:
    gates = metadata.get(GATES)
    if not isinstance(gates, Mapping) or not gates:
        return "-"
    outcomes = [_passed(result) for result in gates.values()]
    return f"{sum(o is True for o in outcomes)}/{len(outcomes)} passed"


def _gate_table(gates: Mapping[str, Any]) -> str:
    rows = []
    for gate, result in gates.items():
        details = result if isinstance(result, Mapping) else {}
        value = details.get("value", result if not isinstance(result, bool | Mapping) else None)
        outcome = _passed(result)
        rows.append(
            (
                gate,
                _scalar(value) if value is not None else "-",
                _scalar(details["threshold"]) if "threshold" in details else "-",
                {True: "pass", False: "FAIL", None: "-"}[outcome],
            )
        )
    return table(("gate", "value", "threshold", "result"), rows)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _tree(value: Mapping[str, Any], depth: int) -> Iterator[str]:
    """Nested metadata as indented `key: value` lines, short lists of plain values inline."""
    pad = "  " * depth
    for key, item in value.items():
        if isinstance(item, Mapping) and item:
            yield f"{pad}{key}:"
            yield from _tree(item, depth + 1)
        elif isinstance(item, list | tuple) and any(
            isinstance(x, Mapping | list | tuple) for x in item
        ):
            yield f"{pad}{key}:"
            yield from _tree({f"[{i}]": x for i, x in enumerate(item)}, depth + 1)
        else:
            yield f"{pad}{key}: {_scalar(item)}"


def _scalar(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar(x) for x in value) + "]"
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None:
        return "null"
    return str(value)
