/**
 * The one request module every page uses.
 *
 * Wraps wx.request / wx.uploadFile / wx.downloadFile in Promises and owns the session: WeChat login,
 * bearer tokens in storage, one shared refresh when the access token has expired (refresh tokens
 * rotate, so two refreshes racing with the same token would revoke the login), an Idempotency-Key on
 * every write, and a readable Chinese toast for every failure unless the caller asks for silence.
 */
const config = require('../config');

const ACCESS_TOKEN_KEY = 'access_token';
const REFRESH_TOKEN_KEY = 'refresh_token';
const NETWORK_ERROR_MESSAGE = '网络不给力，请稍后重试';
const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];

const FALLBACK_MESSAGES = {
  401: '请先登录',
  403: '没有权限执行此操作',
  404: '未找到请求的内容',
  409: '当前状态不允许此操作',
  422: '提交的内容有误，请检查后重试',
  429: '操作太频繁，请稍后再试',
};

function apiUrl(path) {
  if (/^https?:\/\//.test(path)) return path;
  return config.apiBase.replace(/\/+$/, '') + (path.charAt(0) === '/' ? path : `/${path}`);
}

function isSuccess(status) {
  return status >= 200 && status < 300;
}

/** A random UUID v4 string; Math.random is enough for a retry-deduplication key. */
function newIdempotencyKey() {
  return 'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = Math.floor(Math.random() * 16);
    return (c === 'x' ? r : (r % 4) + 8).toString(16);
  });
}

function parseJson(text) {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch (e) {
    return text;
  }
}

function apiError(status, body) {
  const payload = body && typeof body === 'object' ? body : {};
  let message = typeof payload.message === 'string' && payload.message ? payload.message : '';
  if (!message) message = FALLBACK_MESSAGES[status] || (status >= 500 ? '服务器开小差了，请稍后再试' : `请求失败（${status}）`);
  const error = new Error(message);
  error.status = status;
  error.reason = payload.reason || null;
  error.code = payload.code;
  error.errors = payload.errors;
  error.body = body;
  return error;
}

function networkError(failure) {
  const error = new Error(NETWORK_ERROR_MESSAGE);
  error.network = true;
  error.errMsg = failure && failure.errMsg;
  return error;
}

function showError(error) {
  wx.showToast({ title: error.message, icon: 'none' });
}

/** Response headers with lower-case names: WeChat keeps the server's spelling on some platforms only. */
function lowerCaseNames(header) {
  const out = {};
  Object.keys(header || {}).forEach((name) => { out[name.toLowerCase()] = header[name]; });
  return out;
}

// --- transport: one attempt, resolves {status, body, …} for any HTTP status ------------------------

function send({ url, method, data, header }) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: apiUrl(url),
      method,
      data,
      header,
      dataType: 'json',
      success: (res) => resolve({ status: res.statusCode, body: res.data, headers: lowerCaseNames(res.header) }),
      fail: (err) => reject(networkError(err)),
    });
  });
}

function sendFile({ url, filePath, formData, header }) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: apiUrl(url),
      filePath,
      name: 'file',
      formData: formData || {},
      header,
      success: (res) => resolve({ status: res.statusCode, body: parseJson(res.data) }),
      fail: (err) => reject(networkError(err)),
    });
  });
}

function receiveFile({ url, header }) {
  return new Promise((resolve, reject) => {
    wx.downloadFile({
      url: apiUrl(url),
      header,
      // The body of a refused download is in a file too: errors get the fallback message for the status.
      success: (res) => resolve({ status: res.statusCode, filePath: res.tempFilePath }),
      fail: (err) => reject(networkError(err)),
    });
  });
}

// --- session ------------------------------------------------------------------------------------------

function storeTokens(body) {
  wx.setStorageSync(ACCESS_TOKEN_KEY, body.access_token);
  wx.setStorageSync(REFRESH_TOKEN_KEY, body.refresh_token);
}

function clearTokens() {
  wx.removeStorageSync(ACCESS_TOKEN_KEY);
  wx.removeStorageSync(REFRESH_TOKEN_KEY);
}

/** Wrap a promise-returning function so concurrent callers share one run. */
function singleFlight(fn) {
  let pending = null;
  return () => {
    if (!pending) {
      pending = fn().then(
        (value) => { pending = null; return value; },
        (error) => { pending = null; throw error; },
      );
    }
    return pending;
  };
}

function loginCode() {
  if (config.devOpenid) return Promise.resolve(`dev:${config.devOpenid}`);
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => (res.code ? resolve(res.code) : reject(new Error('微信登录失败，请稍后重试'))),
      fail: () => reject(new Error('微信登录失败，请稍后重试')),
    });
  });
}

function postToken(url, data) {
  return send({ url, method: 'POST', data, header: { 'Content-Type': 'application/json' } });
}

