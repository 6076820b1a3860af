/** 组织者 · 我的活动 — the activities I run (as committee or team organiser), drafts and cancelled ones too. */
const { api, appendPage, toastError } = require('../../../utils/volunteer');

Component({
  data: {
    when: 'upcoming',
    items: [],
    page: 1,
    more: false,
    loading: false,
    loadingMore: false,
    error: '',
  },

  methods: {
    onShow() {
      this.load(1);
    },

    onPullDownRefresh() {
      return this.load(1).then(() => wx.stopPullDownRefresh());
    },

    onReachBottom() {
      if (this.data.more && !this.data.loadingMore && !this.data.loading) this.load(this.data.page + 1);
    },

    onTabChange(e) {
      this.setData({ when: e.detail.value, items: [] });
      this.load(1);
    },

    load(page) {
      const { when } = this.data;
      this.setData(page === 1 ? { loading: !this.data.items.length, error: '' } : { loadingMore: true });
      return api.activities({ when, page, managed: true })
        .then((rows) => {
          if (when !== this.data.when) return;
          const { items, more } = appendPage(this.data.items, rows, page);
          this.setData({ items, more, page, loading: false, loadingMore: false });
        })
        .catch((error) => {
          const inPlace = page === 1 && !this.data.items.length;
          this.setData({ loading: false, loadingMore: false, error: inPlace ? error.message : '' });
          if (!inPlace) toastError(error);
        });
    },

    onOpen(e) {
      wx.navigateTo({ url: `/organizer/pages/activity/activity?id=${e.detail.id}` });
    },

    onRetry() {
      this.load(1);
    },
  },
});
