/**
 * 组织者 · 签到码 — the shift's rotating check-in code, full screen, for volunteers to scan.
 *
 * A code is accepted in its own 30-second window and the next, so fetching a fresh one every 30 s
 * keeps what is shown valid whatever the phone's clock says. Shown as the mini-program code image when
 * the API sends one (WeChat configured), else drawn as a plain QR code on a canvas (t-qrcode).
 * The timer stops when the page is hidden or closed.
 */
const { api } = require('../../../utils/volunteer');

const REFRESH_SECONDS = 30;
const RETRY_SECONDS = 5;

function qrSize() {
  const info = wx.getWindowInfo ? wx.getWindowInfo() : wx.getSystemInfoSync();
  return Math.min(360, Math.floor((info.windowWidth || 375) * 0.76));
}

Component({
  data: {
    shiftId: null,
    code: '',
    image: '',
    status: 'loading', // loading | active | retrying | closed
    message: '',
    secondsLeft: REFRESH_SECONDS,
    size: 280,
  },

  lifetimes: {
    detached() {
      this.stop();
    },
  },

  methods: {
    onLoad(query) {
      this.setData({ shiftId: Number(query.shift) || null, size: qrSize() });
    },

    onShow() {
      wx.setKeepScreenOn({ keepScreenOn: true });
      if (!this.data.shiftId) {
        this.setData({ status: 'closed', message: '未找到该班次' });
        return Promise.resolve();
      }
      return this.refresh();
    },

    onHide() {
      this.stop();
      wx.setKeepScreenOn({ keepScreenOn: false });
    },

    onUnload() {
      this.stop();
      wx.setKeepScreenOn({ keepScreenOn: false });
    },

    /** Fetch the current code and show it; then count down to the next fetch. */
    refresh() {
      this.stop();
      const run = this.run;
      if (!this.data.code) this.setData({ status: 'loading' });
      return api.checkinCode(this.data.shiftId).then((body) => {
        if (run !== this.run) return; // hidden or refreshed meanwhile
        this.setData({ code: body.code, image: body.image || '', status: 'active', message: '' });
        this.countdown(REFRESH_SECONDS);
      }, (error) => {
        if (run !== this.run) return;
        if (error.status >= 400 && error.status < 500 && error.status !== 401 && error.status !== 429) {
          // Not open yet, closed, cancelled, or not my shift: retrying will not help.
          this.setData({ status: 'closed', code: '', image: '', message: error.message });
          return;
        }
        this.setData({ status: 'retrying', message: `${error.message}，${RETRY_SECONDS} 秒后重试` });
        this.countdown(RETRY_SECONDS);
      });
    },

    countdown(seconds) {
      this.setData({ secondsLeft: seconds });
      this.timer = setInterval(() => {
        const left = this.data.secondsLeft - 1;
        if (left > 0) this.setData({ secondsLeft: left });
        else this.refresh();
      }, 1000);
    },

    /** Stop the countdown and disown any fetch in flight. */
    stop() {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      this.run = (this.run || 0) + 1;
    },

    onRetry() {
      this.setData({ code: '', message: '' });
      return this.refresh();
    },

    onAttendance() {
      wx.navigateTo({ url: `/organizer/pages/attendance/attendance?shift=${this.data.shiftId}` });
    },
  },
});
