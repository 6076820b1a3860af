/**
 * Volunteering (志愿服务) for the pages of pages/volunteer/ and the organizer/ sub-package:
 * the API calls (through utils/request.js, the one request module), WeChat scanning and location for
 * check-in, and the display rules (times, sign-up button states, stars, statuses).
 */
const { get, post, patch, del } = require('./request');

const CHECKIN_OPENS_BEFORE_MS = 60 * 60 * 1000; // the backend opens check-in an hour before the start
const CHECKOUT_CLOSES_AFTER_MS = 2 * 60 * 60 * 1000; // …and keeps check-out open two hours after the end
const PAGE_SIZE = 20;
const ROSTER_PAGE_SIZE = 100; // a shift's whole roster on one page, usually
const WEEKDAYS = ['周日', '周一', '周二', '周三', '周四', '周五', '周六'];

// --- the API --------------------------------------------------------------------------------------

// Reads are silent: the pages show their errors in place (volunteer-state) with a retry button.
// Writes let the request module toast the server's message, except check-in, shown on its page.
// A list read takes the request options a paged list needs ({withHeaders: true}) as `options`.
const QUIET = { silent: true };
const read = (url, data, options) => get(url, data, Object.assign({}, QUIET, options));

const api = {
  /** Published activities (`when`: upcoming | past | all); `managed: true` lists the ones I run. */
  activities: ({ when = 'upcoming', managed = false, page = 1 } = {}, options) => read('/api/v1/activities',
    Object.assign({ when, page, page_size: PAGE_SIZE }, managed ? { managed: true } : {}), options),
  activity: (id) => read(`/api/v1/activities/${id}`),
  signUp: (shiftId) => post(`/api/v1/shifts/${shiftId}/signups`),
  cancelSignup: (signupId) => del(`/api/v1/signups/${signupId}`),
  mySignups: ({ when = 'upcoming', page = 1 } = {}, options) => read('/api/v1/me/signups',
    { when, page, page_size: PAGE_SIZE }, options),
  checkIn: ({ code, lat = null, lng = null, shiftId = null }) => post('/api/v1/checkins',
    { code, lat, lng, shift_id: shiftId }, QUIET),
  myVolunteering: () => read('/api/v1/me/volunteering'),
  myPoints: ({ page = 1 } = {}, options) => read('/api/v1/me/points', { page, page_size: PAGE_SIZE }, options),
  rewards: ({ communityId = null } = {}) => read('/api/v1/rewards',
    Object.assign({ page: 1, page_size: 100 }, communityId ? { community_id: communityId } : {})),
  redeem: (rewardId) => post(`/api/v1/rewards/${rewardId}/redeem`),
  myRedemptions: ({ page = 1 } = {}, options) => read('/api/v1/me/redemptions', { page, page_size: PAGE_SIZE }, options),
  cancelRedemption: (id) => post(`/api/v1/redemptions/${id}/cancel`),
  // organisers
  checkinCode: (shiftId) => read(`/api/v1/shifts/${shiftId}/checkin-code`),
  roster: (shiftId, { page = 1 } = {}, options) => read(`/api/v1/shifts/${shiftId}/signups`,
    { page, page_size: ROSTER_PAGE_SIZE }, options),
  manualCheckIn: (signupId) => post(`/api/v1/signups/${signupId}/check-in`),
  manualCheckOut: (signupId) => post(`/api/v1/signups/${signupId}/check-out`),
  /** `changes`: starts_at, ends_at, place … (a new time or place is told to everyone signed up). */
  updateShift: (shiftId, changes) => patch(`/api/v1/shifts/${shiftId}`, changes),
};

/**
 * The id of the community the resident's household is in, or null. `/me` names the household's grid
 * but not its community; community codes prefix their grids' codes (320506-001-001 → 320506-001-001-01).
 */
function myCommunityId() {
  return read('/api/v1/me').then((me) => {
    const gridCode = me && me.household && me.household.grid_code;
    if (!gridCode) return null;
    return read('/api/v1/communities').then((communities) => {
      const mine = (communities || []).find((c) => gridCode.indexOf(`${c.code}-`) === 0);
      return mine ? mine.id : null;
    });
  }).catch(() => null);
}

// --- WeChat: scanning, location, confirmation ---------------------------------------------------

/** The check-in code in a wx.scanCode result: a mini-program code carries it as `scene` in `path`. */
function codeFromScan(res) {
  const path = (res && res.path) || '';
  const scene = /[?&]scene=([^&]*)/.exec(path);
  if (scene) return decodeURIComponent(scene[1]).trim();
  return String((res && res.result) || '').trim();
}

