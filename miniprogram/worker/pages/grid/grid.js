/**
 * Grid cases — 网格工单: the open cases of my grid(s), whoever holds them, overdue first; read-only
 * unless they are mine. A filter shows only the overdue ones.
 */
const { get } = require('../../../utils/request');

const PAGE_SIZE = 30;
const FILTERS = [
  { key: 'all', label: '全部未办结' },
  { key: 'overdue', label: '已超时' },
];

Component({
  data: {
    filters: FILTERS,
    filter: 'all',
    items: [],
    page: 1,
    hasMore: false,
    loadState: 'loading', // loading | ready | error | forbidden
    loadingMore: false,
  },

  methods: {
    onLoad() {
      return this.reload();
    },

    onPullDownRefresh() {
      return this.reload().then(() => wx.stopPullDownRefresh());
    },

    onReachBottom() {
      if (!this.data.hasMore || this.data.loadingMore) return Promise.resolve();
      this.setData({ loadingMore: true });
      return this.fetch(this.data.page + 1)
        .then((found) => this.setData({
          items: this.data.items.concat(found), page: this.data.page + 1, hasMore: found.length === PAGE_SIZE,
        }), () => {})
        .then(() => this.setData({ loadingMore: false }));
    },

    onFilterTap(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.filter) return Promise.resolve();
      this.setData({ filter: key, items: [] });
      return this.reload();
    },

    fetch(page) {
      const query = { view: 'grid', open: true, page, page_size: PAGE_SIZE };
      if (this.data.filter === 'overdue') query.overdue = true;
      return get('/api/v1/cases', query, { silent: true });
    },

    reload() {
      const filter = this.data.filter;
      if (!this.data.items.length) this.setData({ loadState: 'loading' });
      return this.fetch(1).then(
        (found) => {
          if (filter !== this.data.filter) return;
          this.setData({ items: found, page: 1, hasMore: found.length === PAGE_SIZE, loadState: 'ready' });
        },
        (error) => this.setData({ loadState: error.status === 403 ? 'forbidden' : 'error' }),
      );
    },

    onOpen(e) {
      wx.navigateTo({ url: `/worker/pages/task/task?id=${e.detail.id}` });
    },
  },
});
