/** 我的班次 — my sign-ups, upcoming or past: status, waitlist position, attendance; check in or cancel. */
const {
  api, confirm, formatRange, signupStatusText, attendanceText, checkinOpen, parseTime,
} = require('../../../utils/volunteer');
const pagedList = require('../../../behaviors/paged-list');

/** A sign-up as the list shows it. */
function row(signup, now = Date.now()) {
  const start = parseTime(signup.starts_at);
  const live = signup.status === 'confirmed' || signup.status === 'waitlisted';
  const open = !signup.attendance || !signup.attendance.closed_at;
  return Object.assign({}, signup, {
    when: formatRange(signup.starts_at, signup.ends_at),
    statusText: signupStatusText(signup),
    attendanceText: attendanceText(signup.attendance),
    canCheckIn: signup.status === 'confirmed' && open && checkinOpen(signup.starts_at, signup.ends_at, new Date(now)),
    canCancel: live && !!start && now < start.getTime(),
  });
}

Component({
  behaviors: [pagedList],

  data: {
    when: 'upcoming',
    busyId: null,
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
      return api.mySignups({ when: this.data.when, page }, { withHeaders: true });
    },

    listItem: row,

    onOpen(e) {
      wx.navigateTo({ url: `/pages/volunteer/activity/activity?id=${e.currentTarget.dataset.activity}` });
    },

    onCheckIn(e) {
      wx.navigateTo({ url: `/pages/volunteer/checkin/checkin?shift=${e.currentTarget.dataset.shift}` });
    },

    onCancel(e) {
      const { id } = e.currentTarget.dataset;
      if (this.data.busyId) return Promise.resolve();
      // A sign-up does not carry its shift's cancellation cutoff, so the warning names it in general.
      const content = '取消后名额将让给候补的志愿者；过了取消截止时间再取消会记入记录。确定取消吗？';
      return confirm({ title: '取消报名', content, confirmText: '确定取消', cancelText: '再想想' }).then((ok) => {
        if (!ok) return null;
        this.setData({ busyId: id });
        return api.cancelSignup(id)
          .then(() => wx.showToast({ title: '已取消报名', icon: 'success' }), () => {})
          .then(() => this.reload())
          .then(() => this.setData({ busyId: null }));
      });
    },

    onFindActivities() {
      wx.navigateTo({ url: '/pages/volunteer/activities/activities' });
    },
  },
});