/** Open the camera for the organiser's QR; resolves the code, or null when the person cancelled. */
function scanCheckinCode() {
  return new Promise((resolve, reject) => {
    wx.scanCode({
      onlyFromCamera: true, // a screenshot of the code from a friend is exactly what 代签 looks like
      scanType: ['qrCode', 'wxCode'],
      success: (res) => resolve(codeFromScan(res)),
      fail: (err) => {
        const why = (err && err.errMsg) || '';
        if (/cancel/.test(why)) resolve(null);
        else reject(new Error(/auth|deny/.test(why) ? '请在设置中允许使用摄像头后重试' : '扫码失败，请重试'));
      },
    });
  });
}

/** Where the phone is (GCJ-02, as WeChat maps and chooseLocation use), or null if not shared. */
function currentLocation() {
  return new Promise((resolve) => {
    wx.getLocation({
      type: 'gcj02',
      success: (res) => resolve({ lat: res.latitude, lng: res.longitude }),
      fail: () => resolve(null),
    });
  });
}

/** Check in (or out) with a scanned code, sending the location when the person shares it. */
function checkInWithCode(code, shiftId = null) {
  return currentLocation().then((here) => api.checkIn(Object.assign({ code, shiftId }, here || {})));
}

/** A confirmation dialog; resolves true when confirmed. */
function confirm({ title, content, confirmText = '确定', cancelText = '取消' }) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content,
      confirmText,
      cancelText,
      success: (res) => resolve(!!res.confirm),
      fail: () => resolve(false),
    });
  });
}

// --- subscribe messages ---------------------------------------------------------------------------

// What a volunteer is told by subscribe message (asked for with utils/consent.js).
const CONSENT_KINDS = ['volunteer_reminder', 'volunteer_promoted', 'activity_cancelled'];

// --- times ------------------------------------------------------------------------------------------

const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * An API time (ISO-8601 with offset, possibly with microseconds) as a Date. Parsed by hand: older
 * iOS JavaScriptCore refuses six fractional digits.
 */
function parseTime(value) {
  if (!value) return null;
  if (value instanceof Date) return value;
  const m = TIME_PATTERN.exec(String(value));
  if (!m) return null;
  const ms = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const fields = [Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] || 0), ms];
  if (!m[8]) return new Date(...fields); // no offset: local time
  let offset = 0;
  if (m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1 : 1;
    const digits = m[8].slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return new Date(Date.UTC(...fields) - offset * 60000);
}

const pad = (n) => (n < 10 ? `0${n}` : String(n));
const clock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
const day = (d) => `${d.getMonth() + 1}月${d.getDate()}日`;
const sameDay = (a, b) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth()
  && a.getDate() === b.getDate();

/** '11月30日 09:00' */
function formatTime(value) {
  const d = parseTime(value);
  return d ? `${day(d)} ${clock(d)}` : '';
}

/** '09:00' */
function formatClock(value) {
  const d = parseTime(value);
  return d ? clock(d) : '';
}

/** '11月30日 周一 09:00–11:00', or '11月30日 09:00 – 12月1日 11:00' across days. */
function formatRange(start, end) {
  const a = parseTime(start);
  const b = parseTime(end);
  if (!a) return '';
  if (!b) return formatTime(a);
  if (sameDay(a, b)) return `${day(a)} ${WEEKDAYS[a.getDay()]} ${clock(a)}–${clock(b)}`;
  return `${day(a)} ${clock(a)} – ${day(b)} ${clock(b)}`;
}

/** A sign-up's check-in window (an hour before the start to two hours after the end) holds `now`. */
function checkinOpen(startsAt, endsAt, now = new Date()) {
  const start = parseTime(startsAt);
  const end = parseTime(endsAt);
  if (!start || !end) return false;
  const t = now.getTime();
  return t >= start.getTime() - CHECKIN_OPENS_BEFORE_MS && t <= end.getTime() + CHECKOUT_CLOSES_AFTER_MS;
}

// --- shifts and sign-ups -----------------------------------------------------------------------------

/**
 * What a resident can do with a shift, from its status and their own sign-up:
 * {key, label (the button), theme, action ('signup' | 'cancel' | null), disabled, badge, places}.
 */
function shiftAction(shift) {
  const mine = shift.my_signup;
  const started = ['started', 'ended', 'cancelled'].indexOf(shift.status) !== -1;
  const places = placesText(shift);
  if (mine && mine.status === 'confirmed') {
    return { key: 'confirmed', badge: '已报名', label: '取消报名', theme: 'default', action: started ? null : 'cancel',
      disabled: started, places };
  }
  if (mine && mine.status === 'waitlisted') {
    return { key: 'waitlisted', badge: mine.position ? `候补第 ${mine.position} 位` : '候补中', label: '取消候补',
      theme: 'default', action: started ? null : 'cancel', disabled: started, places };
  }
  const closed = {
    full: '已报满', closed: '报名已截止', started: '进行中', ended: '已结束', cancelled: '已取消',
  };
  if (shift.status === 'open') return { key: 'open', badge: '', label: '报名', theme: 'primary', action: 'signup', disabled: false, places };
  if (shift.status === 'waitlist') {
    return { key: 'waitlist', badge: '', label: '候补报名', theme: 'warning', action: 'signup', disabled: false, places };
  }
  return { key: shift.status, badge: '', label: closed[shift.status] || '不可报名', theme: 'default', action: null,
    disabled: true, places };
}

