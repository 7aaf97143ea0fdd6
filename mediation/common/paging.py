"""Pagination counted and cut in the database; counting stops at EXACT_UP_TO rows (docs/api-notes.md)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal, select

from mediation.extensions import db

EXACT_UP_TO = 10_000  # `total` is exact up to this many rows; above it a lower bound, `total_exact: false`


def paginate(query, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """One page of `query` and the total.

    The page comes first: a page that is not full ends the list, so its total needs no count. Else
    the count reads at most EXACT_UP_TO + 1 rows; when there are more, `total` is a lower bound and
    the envelope says `total_exact: false`, so no page ever counts a million rows.
    """
    page = max(int(page or 1), 1)
    per_page = min(max(int(per_page or 50), 1), 200)
    offset = (page - 1) * per_page
    items = list(db.session.scalars(query.limit(per_page).offset(offset)).unique())
    out: dict[str, Any] = {"items": items, "page": page, "per_page": per_page}
    if 0 < len(items) < per_page or (page == 1 and not items):
        out["total"] = offset + len(items)
        return out
    rows = (query.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
            .limit(EXACT_UP_TO + 1).subquery())
    total = db.session.scalar(select(func.count()).select_from(rows)) or 0
    if total > EXACT_UP_TO:
        out["total"] = max(EXACT_UP_TO + 1, offset + len(items) if items else 0)  # rows seen, at least
        out["total_exact"] = False
    else:
        out["total"] = total
    return out
