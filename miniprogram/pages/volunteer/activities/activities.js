/** 志愿服务 — the activity list (upcoming or past), the volunteer's shortcuts and, for organisers, theirs. */
const { api } = require('../../../utils/volunteer');
const pagedList = require('../../../behaviors/paged-list');

const SHORTCUTS = [
  { key: 'shifts', text: '我的班次', icon: 'calendar', url: '/pages/volunteer/shifts/shifts' },
  { key: 'checkin', text: '扫码签到', icon: 'scan', url: '/pages/volunteer/checkin/checkin' },
  { key: 'me', text: '时长积分', icon: 'heart', url: '/pages/volunteer/me/me' },
  { key: 'shop', text: '爱心超市', icon: 'shop', url: '/pages/volunteer/shop/shop' },
];

Component({
  behaviors: [pagedList],

  data: {
    shortcuts: SHORTCUTS,
    when: 'upcoming',
    organiser: false,
  },

  methods: {
    onShow() {
      this.reload();
      this.checkOrganiser();
    },

    onTabChange(e) {
      this.setData({ when: e.detail.value });
      this.reload({ clear: true });
    },

    fetchPage(page) {
      return api.activities({ when: this.data.when, page }, { withHeaders: true });
    },

    /** Organisers (committee, team organisers) see an entry to the activities they run. */
    checkOrganiser() {
      return api.activities({ managed: true, when: 'all' })
        .then((rows) => this.setData({ organiser: rows.length > 0 }), () => {});
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
