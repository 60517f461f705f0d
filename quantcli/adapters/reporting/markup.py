"""HTML building blocks every report shares: escaping, number and cell formatting, tables,
the page shell (with plotly.js when the page has charts) and the atomic file write.

Metric formatting, decided by the metric key (case-insensitive):
- ends with ``_pct``, ``return``, ``drawdown``, ``_rate``, ``volatility``, ``cagr`` or
  ``exposure``: the value is a fraction shown as a percentage with 2 decimals
  (``-0.1234`` -> ``-12.34%``);
- starts with ``num_``/``n_`` or ends with ``_count``/``trades``/``_duration`` and the value is
  whole: an integer;
- anything else: 2 decimals with thousands separators; NaN and infinities show as ``n/a``.
"""

from __future__ import annotations

import html
import math
import os
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quantcli.adapters.reporting.plotly_base import CHART_CLASS, plotly_js
from quantcli.domain.errors import StorageError

CellFormat = Callable[[Any], str]

_PERCENT_SUFFIXES = ("_pct", "return", "drawdown", "_rate", "volatility", "cagr", "exposure")
_COUNT_PREFIXES = ("num_", "n_")
_COUNT_SUFFIXES = ("_count", "trades", "_duration")
# Configuration should hold no secrets (they come from the environment); this is a backstop.
_SECRET_KEY = re.compile(r"password|secret|token|api_?key|credential", re.IGNORECASE)
_MASK = "********"

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1060px;
color:#1d1d1f;padding:0 1rem}
h1{margin-bottom:.2rem}.period{color:#666;margin-top:0}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .7rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;height:auto;display:block;margin:.5rem 0}
dl{margin:.3rem 0 .3rem 0}dt{font-weight:600}dd{margin:0 0 .3rem 1.2rem}
.note{color:#666;font-size:.9rem}
.warning{background:#fdecea;border:2px solid #b8322a;color:#7a1c16;padding:.7rem 1rem;
margin:1rem 0;border-radius:4px;font-weight:600}
td.neg{color:#b8322a}td.pos{color:#1d7a3a}
tr.liquidation td{background:#fdecea}tr.same-bar-close td{background:#fff4d6}
tr.flagged td{background:#eef0f7}
.flag{font-weight:600;color:#7a1c16}tr.same-bar-close .flag{color:#7a5200}
tr.gap td{text-align:center;color:#666;font-style:italic}
tr.total th,tr.total td{font-weight:600;border-top:2px solid #999}
"""


def format_metric(key: str, value: float) -> str:
    """Format one metric value as the module docstring describes."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "n/a"
    name = key.lower()
    if name.endswith(_PERCENT_SUFFIXES):
        return f"{number * 100:,.2f}%"
    if (name.startswith(_COUNT_PREFIXES) or name.endswith(_COUNT_SUFFIXES)) and number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def cell_text(value: Any) -> str:
    """Readable text for one table cell or axis end: trims float noise, blanks missing values."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | Decimal):
        text = f"{value:,.6f}".rstrip("0").rstrip(".")
        return text if text not in ("", "-0") else "0"
    return str(value)


def date_text(value: Any) -> str:
    """A timestamp as its date (YYYY-MM-DD) when it falls on midnight, else as cell_text."""
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.strftime("%Y-%m-%d")
    return cell_text(value)


def metric_format(column: str) -> CellFormat:
    """A cell format applying format_metric's rules for `column`."""
    return lambda value: format_metric(column, value)


def page(title: str, sections: Iterable[str]) -> str:
    """The whole HTML document: head with the style sheet (and plotly.js, once, when a
    section holds a chart), then the non-empty sections."""
    heading = esc(title)
    body = "\n".join(section for section in sections if section)
    script = f"{plotly_js()}\n" if CHART_CLASS in body else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{heading}</title>\n<style>{STYLE}</style>\n{script}</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def period_line(equity: pd.Series) -> str:
    if equity.empty:
        return '<p class="period">No equity points.</p>'
    first, last = esc(date_text(equity.index[0])), esc(date_text(equity.index[-1]))
    return f'<p class="period">{first} to {last} · {len(equity):,} points</p>'


def frame_table(
    frame: pd.DataFrame,
    css: str,
    *,
    headers: Mapping[str, str] | None = None,
    formats: Mapping[str, CellFormat] | None = None,
    row_classes: Sequence[str] | None = None,
    gap: tuple[int, str] | None = None,
) -> str:
    """A table of `frame`'s columns (the index is left out), one row per frame row.

    Cells are cell_text unless `formats` names their column (a column of timestamps all at
    midnight, daily bars, shows dates: YYYY-MM-DD); numbers are right-aligned.
    `headers` relabels columns, `row_classes` gives each row a CSS class ("" for none) and
    `gap` = (position, text) puts a full-width note row before that row (e.g. rows omitted).
    """
    columns = [str(column) for column in frame.columns]
    labels = headers or {}
    header = "".join(f"<th>{esc(labels.get(column, column))}</th>" for column in columns)
    cell_formats = [
        (formats or {}).get(column) or _daily_format(frame.iloc[:, position])
        for position, column in enumerate(columns)
    ]
    rows = []
    for position, values in enumerate(frame.itertuples(index=False, name=None)):
        if gap is not None and position == gap[0]:
            rows.append(f'<tr class="gap"><td colspan="{len(columns)}">{esc(gap[1])}</td></tr>')
        css_class = row_classes[position] if row_classes is not None else ""
        opening = f'<tr class="{esc(css_class)}">' if css_class else "<tr>"
        rows.append(f"{opening}{_row_cells(values, cell_formats)}</tr>")
    return f'<table class="{esc(css)}"><tr>{header}</tr>{"".join(rows)}</table>'


def _daily_format(column: pd.Series) -> CellFormat | None:
    """date_text for a column of timestamps that all fall on midnight, else None."""
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        return None
    stamps = pd.DatetimeIndex(column.dropna())
    return date_text if len(stamps) and bool((stamps == stamps.normalize()).all()) else None


def _row_cells(values: Iterable[Any], cell_formats: Sequence[CellFormat | None]) -> str:
    cells = []
    for raw, cell_format in zip(values, cell_formats, strict=True):
        value = raw.item() if isinstance(raw, np.generic) else raw
        numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        css = ' class="num"' if numeric else ""
        text = cell_format(value) if cell_format is not None else cell_text(value)
        cells.append(f"<td{css}>{esc(text)}</td>")
    return "".join(cells)


def definition_list(config: Mapping[str, Any]) -> str:
    if not config:
        return '<p class="note">No configuration.</p>'
    items = []
    for key, value in config.items():
        if _SECRET_KEY.search(str(key)):
            shown = esc(_MASK)
        elif isinstance(value, Mapping):
            shown = definition_list(value)
        elif isinstance(value, list | tuple):
            shown = esc(", ".join(str(item) for item in value))
        else:
            shown = esc(value)
        items.append(f"<dt>{esc(key)}</dt><dd>{shown}</dd>")
    return f"<dl>{''.join(items)}</dl>"


def write_atomically(path: Path, text: str, what: str = "report") -> Path:
    """Write `text` to a temporary file beside `path`, then rename it over `path`: readers
    see the old file or the new one, never half of one. Creates parent folders."""
    path = Path(path)
    # Same folder as the target so os.replace is a rename, never a cross-device copy.
    staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with staging.open("x", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(staging, path)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise StorageError(f"cannot write {what} {path}: {exc}") from exc
    return path
