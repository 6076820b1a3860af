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

module.exports = { maskPhone, greeting, roleLabel, ROLE_LABELS };
