"""`quantcli models ...`: list, inspect, promote, roll back and prune registered model versions."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from quantcli.application.features.ports import FeatureStore
from quantcli.application.modeling.manage_models import (
    GatesFailed,
    promote_model,
    prune_models,
    versions_to_prune,
)
from quantcli.application.modeling.ports import ModelRegistry, ModelVersion
from quantcli.domain.errors import ModelError
from quantcli.entrypoints.cli.app_context import AppContext
from quantcli.entrypoints.cli.model_output import (
    gate_summary,
    gate_table,
    summary_lines,
    timestamp,
    version_json,
)
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
        (v.name, v.version, v.stage, timestamp(v.created_at), gate_summary(v)) for v in versions
    ]
    click.echo(table(("name", "version", "stage", "created (UTC)", "gates"), rows))


@models.command()
@click.argument("name")
@click.option(
    "--version", "version", type=VERSION, help="Default: the production version, else the latest."
)
@click.option("--json", "as_json", is_flag=True, help="Print the whole metadata as JSON.")
@click.pass_obj
def show(app: AppContext, name: str, version: int | None, as_json: bool) -> None:
    """Summarize one version of NAME: data, features, CPCV, gates, training and promotion."""
    registry = _registry(app)
    found = registry.get(name, version)
    history = registry.history(name)
    if as_json:
        click.echo(version_json(found, history))
        return
    click.echo("\n".join(summary_lines(found, history)))
    click.echo(f"All metadata: quantcli models show {name} --version {found.version} --json")


@models.command()
@click.argument("name")
@click.argument("version", type=VERSION)
@click.option(
    "--force", is_flag=True, help="Promote even though some of the version's gates failed."
)
@click.pass_obj
def promote(app: AppContext, name: str, version: int, force: bool) -> None:
    """Put VERSION of NAME in production; the current production version is archived.

    A version whose gates failed at training is refused (exit 1) unless --force; a forced
    promotion prints a warning and is recorded as forced in the registry's history."""
    try:
        promotion = promote_model(_registry(app), name, version, force=force)
    except GatesFailed as failed:
        click.echo(gate_table(failed.failures, with_detail=False), err=True)
        raise ModelError(f"{failed} (--force promotes it anyway)") from failed
    if not promotion.changed:
        click.echo(f"{name} version {version} is already in production.")
        return
    if promotion.forced_past:
        failed_names = ", ".join(gate.name for gate in promotion.forced_past)
        click.echo(
            f"Warning: {name} version {version} fails gate(s) {failed_names}; promoted "
            "because of --force (recorded in the registry's history)",
            err=True,
        )
    click.echo(f"{name} version {version} is now in production.")
    if promotion.previous is not None:
        click.echo(
            f"Version {promotion.previous} is archived; "
            f"`quantcli models rollback {name}` restores it."
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
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def prune(app: AppContext, name: str, keep: int | None, assume_yes: bool) -> None:
    """Delete old versions of NAME with their files (model, metadata, CPCV paths).

    Lists what it would delete and asks first; without a terminal to ask on, it needs --yes."""
    keep_last = keep if keep is not None else app.settings.models.registry.keep_last
    registry = _registry(app)
    doomed = versions_to_prune(registry, name, keep_last)
    kept = [v.version for v in registry.list(name) if v.version not in doomed]
    kept_text = ", ".join(map(str, kept))
    if not doomed:
        click.echo(f"Nothing to prune: {name} keeps versions {kept_text} (--keep {keep_last}).")
        return
    listed = ", ".join(map(str, doomed))
    click.echo(f"Would delete {name} {_versions(doomed)} {listed}; keep {kept_text}.")
    if not assume_yes:
        if not sys.stdin.isatty():
            raise click.UsageError(
                "prune asks for confirmation and stdin is not a terminal: pass --yes to delete"
            )
        if not click.confirm(f"Remove {len(doomed)} version(s)?", default=False):
            click.echo("Nothing deleted.", err=True)
            raise click.exceptions.Exit(1)
    feature_store: FeatureStore = app.container.feature_store()
    pruned = prune_models(registry, feature_store, name, keep_last)
    deleted = ", ".join(map(str, pruned.versions))
    tables = f" and {len(pruned.tables)} CPCV path table(s)" if pruned.tables else ""
    click.echo(f"Deleted {name} {_versions(pruned.versions)} {deleted}{tables}; kept {kept_text}.")


def _versions(numbers: Sequence[int]) -> str:
    return "version" if len(numbers) == 1 else "versions"


def _production(versions: Sequence[ModelVersion]) -> int | None:
    return next((v.version for v in versions if v.is_production), None)
