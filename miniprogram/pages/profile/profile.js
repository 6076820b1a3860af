/** Profile — 我的: log in, bind the phone, join a household with an invite code, log out. */
const { get, post, login, logout, isLoggedIn } = require('../../utils/request');
const { maskPhone } = require('../../utils/format');

Component({
  data: {
    loggedIn: false,
    me: null,
    phone: '', // masked for display
    inviteCode: '',
    loggingIn: false,
    bindingPhone: false,
    joining: false,
  },

  methods: {
    onShow() {
      if (isLoggedIn()) this.loadMe();
      else this.showLoggedOut();
    },

    loadMe() {
      return get('/api/v1/me').then((me) => this.showMe(me), () => {});
    },

    showMe(me) {
      this.setData({ loggedIn: true, me, phone: maskPhone(me.phone) });
    },

    showLoggedOut() {
      this.setData({ loggedIn: false, me: null, phone: '', inviteCode: '' });
    },

    onLogin() {
      if (this.data.loggingIn) return Promise.resolve();
      this.setData({ loggingIn: true });
      return login()
        .then(() => this.loadMe())
        .catch(() => {}) // the request module has shown why
        .then(() => this.setData({ loggingIn: false }));
    },

    onGetPhoneNumber(e) {
      const code = e.detail && e.detail.code;
      if (!code) {
        // The user refused, or the account may not use getPhoneNumber.
        wx.showToast({ title: '未获得手机号授权', icon: 'none' });
        return Promise.resolve();
      }
      this.setData({ bindingPhone: true });
      return post('/api/v1/me/phone', { code })
        .then((me) => {
          this.showMe(me);
          wx.showToast({ title: '手机号已绑定', icon: 'success' });
        })
        .catch(() => {})
        .then(() => this.setData({ bindingPhone: false }));
    },

    onInviteCodeChange(e) {
      this.setData({ inviteCode: e.detail.value });
    },

    onJoinHousehold() {
      const inviteCode = (this.data.inviteCode || '').trim();
      if (!inviteCode) {
        wx.showToast({ title: '请输入邀请码', icon: 'none' });
        return Promise.resolve();
      }
      if (this.data.joining) return Promise.resolve();
      this.setData({ joining: true });
      return post('/api/v1/households/join', { invite_code: inviteCode })
        .then((me) => {
          this.showMe(me);
          this.setData({ inviteCode: '' });
          wx.showToast({ title: '已加入家庭', icon: 'success' });
        })
        .catch(() => {}) // the request module has shown the server's message
        .then(() => this.setData({ joining: false }));
    },

    onLogout() {
      return logout().then(() => this.showLoggedOut());
    },
  },
});
