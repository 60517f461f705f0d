"""Decimal margin rules, hand-computed."""

from __future__ import annotations

from decimal import Decimal as D  # noqa: N817 (reads like the literals it builds)

import pytest

from quantcli.domain.errors import ValidationError
from quantcli.domain.margin import MarginRules


def test_initial_margin_tightens_the_leverage_limit() -> None:
    assert MarginRules(initial_margin=D("0.5")).leverage_limit() == 2
    assert MarginRules(max_leverage=D("1.5"), initial_margin=D("0.5")).leverage_limit() == D("1.5")
    assert MarginRules().leverage_limit() is None


def test_orders_are_cut_to_the_headroom_or_rejected() -> None:
    rules = MarginRules(max_leverage=D(2))
    assert rules.allowed_quantity(D(0), D(150), D(10), D(1000), D(0)) == 150
    assert rules.allowed_quantity(D(0), D(250), D(10), D(1000), D(0)) == 200
    assert rules.allowed_quantity(D(0), D(-50), D(10), D(1000), D(1950)) == -5
    assert rules.allowed_quantity(D(0), D(50), D(10), D(1000), D(2000)) == 0
    assert rules.allowed_quantity(D(300), D(-100), D(10), D(1000), D(3000)) == -100
    assert rules.allowed_quantity(D(100), D(-400), D(10), D(1000), D(1000)) == -300
    assert MarginRules().allowed_quantity(D(0), D(10**9), D(10), D(1), D(0)) == 10**9


def test_margin_call_below_maintenance() -> None:
    rules = MarginRules(maintenance_margin=D("0.25"))
    assert rules.is_margin_call(D(249), D(1000))
    assert not rules.is_margin_call(D(250), D(1000))
    assert not rules.is_margin_call(D(-5), D(0))


def test_bad_rules_are_rejected() -> None:
    with pytest.raises(ValidationError, match="max_leverage 0 must be > 0"):
        MarginRules(max_leverage=D(0))
    with pytest.raises(ValidationError, match=r"maintenance_margin -0\.1 is negative"):
        MarginRules(maintenance_margin=D("-0.1"))
