"""Page through a query for flask-smorest's `@blp.paginate()` lists."""
from __future__ import annotations

import sqlalchemy as sa

from backend.core.errors import Unprocessable
from backend.extensions import db

# flask-smorest bounds page_size (≤ 100) but not page; an absurd page would overflow the OFFSET.
MAX_PAGE = 100_000


def paginate(query, pagination_parameters) -> list:
    """The requested page of `query`; sets the total for the `X-Pagination` header."""
    _refuse_absurd_page(pagination_parameters)
    page = db.paginate(query, page=pagination_parameters.page, per_page=pagination_parameters.page_size,
                       error_out=False)
    pagination_parameters.item_count = page.total
    return page.items


def paginate_rows(query, pagination_parameters) -> list[sa.Row]:
    """The requested page of a query selecting several columns, as rows (`paginate` keeps the first column only)."""
    _refuse_absurd_page(pagination_parameters)
    size = pagination_parameters.page_size
    pagination_parameters.item_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    return list(db.session.execute(query.limit(size).offset((pagination_parameters.page - 1) * size)))


def _refuse_absurd_page(pagination_parameters) -> None:
    if pagination_parameters.page > MAX_PAGE:
        raise Unprocessable(errors={"query": {"page": [f"Must be less than or equal to {MAX_PAGE}."]}})
