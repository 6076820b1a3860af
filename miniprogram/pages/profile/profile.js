/** Profile — 我的: log in, bind the phone, set the birth date, join a household with an invite code, log out. */
const { get, post, patch, login, logout, isLoggedIn } = require('../../utils/request');
const { maskPhone, pickerParts } = require('../../utils/format');

const OLDEST_YEARS = 120; // the server refuses birth dates of anyone older
const PICKER_START_BIRTH_DATE = '1980-01-01'; // where the wheel starts before one is set

/** '1990-05-17' → '1990年5月17日'. */
function birthDateLabel(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || '');
  return m ? `${m[1]}年${Number(m[2])}月${Number(m[3])}日` : '';
}

Component({
  data: {
    loggedIn: false,
    me: null,
    phone: '', // masked for display
    birthDate: '', // '1990年5月17日'; only its owner ever sees it
    birthDatePicker: { start: '', end: '', value: '' },
    savingBirthDate: false,
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
      const today = pickerParts(new Date()).date;
      const oldest = `${Number(today.slice(0, 4)) - OLDEST_YEARS}${today.slice(4)}`;
      this.setData({
        loggedIn: true, me, phone: maskPhone(me.phone), birthDate: birthDateLabel(me.birth_date),
        birthDatePicker: { start: oldest, end: today, value: me.birth_date || PICKER_START_BIRTH_DATE },
      });
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

    /** The date picker's choice: saved at once (shift sign-ups with a minimum age need it). */
    onBirthDateChange(e) {
      const birthDate = e.detail && e.detail.value;
      if (!birthDate || this.data.savingBirthDate || birthDate === this.data.me.birth_date) return Promise.resolve();
      this.setData({ savingBirthDate: true });
      return patch('/api/v1/me', { birth_date: birthDate })
        .then((me) => {
          this.showMe(me);
          wx.showToast({ title: '出生日期已保存', icon: 'success' });
        })
        .catch(() => {}) // the request module has shown the server's message
        .then(() => this.setData({ savingBirthDate: false }));
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
