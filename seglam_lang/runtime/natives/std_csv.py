"""Native module `std.csv`: CSV text to rows (lists or maps by header) and back.

Owns `parse`, `parse_records`, `write`, `write_records` (Python's `csv` dialect "excel":
quoting with `"`, doubled quotes inside, any line ending). Cells are `Str`; converting them is
the caller's job (`int(row["qty"])`). Invariants: a record row with a different number of
cells than the header is an error naming the line; output size is checked; rows round-trip.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from seglam_lang.runtime.natives import native

_ROWS_PER_TIME_CHECK = 4096  # rows read or written between two looks at the clock (about a millisecond)


def _rows(ctx: Any, text: str, delimiter: str) -> list[list[str]]:
    if len(delimiter) != 1:
        raise ValueError(f"the delimiter must be one character, got {delimiter!r}")
    ctx.charge_items(len(text))  # the C reader: about an item's time per character
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            rows.append(row)
            if not len(rows) % _ROWS_PER_TIME_CHECK:  # a long text stops at the time limit, not after it
                ctx.check_time()
    except csv.Error as e:
        raise ValueError(f"invalid CSV: {e}") from None
    ctx.check_collection_len(len(rows))
    return rows


@native("std.csv", 'parse(text: Str, delimiter: Str = ",") -> List[List[Str]]')
def parse(ctx: Any, text: str, delimiter: str) -> list[list[str]]:
    """The rows of a CSV text, each a list of cells."""
    return _rows(ctx, text, delimiter)


@native("std.csv", 'parse_records(text: Str, delimiter: Str = ",") -> List[Map[Str, Str]]')
def parse_records(ctx: Any, text: str, delimiter: str) -> list[dict[str, str]]:
    """The rows after the header row, each a map from header to cell."""
    rows = _rows(ctx, text, delimiter)
    if not rows:
        return []
    ctx.charge(len(rows))  # an interpreted loop: a step per row
    header, out = rows[0], []
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"CSV row {n} has {len(row)} cells, the header has {len(header)}")
        out.append(dict(zip(header, row)))
    return out


def _write(ctx: Any, rows: list[list[str]], delimiter: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    ctx.charge(len(rows))  # an interpreted loop: a step per row, and the cells written
    ctx.charge_items(sum(map(len, rows)))
    size = 0
    for n, row in enumerate(rows, start=1):
        size += sum(len(c) + 1 for c in row)  # at least each cell and its separator or newline
        ctx.check_str_len(size)
        writer.writerow(row)
        if not n % _ROWS_PER_TIME_CHECK:
            ctx.check_time()
    text = buf.getvalue()
    ctx.check_str_len(len(text))
    return text


@native("std.csv", 'write(rows: List[List[Str]], delimiter: Str = ",") -> Str')
def write(ctx: Any, rows: list[list[str]], delimiter: str) -> str:
    """CSV text of the rows, one line each, cells quoted where needed."""
    return _write(ctx, rows, delimiter)


@native("std.csv", 'write_records(records: List[Map[Str, Str]], delimiter: Str = ",") -> Str')
def write_records(ctx: Any, records: list[dict[str, str]], delimiter: str) -> str:
    """CSV text with a header row (the keys of the first record) and one row per record."""
    if not records:
        return ""
    header = list(records[0])
    rows = [header]
    for n, r in enumerate(records, start=1):
        if list(r) != header:
            raise ValueError(f"record {n} has keys {list(r)}, the first record has {header}")
        rows.append([r[k] for k in header])
    return _write(ctx, rows, delimiter)
