/**
 * Paged list — 分页列表: the state and handlers every list page shares, as a Behavior.
 *
 * The page defines `fetchPage(page)`, resolving a silent read of the request module made with
 * `withHeaders: true` ({data, headers}), and may define `listItem(row)` to shape a row for display.
 * It calls `reload()` when it opens (and after a tab change, `reload({clear: true})`); the behaviour
 * refreshes on pull-down and loads the next page on reach-bottom while the API's X-Pagination header
 * names a next page.
 *
 * On a bad connection nothing shown is lost: a failed reload keeps the list on screen (and toasts
 * why), and shows the error in place only when there is nothing to show; a failed load-more keeps
 * the list, sets `moreError`, and the next reach-bottom or `loadMore()` (a footer's tap) asks for
 * the same page again.
 *
 * Data, under `list`: items, page (the last one loaded), hasMore, loading (page 1 in flight; true
 * from the start, as every list page loads when it opens), loadingMore, error (page 1 failed with
 * nothing shown: the message), errorStatus (its HTTP status; 0 for a network failure), moreError.
 */

const FAILED_TEXT = '加载失败，请稍后重试';

/** Whether the X-Pagination header (flask-smorest: total, total_pages, page, next_page …) names a next page. */
function hasNextPage(headers) {
  try {
    const meta = JSON.parse((headers && headers['x-pagination']) || '{}');
    return !!(meta && meta.next_page);
  } catch (e) {
    return false; // no readable header: this page is the last we know of
  }
}

function toastFailure(error) {
  wx.showToast({ title: (error && error.message) || FAILED_TEXT, icon: 'none' });
}

module.exports = Behavior({
  data: {
    list: {
      items: [],
      page: 0,
      hasMore: false,
      loading: true,
      loadingMore: false,
      error: '',
      errorStatus: 0,
      moreError: false,
    },
  },

  methods: {
    /** Page `page` as {items, hasMore}; rejects as the request module does. */
    readListPage(page) {
      return new Promise((resolve) => resolve(this.fetchPage(page))).then((response) => ({
        items: (response.data || []).map((row) => (this.listItem ? this.listItem(row) : row)),
        hasMore: hasNextPage(response.headers),
      }));
    },

    /**
     * Load page 1 in place of the list (which stays on screen until it arrives); `{clear: true}` empties
     * it first, for another tab or filter. Answers to earlier loads arriving later are dropped.
     * Also a tap handler (a retry button), so its argument may be an event.
     */
    reload(options) {
      const clear = !!(options && options.clear === true);
      this.listGeneration = (this.listGeneration || 0) + 1;
      const generation = this.listGeneration;
      const start = {
        'list.loading': true, 'list.loadingMore': false, 'list.error': '', 'list.errorStatus': 0, 'list.moreError': false,
      };
      if (clear) Object.assign(start, { 'list.items': [], 'list.page': 0, 'list.hasMore': false });
      this.setData(start);
      return this.readListPage(1).then(({ items, hasMore }) => {
        if (generation !== this.listGeneration) return;
        this.setData({ 'list.items': items, 'list.page': 1, 'list.hasMore': hasMore, 'list.loading': false });
      }, (error) => {
        if (generation !== this.listGeneration) return;
        const shown = this.data.list.items.length > 0;
        this.setData({
          'list.loading': false,
          'list.error': shown ? '' : (error && error.message) || FAILED_TEXT,
          'list.errorStatus': shown ? 0 : (error && error.status) || 0,
        });
        if (shown) toastFailure(error);
      });
    },

    /** Append the next page, unless there is none, or a load is in flight. Also the retry footer's tap handler. */
    loadMore() {
      const { list } = this.data;
      if (!list.hasMore || list.loading || list.loadingMore) return Promise.resolve();
      const generation = this.listGeneration;
      const page = list.page + 1;
      this.setData({ 'list.loadingMore': true, 'list.moreError': false });
      return this.readListPage(page).then(({ items, hasMore }) => {
        if (generation !== this.listGeneration) return;
        // Only the new rows cross to the view layer: a long list on a cheap phone stays quick.
        const update = { 'list.page': page, 'list.hasMore': hasMore, 'list.loadingMore': false };
        const offset = this.data.list.items.length;
        items.forEach((item, i) => { update[`list.items[${offset + i}]`] = item; });
        this.setData(update);
      }, (error) => {
        if (generation !== this.listGeneration) return;
        this.setData({ 'list.loadingMore': false, 'list.moreError': true });
        toastFailure(error);
      });
    },

    onPullDownRefresh() {
      return this.reload().then(() => wx.stopPullDownRefresh());
    },

    onReachBottom() {
      return this.loadMore();
    },
  },
});
