/**
 * 扫码签到 — scan the organiser's rotating QR code to check in, and again to check out.
 * Also the page the organiser's mini-program code opens (pages/volunteer/checkin/checkin?scene=<code>),
 * which checks in at once. `?shift=<id>` names the shift the volunteer means, so another shift's code
 * is refused as such.
 */
const { scanCheckinCode, checkInWithCode, formatClock, formatHours } = require('../../../utils/volunteer');

/** What the page says after the server accepted a scan. */
function resultView(result) {
  const a = result.attendance || {};
  if (result.action === 'checked_out') {
    const lines = [`签退时间 ${formatClock(a.checked_out_at)}`, `本次服务 ${formatHours(a.hours)} 小时`];
    if (a.points) lines.push(`获得 ${a.points} 积分`);
    return { title: '签退成功', activity: result.activity_title, lines, checkedOut: true };
  }
  return { title: '签到成功', activity: result.activity_title,
    lines: [`签到时间 ${formatClock(a.checked_in_at)}`, '服务结束时请再次扫码签退'], checkedOut: false };
}

Component({
  data: {
    shiftId: null,
    state: 'idle', // idle | submitting | done | failed
    result: null,
    error: '',
  },

  methods: {
    onLoad(query) {
      this.setData({ shiftId: Number(query.shift) || null });
      const scene = query.scene ? decodeURIComponent(query.scene) : '';
      if (scene) this.submit(scene);
    },

    onScan() {
      if (this.data.state === 'submitting') return Promise.resolve();
      return scanCheckinCode().then((code) => {
        if (code) return this.submit(code);
        return null; // the volunteer closed the camera
      }, (error) => this.setData({ state: 'failed', error: error.message }));
    },

    submit(code) {
      if (this.data.state === 'submitting') return Promise.resolve();
      this.setData({ state: 'submitting', error: '' });
      return checkInWithCode(code, this.data.shiftId)
        .then((result) => {
          this.setData({ state: 'done', result: resultView(result) });
          if (wx.vibrateShort) wx.vibrateShort({ type: 'medium' });
        })
        .catch((error) => this.setData({ state: 'failed', result: null, error: error.message }));
    },

    goShifts() {
      wx.redirectTo({ url: '/pages/volunteer/shifts/shifts' });
    },

    goMe() {
      wx.redirectTo({ url: '/pages/volunteer/me/me' });
    },
  },
});
