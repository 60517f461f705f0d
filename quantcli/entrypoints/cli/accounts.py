"""One check, one message for an `--account` the ledger does not know, whatever the command."""

from __future__ import annotations

from quantcli.domain.errors import DataError
from quantcli.entrypoints.container import Container


def known_account(container: Container, account: str) -> str:
    """The account if the ledger has ever opened it, else DataError (exit 1) listing those it
    has, in the shape of an unknown model's ("model X is not registered; registered ...")."""
    accounts = container.ledger().accounts()
    if account not in accounts:
        listed = ", ".join(accounts) or "none yet (`quantcli paper` opens one)"
        raise DataError(f"account {account} is not in the ledger; accounts: {listed}")
    return account
