"""``format=csv``: RFC 4180 CSV in UTF-8 with a header row; a missing value is an empty cell.
``bom=true`` starts it with a byte order mark: Excel in Japanese locales reads a CSV without one
as Shift_JIS and garbles every name.

The sources' credit lines, which the data's terms require with every copy, are the last column,
``attribution``, on every row (joined by " / "): the file stays one rectangle that any CSV reader
takes as it is, and a row copied out of it keeps its credit. Trailing lines after the data would
be read as rows by every parser not told to stop at them."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence

from chiiki_shared.cache import Rendered
from chiiki_stats.formats.base import Table

MEDIA_TYPE = "text/csv; charset=utf-8"


CREDIT_SEPARATOR = " / "


def render(table: Table, name: str, *, bom: bool = False, credits: Sequence[str] = ()) -> Rendered:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    credit = [CREDIT_SEPARATOR.join(credits)] if credits else []
    writer.writerow([*table.columns, *(["attribution"] if credit else [])])
    writer.writerows(
        [["" if cell is None else cell for cell in row] + credit for row in table.rows]
    )
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    body = buffer.getvalue().encode("utf-8")
    return Rendered(codecs.BOM_UTF8 + body if bom else body, MEDIA_TYPE, headers)
