"""The fake gateway's message layouts are exactly what ib_async decodes at the pinned version.

Each layout ends with a sentinel in its last field: if the fake sent one field too few, the
decoder fails; one too many, and the sentinel lands in the wrong attribute.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import fake_ib_gateway as fake
import ib_async
import pytest
from ib_async.decoder import Decoder


class _Recorder:
    """A stand-in for ib_async's Wrapper that records every call the decoder makes."""

    def __init__(self) -> None:
        self.calls: dict[str, tuple[Any, ...]] = {}
        self.ib = type("IbStub", (), {"TimezoneTWS": ""})()
        self.defaultTimezone = UTC

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any) -> None:
            self.calls[name] = args

        return record


ORDER = fake.FakeOrder(
    order_id=7, client_id=3, perm_id=99, symbol="AAPL", action="BUY", quantity=Decimal(100),
    order_type="LMT", limit_price="150.5", aux_price="", tif="GTC", order_ref="REF-1",
    account="DU1", status="Filled", filled=Decimal(100), filled_notional=Decimal(15050),
)  # fmt: skip
EXECUTION = fake.FakeExecution(
    "exec-1", 7, 3, 99, "REF-1", "AAPL", "BOT", Decimal(100), Decimal("150.5"), Decimal(100),
    Decimal("150.5"), Decimal("1.25"), datetime(2024, 3, 1, 15, tzinfo=UTC),
)  # fmt: skip


def decode(fields: list[Any]) -> dict[str, tuple[Any, ...]]:
    recorder = _Recorder()
    errors: list[str] = []
    decoder = Decoder(recorder, fake.PINNED_SERVER_VERSION)  # type: ignore[arg-type]
    decoder.logger.exception = lambda message, *a: errors.append(message)  # type: ignore[method-assign]
    decoder.interpret([fake._text(f) for f in fields])
    assert errors == []
    return recorder.calls


def test_the_pinned_version_is_inside_ib_asyncs_client_range() -> None:
    client = ib_async.client.Client
    assert client.MinClientVersion <= fake.PINNED_SERVER_VERSION <= client.MaxClientVersion


@pytest.mark.parametrize(
    ("fields", "handler", "check"),
    [
        (
            [*fake.open_order_fields(ORDER, 265598)[:-1], "0.25"],
            "openOrder",
            lambda a: (a[2].orderRef, a[2].permId, a[2].midOffsetAtHalf) == ("REF-1", 99, 0.25),
        ),
        (
            [*fake.completed_order_fields(ORDER, 265598)[:-1], "0.25"],
            "completedOrder",
            lambda a: (
                (a[1].orderRef, a[1].filledQuantity, a[1].midOffsetAtHalf) == ("REF-1", 100.0, 0.25)
            ),
        ),
        (
            [*fake.exec_details_fields(-1, EXECUTION, 265598, "DU1")[:-1], 2],
            "execDetails",
            lambda a: (a[2].orderRef, a[2].cumQty, a[2].lastLiquidity) == ("REF-1", 100.0, 2),
        ),
        (
            [*fake.contract_details_fields(4, "AAPL", 265598)[:-1], "77"],
            "contractDetails",
            lambda a: (a[1].contract.conId, a[1].suggestedSizeIncrement) == (265598, 77.0),
        ),
        (
            fake.commission_report_fields(EXECUTION),
            "commissionReport",
            lambda a: (a[0].execId, a[0].commission) == ("exec-1", 1.25),
        ),
        (
            [*fake.order_status_fields(ORDER, Decimal("150.5"))[:-1], "3.5"],
            "orderStatus",
            lambda a: (a[1], a[2], a[5], a[-1]) == ("Filled", 100.0, 99, 3.5),
        ),
        (
            fake.position_fields("DU1", "AAPL", 265598, fake.FakePosition(Decimal(5), Decimal(10))),
            "position",
            lambda a: (a[0], a[1].conId, a[2], a[3]) == ("DU1", 265598, 5.0, 10.0),
        ),
        (
            fake.error_fields(-1, 2104, "farm OK"),
            "error",
            lambda a: a == (-1, 2104, "farm OK", ""),
        ),
        (
            fake.tick_price_fields(3, 4, Decimal("1.5"), Decimal(100)),
            "priceSizeTick",
            lambda a: a == (3, 4, 1.5, 100.0),
        ),
    ],
)
def test_each_layout_decodes_exactly(fields: list[Any], handler: str, check: Any) -> None:
    calls = decode(fields)

    assert check(calls[handler])


@pytest.mark.parametrize("layout", [fake.open_order_fields, fake.completed_order_fields])
def test_one_field_short_is_caught(layout: Any) -> None:
    with pytest.raises(AssertionError):
        decode(layout(ORDER, 265598)[:-1])
