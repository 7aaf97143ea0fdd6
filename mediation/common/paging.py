"""Pagination counted and cut in the database."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from mediation.extensions import db


def paginate(query, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """One page of `query` and the total, both counted in the database."""
    page = max(int(page or 1), 1)
    per_page = min(max(int(per_page or 50), 1), 200)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return {"items": items, "total": total, "page": page, "per_page": per_page}
