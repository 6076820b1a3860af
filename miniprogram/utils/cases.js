/**
 * Case helpers shared by the resident pages, the worker sub-package and the case-* components:
 * status labels, times, form validation, coordinates and photo files. Consent is utils/consent.js.
 */
const { download } = require('./request');

/** Status → label and TDesign tag theme; the server's status_text wins when it sends one. */
const STATUS = {
  submitted: { text: '已提交', theme: 'default' },
  assigned: { text: '已派单', theme: 'primary' },
  accepted: { text: '已受理', theme: 'primary' },
  in_progress: { text: '处理中', theme: 'warning' },
  resolved: { text: '待确认', theme: 'success' },
  closed: { text: '已结案', theme: 'default' },
  cancelled: { text: '已撤销', theme: 'default' },
};

// Statuses in which somebody still owes the resident work (the SLA clocks run).
const OPEN_STATUSES = ['submitted', 'assigned', 'accepted', 'in_progress'];

const ESCALATION_TEXT = { 1: '网格长督办', 2: '社区督办', 3: '街道督办' };

const RETURN_REASONS = [
  { value: 'not_my_grid', label: '不属于本网格' },
  { value: 'needs_other_skill', label: '需要其他专业人员' },
  { value: 'other', label: '其他原因' },
];

// Subscribe-message kinds each side is asked to allow (WeChat accepts at most 3 per request).
const RESIDENT_TEMPLATE_KINDS = ['case_progress'];
const WORKER_TEMPLATE_KINDS = ['case_assigned', 'case_reopened', 'case_escalated'];

const DESCRIPTION_MIN = 2;
const DESCRIPTION_MAX = 1000;
const MAX_PHOTOS = 9;
const MAX_PHOTO_BYTES = 5 * 1024 * 1024;

function statusLabel(status, serverText) {
  return serverText || (STATUS[status] && STATUS[status].text) || status || '';
}

function statusTheme(status) {
  return (STATUS[status] && STATUS[status].theme) || 'default';
}

/** The case's `actions` (what the viewer may do now) as {accept: true, …}, for wx:if in templates. */
function actionSet(actions) {
  const can = {};
  (actions || []).forEach((action) => { can[action] = true; });
  return can;
}

// --- times --------------------------------------------------------------------------------------------

