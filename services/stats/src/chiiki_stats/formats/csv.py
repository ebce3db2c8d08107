"""``format=csv``: RFC 4180 CSV in UTF-8 with a header row; a missing value is an empty cell."""

from __future__ import annotations

import csv
import io

from chiiki_shared.cache import Rendered
from chiiki_stats.formats.base import Table

MEDIA_TYPE = "text/csv; charset=utf-8"


def render(table: Table, name: str) -> Rendered:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([["" if cell is None else cell for cell in row] for row in table.rows])
    headers = {"Content-Disposition": f'attachment; filename="{name}.csv"'}
    return Rendered(buffer.getvalue().encode("utf-8"), MEDIA_TYPE, headers)
