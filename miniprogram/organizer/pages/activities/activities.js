/** 组织者 · 我的活动 — the activities I run (as committee or team organiser), drafts and cancelled ones too. */
const { api } = require('../../../utils/volunteer');
const pagedList = require('../../../behaviors/paged-list');

Component({
  behaviors: [pagedList],

  data: {
    when: 'upcoming',
  },

  methods: {
    onShow() {
      this.reload();
    },

    onTabChange(e) {
      this.setData({ when: e.detail.value });
      this.reload({ clear: true });
    },

    fetchPage(page) {
      return api.activities({ when: this.data.when, page, managed: true }, { withHeaders: true });
    },

    onOpen(e) {
      wx.navigateTo({ url: `/organizer/pages/activity/activity?id=${e.detail.id}` });
    },
  },
});