const loginOnce = singleFlight(() => loginCode()
  .then((code) => postToken('/api/v1/auth/wechat-login', { code }))
  .then(({ status, body }) => {
    if (!isSuccess(status)) throw apiError(status, body);
    storeTokens(body);
    return body;
  }));

const refreshOnce = singleFlight(() => {
  const refreshToken = wx.getStorageSync(REFRESH_TOKEN_KEY);
  const viaLogin = () => loginOnce().then((body) => body.access_token);
  if (!refreshToken) return viaLogin();
  return postToken('/api/v1/auth/refresh', { refresh_token: refreshToken }).then(({ status, body }) => {
    if (isSuccess(status)) {
      storeTokens(body);
      return body.access_token;
    }
    if (status >= 500) throw apiError(status, body);
    return viaLogin(); // spent, revoked or expired: start a new login
  });
});

/** A fresh access token to replace `staleToken`, which the server refused (or '' when none). */
function renewAccessToken(staleToken) {
  const current = wx.getStorageSync(ACCESS_TOKEN_KEY);
  if (current && current !== staleToken) return Promise.resolve(current); // renewed meanwhile
  return refreshOnce();
}

/**
 * Run `attempt(token)` with the stored access token; on 401 renew the token once and retry.
 * Resolves the transport's answer on 2xx, rejects with an Error carrying status/reason/body otherwise.
 */
function withSession(attempt, silent) {
  const stored = wx.getStorageSync(ACCESS_TOKEN_KEY);
  const token = stored ? Promise.resolve(stored) : renewAccessToken('');
  return token
    .then((access) => attempt(access).then((res) => {
      if (res.status !== 401) return res;
      return renewAccessToken(access).then(attempt);
    }))
    .then((res) => {
      if (!isSuccess(res.status)) throw apiError(res.status, res.body);
      return res;
    })
    .catch((error) => {
      if (!silent) showError(error);
      throw error;
    });
}

function authHeader(header, access) {
  return Object.assign({}, header, { Authorization: `Bearer ${access}` });
}

// --- public API ---------------------------------------------------------------------------------------

/**
 * request({url, method, data, header, silent, withHeaders}) → Promise of the response body, or with
 * `withHeaders: true` of {data, headers, statusCode}, header names in lower case (a list's
 * `x-pagination`, for one).
 */
function request({ url, method = 'GET', data, header, silent = false, withHeaders = false }) {
  const verb = method.toUpperCase();
  const headers = Object.assign({}, header);
  // One key per logical call: a retry after a token refresh is the same write. A page that keeps a
  // key per draft (so a second tap after a lost response is the same write) passes its own.
  if (WRITE_METHODS.indexOf(verb) !== -1 && !headers['Idempotency-Key']) headers['Idempotency-Key'] = newIdempotencyKey();
  return withSession((access) => send({ url, method: verb, data, header: authHeader(headers, access) }), silent)
    .then((res) => (withHeaders ? { data: res.body, headers: res.headers, statusCode: res.status } : res.body));
}

/** Upload one file as multipart field `file`; resolves the parsed JSON body. */
function upload(url, filePath, formData, options = {}) {
  const header = { 'Idempotency-Key': options.idempotencyKey || newIdempotencyKey() };
  return withSession((access) => sendFile({ url, filePath, formData, header: authHeader(header, access) }), !!options.silent)
    .then((res) => res.body);
}

/**
 * Download `url` (an API path such as a photo's `/api/v1/media/…`, which needs the bearer token that an
 * <image src> cannot send) to a temporary file; resolves its path. Same session handling as request().
 */
function download(url, options = {}) {
  return withSession((access) => receiveFile({ url, header: authHeader({}, access) }), !!options.silent)
    .then((res) => res.filePath);
}

const get = (url, data, options) => request(Object.assign({ url, method: 'GET', data }, options));
const post = (url, data, options) => request(Object.assign({ url, method: 'POST', data }, options));
const patch = (url, data, options) => request(Object.assign({ url, method: 'PATCH', data }, options));
const del = (url, data, options) => request(Object.assign({ url, method: 'DELETE', data }, options));

/** Log in with WeChat (or the dev openid); resolves {access_token, refresh_token, user, …}. */
function login(options = {}) {
  return loginOnce().catch((error) => {
    if (!options.silent) showError(error);
    throw error;
  });
}

/** Revoke this login on the server (best effort), then forget the tokens on this phone. */
function logout() {
  if (!isLoggedIn()) return Promise.resolve();
  const forget = () => clearTokens();
  return post('/api/v1/auth/logout', undefined, { silent: true }).then(forget, forget);
}

function isLoggedIn() {
  return !!(wx.getStorageSync(ACCESS_TOKEN_KEY) || wx.getStorageSync(REFRESH_TOKEN_KEY));
}

module.exports = {
  request,
  get,
  post,
  patch,
  del,
  upload,
  download,
  login,
  logout,
  isLoggedIn,
  ACCESS_TOKEN_KEY,
  REFRESH_TOKEN_KEY,
  NETWORK_ERROR_MESSAGE,
};
