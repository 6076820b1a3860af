/**
 * 活动详情 — an activity and its shifts (places left, waitlist, my sign-up); sign up, join the
 * waitlist or cancel. Notifications link here: pages/volunteer/activity/activity?id=<id>.
 */
const { api, confirm, consentTemplates, askConsent } = require('../../../utils/volunteer');

Component({
  data: {
    id: null,
    activity: null,
    loading: true,
    error: '',
    busyShiftId: null, // the shift whose sign-up or cancellation is in flight
  },

  methods: {
    onLoad(query) {
      this.setData({ id: Number(query.id) || null });
      this.templates = [];
      consentTemplates().then((ids) => { this.templates = ids; });
    },

    onShow() {
      if (this.data.id) this.load();
      else this.setData({ loading: false, error: '未找到该活动' });
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    load() {
      this.setData({ loading: !this.data.activity, error: '' });
      return api.activity(this.data.id)
        .then((activity) => this.setData({ activity, loading: false }))
        .catch((error) => this.setData({ loading: false, error: this.data.activity ? '' : error.message }));
    },

    onSignup(e) {
      const { shiftId } = e.detail;
      if (this.data.busyShiftId) return Promise.resolve();
      this.setData({ busyShiftId: shiftId });
      askConsent(this.templates); // in the tap, as WeChat requires; the sign-up does not wait for it
      return api.signUp(shiftId)
        .then((signup) => {
          const title = signup.status === 'waitlisted' ? `已加入候补，第 ${signup.position} 位` : '报名成功';
          wx.showToast({ title, icon: signup.status === 'waitlisted' ? 'none' : 'success' });
        })
        .catch((error) => { // the request module has shown the server's message
          if (error.reason === 'not_verified') this.offerJoinHousehold();
        })
        .then(() => this.load()) // places and my sign-up changed, whatever happened
        .then(() => this.setData({ busyShiftId: null }));
    },

    onCancel(e) {
      const { signupId, shiftId, late } = e.detail;
      if (this.data.busyShiftId) return Promise.resolve();
      const content = late
        ? '已过取消截止时间，现在取消会记入您的迟到取消记录。确定取消吗？'
        : '取消后名额将让给候补的志愿者。确定取消吗？';
      return confirm({ title: '取消报名', content, confirmText: '确定取消', cancelText: '再想想' }).then((ok) => {
        if (!ok) return null;
        this.setData({ busyShiftId: shiftId });
        return api.cancelSignup(signupId)
          .then(() => wx.showToast({ title: '已取消报名', icon: 'success' }), () => {})
          .then(() => this.load())
          .then(() => this.setData({ busyShiftId: null }));
      });
    },

    offerJoinHousehold() {
      return confirm({
        title: '需要居民认证',
        content: '报名志愿服务需要先用社区发放的邀请码加入家庭，完成居民认证。',
        confirmText: '去认证',
      }).then((ok) => { if (ok) wx.switchTab({ url: '/pages/profile/profile' }); });
    },

    onCheckIn(e) {
      wx.navigateTo({ url: `/pages/volunteer/checkin/checkin?shift=${e.detail.shiftId}` });
    },

    onManage() {
      wx.navigateTo({ url: `/organizer/pages/activity/activity?id=${this.data.id}` });
    },

    onRetry() {
      this.load();
    },
  },
});
