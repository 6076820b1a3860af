/**
 * My cases — 我的反映: what I reported or follow, in progress or finished, newest first, with status
 * and overdue; a tap opens the timeline. Reloads on show, so a confirmation made elsewhere is seen.
 */
const { get } = require('../../../utils/request');
const pagedList = require('../../../behaviors/paged-list');

const PAGE_SIZE = 20;
const TABS = [
  { key: 'open', label: '办理中' },
  { key: 'done', label: '已完成' },
];

Component({
  behaviors: [pagedList],

  data: {
    tabs: TABS,
    tab: 'open',
  },

  methods: {
    onShow() {
      return this.reload();
    },

    onTabTap(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.tab) return Promise.resolve();
      this.setData({ tab: key });
      return this.reload({ clear: true });
    },

    fetchPage(page) {
      const query = { view: 'mine', open: this.data.tab === 'open', page, page_size: PAGE_SIZE };
      return get('/api/v1/cases', query, { silent: true, withHeaders: true });
    },

    onOpen(e) {
      wx.navigateTo({ url: `/pages/cases/detail/detail?id=${e.detail.id}` });
    },

    goReport() {
      wx.navigateTo({ url: '/pages/cases/report/report' });
    },
  },
});
