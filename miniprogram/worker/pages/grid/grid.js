/**
 * Grid cases — 网格工单: the open cases of my grid(s), whoever holds them, overdue first; read-only
 * unless they are mine. A filter shows only the overdue ones.
 */
const { get } = require('../../../utils/request');
const pagedList = require('../../../behaviors/paged-list');

const PAGE_SIZE = 30;
const FILTERS = [
  { key: 'all', label: '全部未办结' },
  { key: 'overdue', label: '已超时' },
];

Component({
  behaviors: [pagedList],

  data: {
    filters: FILTERS,
    filter: 'all',
  },

  methods: {
    onLoad() {
      return this.reload();
    },

    onFilterTap(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.filter) return Promise.resolve();
      this.setData({ filter: key });
      return this.reload({ clear: true });
    },

    fetchPage(page) {
      const query = { view: 'grid', open: true, page, page_size: PAGE_SIZE };
      if (this.data.filter === 'overdue') query.overdue = true;
      return get('/api/v1/cases', query, { silent: true, withHeaders: true });
    },

    onOpen(e) {
      wx.navigateTo({ url: `/worker/pages/task/task?id=${e.detail.id}` });
    },
  },
});
