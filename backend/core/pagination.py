"""Page through a query for flask-smorest's `@blp.paginate()` lists."""
from __future__ import annotations

from backend.core.errors import Unprocessable
from backend.extensions import db

# flask-smorest bounds page_size (≤ 100) but not page; an absurd page would overflow the OFFSET.
MAX_PAGE = 100_000


def paginate(query, pagination_parameters) -> list:
    """The requested page of `query`; sets the total for the `X-Pagination` header."""
    if pagination_parameters.page > MAX_PAGE:
        raise Unprocessable(errors={"query": {"page": [f"Must be less than or equal to {MAX_PAGE}."]}})
    page = db.paginate(query, page=pagination_parameters.page, per_page=pagination_parameters.page_size,
                       error_out=False)
    pagination_parameters.item_count = page.total
    return page.items
