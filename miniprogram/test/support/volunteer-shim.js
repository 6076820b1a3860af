/**
 * The Node `wx` shim of wx-shim.js, extended with the calls volunteering makes, and a loader for a
 * volunteer's (or organiser's) session on it:
 *
 * - wx.scanCode: answers with the next queued result (`wx.queueScan(code)`), as the camera would read
 *   the organiser's screen; with nothing queued it fails as a cancelled scan does ("scanCode:fail cancel").
 * - wx.getLocation: `wx.location` ({latitude, longitude}) or, when null, a refusal ("getLocation:fail auth deny").
 * - wx.showModal: recorded in `wx.modals`, answered with `wx.modalAnswer` (confirm by default).
 * - wx.requestSubscribeMessage: recorded; fails, as without WeChat. wx.vibrateShort: nothing.
 *
 * `loadVolunteerSession()` loads fresh, UNMODIFIED copies of config.js, utils/request.js and
 * utils/volunteer.js (which uses that request module) on such a wx. request.js uses the global `wx`,
 * so `session.act(fn)` makes the session's wx the global one while fn runs: run sessions one at a time.
 */
const { createWx } = require('./wx-shim');

function later(fn) {
  setTimeout(fn, 0);
}

function createVolunteerWx(options = {}) {
  const wx = createWx(options);
  const scans = [];
  Object.assign(wx, {
    scans,
    location: null,
    modals: [],
    modalAnswer: true,
    subscribeRequests: [],

    queueScan(result, extra = {}) {
      scans.push(Object.assign({ result, scanType: 'QR_CODE', charSet: 'utf-8', rawData: '' }, extra));
    },

    scanCode({ success, fail, complete } = {}) {
      later(() => {
        const found = scans.shift();
        const res = found ? Object.assign({ errMsg: 'scanCode:ok' }, found) : { errMsg: 'scanCode:fail cancel' };
        if (found) { if (success) success(res); } else if (fail) fail(res);
        if (complete) complete(res);
      });
    },

    getLocation({ success, fail, complete } = {}) {
      later(() => {
        const res = wx.location
          ? Object.assign({ errMsg: 'getLocation:ok', accuracy: 30 }, wx.location)
          : { errMsg: 'getLocation:fail auth deny' };
        if (wx.location) { if (success) success(res); } else if (fail) fail(res);
        if (complete) complete(res);
      });
    },

    showModal(options = {}) {
      wx.modals.push(options);
      later(() => {
        const res = { errMsg: 'showModal:ok', confirm: !!wx.modalAnswer, cancel: !wx.modalAnswer };
        if (options.success) options.success(res);
        if (options.complete) options.complete(res);
      });
    },

    requestSubscribeMessage(options = {}) {
      wx.subscribeRequests.push(options.tmplIds);
      later(() => { if (options.fail) options.fail({ errMsg: 'requestSubscribeMessage:fail' }); });
    },

    vibrateShort() {},
  });
  return wx;
}

/** A logged-out session for `loginCode` (e.g. 'dev:e2e-volunteer') against `apiBase`. */
function loadVolunteerSession({ apiBase, loginCode }) {
  const wx = createVolunteerWx({ loginCode });
  let request;
  let vol;
  global.wx = wx;
  jest.isolateModules(() => {
    const config = require('../../config');
    config.apiBase = apiBase;
    config.devOpenid = '';
    request = require('../../utils/request');
    vol = require('../../utils/volunteer');
  });
  const session = {
    wx,
    request,
    vol, // utils/volunteer.js
    /** Run `fn(session)` with this session's wx as the global one. */
    act: async (fn) => {
      global.wx = wx;
      return fn(session);
    },
  };
  return session;
}

module.exports = { createVolunteerWx, loadVolunteerSession };
