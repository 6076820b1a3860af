/** Small display helpers shared by pages and components. */

const ROLE_LABELS = {
  grid_worker: '网格员',
  grid_leader: '网格长',
  committee: '社区两委',
  street_admin: '街道管理员',
  district_admin: '区级管理员',
};

/** '13812345678' → '138****5678'; an already masked or short value is returned as is. */
function maskPhone(phone) {
  if (!phone) return '';
  const digits = String(phone).replace(/^\+?86/, '');
  if (!/^\d{7,}$/.test(digits)) return String(phone);
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/** A greeting for the hour of `date`: 早上好 / 中午好 / 下午好 / 晚上好. */
function greeting(date) {
  const hour = (date || new Date()).getHours();
  if (hour >= 5 && hour < 11) return '早上好';
  if (hour >= 11 && hour < 13) return '中午好';
  if (hour >= 13 && hour < 18) return '下午好';
  return '晚上好';
}

/** The Chinese name of a role code; unknown codes are shown as they are. */
function roleLabel(role) {
  return ROLE_LABELS[role] || role || '居民';
}

const pad = (n) => (n < 10 ? `0${n}` : String(n));

/** 'YYYY-MM-DD' and 'HH:mm' of a Date, as the native date and time pickers use them. */
function pickerParts(date) {
  return {
    date: `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`,
    time: `${pad(date.getHours())}:${pad(date.getMinutes())}`,
  };
}

/** A picker date and time (local) as an ISO-8601 UTC string; '' when incomplete or invalid. */
function isoFromPicker(date, time) {
  if (!date || !time) return '';
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const moment = new Date(y, m - 1, d, hh, mm, 0, 0);
  return Number.isNaN(moment.getTime()) ? '' : moment.toISOString();
}

module.exports = { maskPhone, greeting, roleLabel, ROLE_LABELS, pickerParts, isoFromPicker };
