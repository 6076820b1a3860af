/**
 * 活动详情 — an activity and its shifts (places left, waitlist, my sign-up); sign up, join the
 * waitlist or cancel. Notifications link here: pages/volunteer/activity/activity?id=<id>.
 */
const { api, confirm, CONSENT_KINDS } = require('../../../utils/volunteer');
const { askConsent, loadTemplates } = require('../../../utils/consent');

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
      this.templates = {};
      loadTemplates().then((templates) => { this.templates = templates; });
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
      askConsent(this.templates, CONSENT_KINDS); // in the tap, as WeChat requires; the sign-up does not wait for it
      return api.signUp(shiftId)
        .then((signup) => {
          const title = signup.status === 'waitlisted' ? `已加入候补，第 ${signup.position} 位` : '报名成功';
          wx.showToast({ title, icon: signup.status === 'waitlisted' ? 'none' : 'success' });
        })
        .catch((error) => { // the request module has shown the server's message
          if (error.reason === 'not_verified') this.offerJoinHousehold();
          if (error.reason === 'birth_date_required') this.offerProfile('需要填写出生日期', error.message, '去填写');
          if (error.reason === 'too_young') this.explainTooYoung(error.message);
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
      return this.offerProfile('需要居民认证', '报名志愿服务需要先用社区发放的邀请码加入家庭，完成居民认证。', '去认证');
    },

    /** Say what is missing and offer 我的, where it is done (joining a household, the birth date). */
    offerProfile(title, content, confirmText) {
      return confirm({ title, content, confirmText })
        .then((ok) => { if (ok) wx.switchTab({ url: '/pages/profile/profile' }); });
    },

    /** Shown whole in a dialog: a toast would cut the reason short. */
    explainTooYoung(message) {
      wx.showModal({ title: '未达到年龄要求', content: message, showCancel: false, confirmText: '知道了' });
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
