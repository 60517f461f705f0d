"""`python -m quantcli` runs the CLI."""

import sys

try:
    from quantcli.entrypoints.cli.main import cli
except KeyboardInterrupt:  # Ctrl-C while the libraries load: nothing has started yet
    sys.stderr.write("Interrupted during start-up; nothing was done\n")
    sys.exit(130)

cli()
