/** 志愿服务 — the activity list (upcoming or past), the volunteer's shortcuts and, for organisers, theirs. */
const { api, appendPage, toastError } = require('../../../utils/volunteer');

const SHORTCUTS = [
  { key: 'shifts', text: '我的班次', icon: 'calendar', url: '/pages/volunteer/shifts/shifts' },
  { key: 'checkin', text: '扫码签到', icon: 'scan', url: '/pages/volunteer/checkin/checkin' },
  { key: 'me', text: '时长积分', icon: 'heart', url: '/pages/volunteer/me/me' },
  { key: 'shop', text: '爱心超市', icon: 'shop', url: '/pages/volunteer/shop/shop' },
];

Component({
  data: {
    shortcuts: SHORTCUTS,
    when: 'upcoming',
    items: [],
    page: 1,
    more: false,
    loading: false,
    loadingMore: false,
    error: '',
    organiser: false,
  },

  methods: {
    onShow() {
      this.load(1);
      this.checkOrganiser();
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

    /** Page 1 replaces the list (a spinner only when nothing is shown yet); later pages append. */
    load(page) {
      const { when } = this.data;
      this.setData(page === 1 ? { loading: !this.data.items.length, error: '' } : { loadingMore: true });
      return api.activities({ when, page })
        .then((rows) => {
          if (when !== this.data.when) return; // the tab changed meanwhile
          const { items, more } = appendPage(this.data.items, rows, page);
          this.setData({ items, more, page, loading: false, loadingMore: false });
        })
        .catch((error) => {
          const inPlace = page === 1 && !this.data.items.length;
          this.setData({ loading: false, loadingMore: false, error: inPlace ? error.message : '' });
          if (!inPlace) toastError(error);
        });
    },

    /** Organisers (committee, team organisers) see an entry to the activities they run. */
    checkOrganiser() {
      return api.activities({ managed: true, when: 'all' })
        .then((rows) => this.setData({ organiser: rows.length > 0 }), () => {});
    },

    onRetry() {
      this.load(1);
    },

    onOpen(e) {
      wx.navigateTo({ url: `/pages/volunteer/activity/activity?id=${e.detail.id}` });
    },

    onShortcut(e) {
      wx.navigateTo({ url: e.currentTarget.dataset.url });
    },

    onOrganiser() {
      wx.navigateTo({ url: '/organizer/pages/activities/activities' });
    },
  },
});
