/** 我的班次 — my sign-ups, upcoming or past: status, waitlist position, attendance; check in or cancel. */
const {
  api, appendPage, toastError, confirm, formatRange, signupStatusText, attendanceText, checkinOpen, parseTime,
} = require('../../../utils/volunteer');

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
  data: {
    when: 'upcoming',
    items: [],
    page: 1,
    more: false,
    loading: false,
    loadingMore: false,
    error: '',
    busyId: null,
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
      return api.mySignups({ when, page })
        .then((rows) => {
          if (when !== this.data.when) return;
          const { items, more } = appendPage(this.data.items, rows.map((s) => row(s)), page);
          this.setData({ items, more, page, loading: false, loadingMore: false });
        })
        .catch((error) => {
          const inPlace = page === 1 && !this.data.items.length;
          this.setData({ loading: false, loadingMore: false, error: inPlace ? error.message : '' });
          if (!inPlace) toastError(error);
        });
    },

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
          .then(() => this.load(1))
          .then(() => this.setData({ busyId: null }));
      });
    },

    onRetry() {
      this.load(1);
    },

    onFindActivities() {
      wx.navigateTo({ url: '/pages/volunteer/activities/activities' });
    },
  },
});
