"""``format=csv``: RFC 4180 CSV in UTF-8 with a header row; a missing value is an empty cell.
``bom=true`` starts it with a byte order mark: Excel in Japanese locales reads a CSV without one
as Shift_JIS and garbles every name."""

from __future__ import annotations

import codecs
import csv
import io

from chiiki_shared.cache import Rendered
from chiiki_stats.formats.base import Table

MEDIA_TYPE = "text/csv; charset=utf-8"


def render(table: Table, name: str, *, bom: bool = False) -> Rendered:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([["" if cell is None else cell for cell in row] for row in table.rows])
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    body = buffer.getvalue().encode("utf-8")
    return Rendered(codecs.BOM_UTF8 + body if bom else body, MEDIA_TYPE, headers)
