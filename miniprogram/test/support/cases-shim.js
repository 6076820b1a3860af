/**
 * The Node `wx` shim (wx-shim.js) plus the calls the case pages make, for the end-to-end test:
 *
 * - wx.downloadFile: GET with the given headers, the body written to a temporary file;
 *   `success` for ANY HTTP status with {statusCode, tempFilePath}, `fail` only when no response came.
 * - wx.requestSubscribeMessage: answers every template id with `subscribeAnswer` ('accept' by default)
 *   and records each call in `wx.subscribeRequests`.
 *
 * `loadCaseSession` loads config.js, the UNMODIFIED utils/request.js and utils/cases.js together in one
 * fresh module registry, so the helpers use the same request module (and session) as the test.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { createWx } = require('./wx-shim');

const downloadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-downloads-'));
let downloads = 0;

function extendWx(wx, { subscribeAnswer = 'accept' } = {}) {
  wx.downloads = [];
  wx.subscribeRequests = [];

  wx.downloadFile = ({ url, header = {}, success, fail, complete }) => {
    const call = { url, path: new URL(url).pathname, header: { ...header }, status: null };
    wx.downloads.push(call);
    fetch(url, { headers: header })
      .then(async (response) => {
        call.status = response.status;
        downloads += 1;
        const tempFilePath = path.join(downloadDir, `download-${process.pid}-${downloads}`);
        fs.writeFileSync(tempFilePath, Buffer.from(await response.arrayBuffer()));
        const res = { statusCode: response.status, tempFilePath, errMsg: 'downloadFile:ok' };
        if (success) success(res);
        if (complete) complete(res);
      }, (error) => {
        const res = { errMsg: `downloadFile:fail ${error.message}` };
        if (fail) fail(res);
        if (complete) complete(res);
      });
    return { abort() {} };
  };

  wx.requestSubscribeMessage = ({ tmplIds, success, complete }) => {
    wx.subscribeRequests.push(tmplIds.slice());
    setTimeout(() => {
      const res = { errMsg: 'requestSubscribeMessage:ok' };
      tmplIds.forEach((id) => { res[id] = subscribeAnswer; });
      if (success) success(res);
      if (complete) complete(res);
    });
  };

  return wx;
}

/** A logged-out session for `loginCode` against `apiBase`: {api, cases, wx, config}. */
function loadCaseSession({ apiBase, loginCode, subscribeAnswer } = {}) {
  const wx = extendWx(createWx({ loginCode }), { subscribeAnswer });
  global.wx = wx;
  let api;
  let cases;
  let config;
  jest.isolateModules(() => {
    config = require('../../config');
    api = require('../../utils/request');
    cases = require('../../utils/cases');
  });
  config.apiBase = apiBase;
  config.devOpenid = '';
  return { api, cases, wx, config };
}

module.exports = { extendWx, loadCaseSession };
