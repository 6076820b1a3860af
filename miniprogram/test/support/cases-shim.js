/**
 * The Node `wx` shim (wx-shim.js) plus the call the case pages make beyond it, for the end-to-end test:
 *
 * - wx.requestSubscribeMessage: answers every template id with `subscribeAnswer` ('accept' by default)
 *   and records each call in `wx.subscribeRequests`.
 *
 * `loadCaseSession` loads config.js, the UNMODIFIED utils/request.js, utils/cases.js and utils/consent.js
 * together in one fresh module registry, so the helpers use the same request module (and session) as the test.
 */
const { createWx } = require('./wx-shim');

function extendWx(wx, { subscribeAnswer = 'accept' } = {}) {
  wx.subscribeRequests = [];

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

/** A logged-out session for `loginCode` against `apiBase`: {api, cases, consent, wx, config}. */
function loadCaseSession({ apiBase, loginCode, subscribeAnswer } = {}) {
  const wx = extendWx(createWx({ loginCode }), { subscribeAnswer });
  global.wx = wx;
  let api;
  let cases;
  let consent;
  let config;
  jest.isolateModules(() => {
    config = require('../../config');
    api = require('../../utils/request');
    cases = require('../../utils/cases');
    consent = require('../../utils/consent');
  });
  config.apiBase = apiBase;
  config.devOpenid = '';
  return { api, cases, consent, wx, config };
}

module.exports = { extendWx, loadCaseSession };
