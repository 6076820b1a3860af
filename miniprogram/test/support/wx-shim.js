/**
 * A `wx` object for Node, on fetch/FormData, with the documented semantics of the calls
 * utils/request.js makes, so the unmodified module can talk to a real HTTP server:
 *
 * - wx.request: `success` for ANY HTTP status, `fail` only when no response arrived; GET data becomes
 *   the query string, other methods send JSON (or a form body for x-www-form-urlencoded);
 *   dataType 'json' parses the body when it is JSON.
 * - wx.uploadFile: multipart/form-data with the file under `name` plus `formData` fields;
 *   `res.data` is the raw response STRING, as on a phone.
 * - wx.downloadFile: GET with the given headers, the body written to a temporary file; `success` for ANY
 *   HTTP status with {statusCode, tempFilePath}, `fail` only when no response came.
 * - wx.login: a configurable code; storage: an in-memory map; showToast/showLoading: recorded.
 *
 * `wx.calls` records every request (downloads too) as {method, path, header, data, status} for assertions.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

let downloadDir = null;
let downloads = 0;

/** A new file for a download's body, in a temporary folder made on first use. */
function downloadTarget() {
  if (!downloadDir) downloadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-downloads-'));
  downloads += 1;
  return path.join(downloadDir, `download-${process.pid}-${downloads}`);
}

function headerValue(header, name) {
  const key = Object.keys(header || {}).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? header[key] : undefined;
}

function toQuery(data) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(data || {})) {
    if (value !== undefined && value !== null) params.append(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  return params.toString();
}

function responseHeaders(response) {
  const out = {};
  response.headers.forEach((value, key) => { out[key] = value; });
  return out;
}

/**
 * Answer a wx network call as WeChat does: `success` (with `res` and errMsg '<name>:ok') when `exchange`
 * resolves, `fail` when no response came, then `complete` either way.
 */
function deliver(name, exchange, { success, fail, complete }) {
  return exchange.then((answer) => {
    const res = { ...answer, errMsg: `${name}:ok` };
    if (success) success(res);
    if (complete) complete(res);
  }, (error) => {
    const res = { errMsg: `${name}:fail ${error.cause ? error.cause.code || error.cause.message : error.message}` };
    if (fail) fail(res);
    if (complete) complete(res);
  });
}

function createWx({ loginCode = 'wx-test-code', timeout = 10000 } = {}) {
  const storage = new Map();
  const wx = {
    calls: [],
    toasts: [],
    logins: 0,
    loginCode,

    request({ url, method = 'GET', data, header = {}, dataType = 'json', timeout: ms = timeout, success, fail, complete }) {
      const verb = method.toUpperCase();
      const headers = { ...header };
      let target = url;
      let body;
      if (verb === 'GET' || verb === 'HEAD') {
        const query = typeof data === 'string' ? data : toQuery(data);
        if (query) target += (target.includes('?') ? '&' : '?') + query;
      } else if (data !== undefined) {
        const type = headerValue(headers, 'content-type') || 'application/json';
        if (!headerValue(headers, 'content-type')) headers['content-type'] = type;
        if (typeof data === 'string' || data instanceof ArrayBuffer) body = data;
        else if (/x-www-form-urlencoded/i.test(type)) body = toQuery(data);
        else body = JSON.stringify(data);
      }
      const call = { method: verb, path: new URL(target).pathname, header: headers, data, status: null };
      wx.calls.push(call);
      const task = new AbortController();
      const timer = setTimeout(() => task.abort(), ms);
      const exchange = fetch(target, { method: verb, headers, body, signal: task.signal }).then(async (response) => {
        call.status = response.status;
        const text = await response.text();
        let parsed = text;
        if (dataType === 'json') {
          try { parsed = JSON.parse(text); } catch (e) { /* not JSON: keep the string, as wx does */ }
        }
        return { statusCode: response.status, data: parsed, header: responseHeaders(response) };
      });
      deliver('request', exchange, { success, fail, complete }).finally(() => clearTimeout(timer));
      return { abort: () => task.abort() };
    },

    uploadFile({ url, filePath, name, formData = {}, header = {}, success, fail, complete }) {
      const form = new FormData();
      for (const [key, value] of Object.entries(formData)) form.append(key, String(value));
      let bytes;
      try {
        bytes = fs.readFileSync(filePath);
      } catch (error) {
        const res = { errMsg: `uploadFile:fail file not found ${filePath}` };
        setTimeout(() => { if (fail) fail(res); if (complete) complete(res); });
        return { abort() {} };
      }
      form.append(name, new Blob([bytes]), path.basename(filePath));
      const call = { method: 'POST', path: new URL(url).pathname, header: { ...header }, data: { file: filePath, ...formData }, status: null };
      wx.calls.push(call);
      // fetch sets the multipart boundary
      const exchange = fetch(url, { method: 'POST', headers: header, body: form }).then(async (response) => {
        call.status = response.status;
        return { statusCode: response.status, data: await response.text() };
      });
      deliver('uploadFile', exchange, { success, fail, complete });
      return { abort() {} };
    },

    downloadFile({ url, header = {}, success, fail, complete }) {
      const call = { method: 'GET', path: new URL(url).pathname, header: { ...header }, data: undefined, status: null };
      wx.calls.push(call);
      const exchange = fetch(url, { headers: header }).then(async (response) => {
        call.status = response.status;
        const tempFilePath = downloadTarget();
        fs.writeFileSync(tempFilePath, Buffer.from(await response.arrayBuffer()));
        return { statusCode: response.status, tempFilePath };
      });
      deliver('downloadFile', exchange, { success, fail, complete });
      return { abort() {} };
    },

    login({ success, fail, complete } = {}) {
      wx.logins += 1;
      setTimeout(() => {
        const res = wx.loginCode ? { code: wx.loginCode, errMsg: 'login:ok' } : { errMsg: 'login:fail' };
        if (wx.loginCode) { if (success) success(res); } else if (fail) fail(res);
        if (complete) complete(res);
      });
    },

    getStorageSync: (key) => (storage.has(key) ? storage.get(key) : ''),
    setStorageSync: (key, value) => { storage.set(key, value); },
    removeStorageSync: (key) => { storage.delete(key); },
    clearStorageSync: () => storage.clear(),

    showToast: (options) => { wx.toasts.push(options); },
    hideToast: () => {},
    showLoading: () => {},
    hideLoading: () => {},
  };
  return wx;
}

module.exports = { createWx };
