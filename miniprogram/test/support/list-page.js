/**
 * A page of a list as the request module resolves it with `withHeaders: true`: {data, headers,
 * statusCode}, with the X-Pagination header shaped as flask-smorest sends it (header names in lower case).
 */
function listPage(items, { page = 1, totalPages = 1, total = items.length } = {}) {
  const meta = { total, total_pages: totalPages };
  if (totalPages) Object.assign(meta, { first_page: 1, last_page: totalPages, page });
  if (page > 1) meta.previous_page = page - 1;
  if (page < totalPages) meta.next_page = page + 1;
  return { data: items, headers: { 'x-pagination': JSON.stringify(meta) }, statusCode: 200 };
}

/** A mocked `get(url, data, options)` answer: the list page when the caller asked for headers, else the body. */
function asRead(body, options) {
  return options && options.withHeaders && Array.isArray(body) ? listPage(body) : body;
}

module.exports = { listPage, asRead };
