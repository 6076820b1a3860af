/**
 * My cases — 我的反映: what I reported or follow, in progress or finished, newest first, with status
 * and overdue; a tap opens the timeline. Reloads on show, so a confirmation made elsewhere is seen.
 */
const { get } = require('../../../utils/request');

const PAGE_SIZE = 20;
const TABS = [
  { key: 'open', label: '办理中' },
  { key: 'done', label: '已完成' },
];

Component({
  data: {
    tabs: TABS,
    tab: 'open',
    items: [],
    page: 1,
    hasMore: false,
    loadState: 'loading', // loading | ready | error
    loadingMore: false,
  },

  methods: {
    onShow() {
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

    onTabTap(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.tab) return Promise.resolve();
      this.setData({ tab: key, items: [] });
      return this.reload();
    },

    fetch(page) {
      const query = { view: 'mine', open: this.data.tab === 'open', page, page_size: PAGE_SIZE };
      return get('/api/v1/cases', query, { silent: true });
    },

    reload() {
      const tab = this.data.tab;
      if (!this.data.items.length) this.setData({ loadState: 'loading' });
      return this.fetch(1).then(
        (found) => {
          if (tab !== this.data.tab) return; // switched meanwhile
          this.setData({ items: found, page: 1, hasMore: found.length === PAGE_SIZE, loadState: 'ready' });
        },
        (error) => {
          if (this.data.items.length) wx.showToast({ title: error.message, icon: 'none' });
          else this.setData({ loadState: 'error' });
        },
      );
    },

    onOpen(e) {
      wx.navigateTo({ url: `/pages/cases/detail/detail?id=${e.detail.id}` });
    },

    goReport() {
      wx.navigateTo({ url: '/pages/cases/report/report' });
    },
  },
});