/** A Date from the API's ISO-8601 text; microseconds are cut to milliseconds for older JS engines. */
function parseTime(iso) {
  if (!iso) return null;
  const date = new Date(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(date.getTime()) ? null : date;
}

const pad = (n) => (n < 10 ? `0${n}` : `${n}`);

/** 今天 14:05 / 昨天 09:30 / 3月2日 14:05 / 2025-12-30, in the phone's time zone. */
function formatTime(iso, now = new Date()) {
  const date = parseTime(iso);
  if (!date) return '';
  const clock = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  const day = 24 * 3600 * 1000;
  if (date.getTime() >= startOfToday && date.getTime() < startOfToday + day) return `今天 ${clock}`;
  if (date.getTime() >= startOfToday - day && date.getTime() < startOfToday) return `昨天 ${clock}`;
  if (date.getFullYear() === now.getFullYear()) return `${date.getMonth() + 1}月${date.getDate()}日 ${clock}`;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A span of minutes in words: 45 分钟 / 3 小时 / 2 天. */
function spanText(minutes) {
  const m = Math.max(1, Math.round(minutes));
  if (m < 60) return `${m} 分钟`;
  if (m < 48 * 60) return `${Math.round(m / 60)} 小时`;
  return `${Math.round(m / (24 * 60))} 天`;
}

/** How a deadline stands: {text: '剩余 3 小时' | '已超时 20 分钟', overdue}. */
function dueText(iso, now = new Date()) {
  const date = parseTime(iso);
  if (!date) return { text: '', overdue: false };
  const minutes = (date.getTime() - now.getTime()) / 60000;
  if (minutes <= 0) return { text: `已超时 ${spanText(-minutes)}`, overdue: true };
  return { text: `剩余 ${spanText(minutes)}`, overdue: false };
}

/** 约 80 米 / 约 1.2 公里. */
function distanceText(metres) {
  if (metres === null || metres === undefined) return '';
  if (metres < 1000) return `约 ${Math.max(10, Math.round(metres))} 米`;
  return `约 ${(metres / 1000).toFixed(1)} 公里`;
}

// --- the report form ----------------------------------------------------------------------------------

/**
 * The first problem with a report as {field, message}, or null when it may be sent.
 * The category's own rules decide whether a place and photos are required.
 */
function validateReport({ category, description, location, photoIds, uploading, failedPhotos }) {
  if (!category) return { field: 'category', message: '请选择问题类型' };
  const text = (description || '').trim();
  if (text.length < DESCRIPTION_MIN) return { field: 'description', message: `请描述一下情况（至少 ${DESCRIPTION_MIN} 个字）` };
  if (text.length > DESCRIPTION_MAX) return { field: 'description', message: `描述不能超过 ${DESCRIPTION_MAX} 个字` };
  if (category.requires_location && !location) return { field: 'location', message: '请选择事发位置' };
  if (uploading) return { field: 'photos', message: '照片还在上传，请稍候' };
  if (failedPhotos) return { field: 'photos', message: '有照片上传失败，请点击重试或删除' };
  if (category.requires_photo && !(photoIds && photoIds.length)) return { field: 'photos', message: '请至少上传一张现场照片' };
  return null;
}

/** The POST /api/v1/cases body for a valid report. */
function reportBody({ category, description, location, address, photoIds, anonymous }) {
  return {
    kind: category.kind,
    category_code: category.code,
    description: description.trim(),
    lat: location ? location.lat : null,
    lng: location ? location.lng : null,
    address: (address || '').trim(),
    photo_ids: photoIds || [],
    anonymous: !!(anonymous && category.allows_anonymous),
  };
}

/** One key per report draft, so a resubmission of the same draft is recognised as the same write. */
function newDraftKey() {
  return `case-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Map a 422 body's field errors ({json: {field: [msg]}}) to {field: msg} for the form. */
function fieldErrors(error) {
  const fields = (error && error.errors && error.errors.json) || {};
  const out = {};
  Object.keys(fields).forEach((field) => {
    const messages = fields[field];
    const name = { lat: 'location', lng: 'location', photo_ids: 'photos', category_code: 'category' }[field] || field;
    out[name] = Array.isArray(messages) ? String(messages[0]) : String(messages);
  });
  return out;
}

// --- coordinates --------------------------------------------------------------------------------------
// Grid boundaries are WGS-84 (what wx.getLocation reports with type 'wgs84'). wx.chooseLocation answers and
// wx.openLocation expects GCJ-02, the offset system of Chinese maps (several hundred metres off), so points
// are converted at those two edges.

const EARTH_A = 6378245.0;
const EARTH_EE = 0.00669342162296594323;

function outOfChina(lat, lng) {
  return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function offsetLat(x, y) {
  let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  return r;
}

function offsetLng(x, y) {
  let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  return r;
}

/** WGS-84 {lat, lng} → GCJ-02 (for wx.openLocation). */
function wgs84ToGcj02({ lat, lng }) {
  if (outOfChina(lat, lng)) return { lat, lng };
  const radLat = (lat / 180) * Math.PI;
  const magic = 1 - EARTH_EE * Math.sin(radLat) * Math.sin(radLat);
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (offsetLat(lng - 105, lat - 35) * 180) / (((EARTH_A * (1 - EARTH_EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLng = (offsetLng(lng - 105, lat - 35) * 180) / ((EARTH_A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return { lat: lat + dLat, lng: lng + dLng };
}

/** GCJ-02 {lat, lng} (from wx.chooseLocation) → WGS-84, by iterating the forward transform (< 1 m). */
function gcj02ToWgs84({ lat, lng }) {
  if (outOfChina(lat, lng)) return { lat, lng };
  let guess = { lat, lng };
  for (let i = 0; i < 6; i += 1) {
    const shifted = wgs84ToGcj02(guess);
    guess = { lat: guess.lat - (shifted.lat - lat), lng: guess.lng - (shifted.lng - lng) };
  }
  return { lat: Number(guess.lat.toFixed(6)), lng: Number(guess.lng.toFixed(6)) };
}

// --- photos -------------------------------------------------------------------------------------------
// Case photos are served only with the Authorization header, which <image src> cannot send: they are
// downloaded by the request module and shown from the temporary file. A few at a time, for weak networks.

const PHOTO_DOWNLOADS_AT_ONCE = 3;
const photoFiles = {};
const photoQueue = [];
let photoDownloads = 0;

function nextPhotoDownload() {
  while (photoDownloads < PHOTO_DOWNLOADS_AT_ONCE && photoQueue.length) {
    const { url, resolve, reject } = photoQueue.shift();
    photoDownloads += 1;
    const done = () => { photoDownloads -= 1; nextPhotoDownload(); };
    download(url, { silent: true })
      .then((path) => { done(); resolve(path); }, (error) => { done(); reject(error); });
  }
}

/** A local file path for an API photo URL (/api/v1/media/…), downloaded once per app session. */
function photoPath(url) {
  if (!url) return Promise.reject(new Error('图片加载失败'));
  if (!photoFiles[url]) {
    photoFiles[url] = new Promise((resolve, reject) => {
      photoQueue.push({ url, resolve, reject });
      nextPhotoDownload();
    });
    photoFiles[url].catch(() => { delete photoFiles[url]; }); // a failed download may be retried
  }
  return photoFiles[url];
}

module.exports = {
  OPEN_STATUSES,
  ESCALATION_TEXT,
  RETURN_REASONS,
  RESIDENT_TEMPLATE_KINDS,
  WORKER_TEMPLATE_KINDS,
  DESCRIPTION_MAX,
  MAX_PHOTOS,
  MAX_PHOTO_BYTES,
  statusLabel,
  statusTheme,
  formatTime,
  spanText,
  dueText,
  distanceText,
  actionSet,
  validateReport,
  reportBody,
  newDraftKey,
  fieldErrors,
  wgs84ToGcj02,
  gcj02ToWgs84,
  photoPath,
};
