"""`python -m quantcli` runs the CLI."""

from quantcli.entrypoints.cli.main import cli

cli()