/** '剩余 3/20 个名额' or '名额已满 · 候补 4 人'. */
function placesText(shift) {
  if (shift.status === 'cancelled') return '班次已取消';
  if (shift.places_left > 0) return `剩余 ${shift.places_left}/${shift.capacity} 个名额`;
  if (shift.waitlist) return `名额已满 · 候补 ${shift.waitlist_length || 0} 人`;
  return `名额已满（${shift.capacity} 人）`;
}

const SIGNUP_STATUS = { confirmed: '已报名', waitlisted: '候补中', cancelled: '已取消' };
const CANCEL_KINDS = { self: '已取消', late: '截止后取消', removed: '已被组织者移除', activity_cancelled: '活动已取消' };

/** '已报名', '候补第 2 位', '截止后取消' … */
function signupStatusText(signup) {
  if (signup.status === 'waitlisted') return signup.position ? `候补第 ${signup.position} 位` : '候补中';
  if (signup.status === 'cancelled') return CANCEL_KINDS[signup.cancel_kind] || '已取消';
  return SIGNUP_STATUS[signup.status] || signup.status;
}

/** '已签到 09:02', '已签退 · 2 小时 · 20 积分', with the flags an organiser or volunteer should see. */
function attendanceText(attendance) {
  if (!attendance) return '';
  const parts = [];
  if (!attendance.closed_at) {
    parts.push(`已签到 ${formatClock(attendance.checked_in_at)}`);
  } else {
    parts.push(attendance.checkout_missing ? '未签退，按班次结束计' : `已签退 ${formatClock(attendance.checked_out_at)}`);
    parts.push(`${formatHours(attendance.hours)} 小时`);
    if (attendance.points) parts.push(`${attendance.points} 积分`);
  }
  if (attendance.checkin_method === 'manual') parts.push('组织者代签到');
  return parts.join(' · ');
}

// --- hours, points, stars, rewards ----------------------------------------------------------------

/** 2 → '2', 1.5 → '1.5', null → '0'. */
function formatHours(hours) {
  const value = Number(hours) || 0;
  return String(Math.round(value * 10) / 10);
}

/** Five stars, `level` of them filled: [{filled: true}, …]. */
function stars(level) {
  const n = Math.max(0, Math.min(5, Number(level) || 0));
  return [1, 2, 3, 4, 5].map((i) => ({ index: i, filled: i <= n }));
}

/** '再服务 85.5 小时可成为 1 星志愿者' or '已达最高星级'. */
function nextStarText(nextStar) {
  if (!nextStar) return '已达最高星级，感谢您的长期付出';
  return `再服务 ${formatHours(nextStar.hours_to_go)} 小时可成为 ${nextStar.level} 星志愿者`;
}

const POINTS_KINDS = { service: '志愿服务', bonus: '奖励', redemption: '兑换', refund: '退回' };
const REDEMPTION_STATUS = { pending: '待领取', collected: '已领取', cancelled: '已取消' };

function pointsKindText(kind) {
  return POINTS_KINDS[kind] || kind;
}

function redemptionStatusText(status) {
  return REDEMPTION_STATUS[status] || status;
}

/** 'K7P2QX9M' → 'K7P2 QX9M', easier to read out at the counter. */
function formatPickupCode(code) {
  const text = String(code || '');
  return text.length === 8 ? `${text.slice(0, 4)} ${text.slice(4)}` : text;
}

/** What the redeem button of a reward says, given the balance: {label, disabled}. */
function rewardAction(reward, balance) {
  if (!reward.active) return { label: '已下架', disabled: true };
  if (reward.stock <= 0) return { label: '已兑完', disabled: true };
  if (balance !== null && balance !== undefined && balance < reward.points) return { label: '积分不足', disabled: true };
  return { label: '兑换', disabled: false };
}

module.exports = {
  api,
  myCommunityId,
  codeFromScan,
  scanCheckinCode,
  currentLocation,
  checkInWithCode,
  confirm,
  CONSENT_KINDS,
  parseTime,
  formatTime,
  formatClock,
  formatRange,
  checkinOpen,
  shiftAction,
  placesText,
  signupStatusText,
  attendanceText,
  formatHours,
  stars,
  nextStarText,
  pointsKindText,
  redemptionStatusText,
  formatPickupCode,
  rewardAction,
};
