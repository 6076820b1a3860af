/**
 * Sessions for the 协商议事 end-to-end test, on the Node `wx` shim (wx-shim.js).
 *
 * `loadTopicsSession` loads config.js, the UNMODIFIED utils/request.js and utils/topics.js together in
 * one fresh module registry, so the topic helpers use the same request module (and session) as the
 * test. As on a phone, the modules use the global `wx`: finish with one session before using the
 * next (`use()` switches).
 */
const { createWx } = require('./wx-shim');

/** A logged-out session for dev login as `openid` against `apiBase`: {request, topics, wx, config, use}. */
function loadTopicsSession({ apiBase, openid }) {
  const wx = createWx({ loginCode: `dev:${openid}` });
  global.wx = wx;
  let request;
  let topics;
  let config;
  jest.isolateModules(() => {
    config = require('../../config');
    request = require('../../utils/request');
    topics = require('../../utils/topics');
  });
  config.apiBase = apiBase;
  config.devOpenid = '';
  return { request, topics, wx, config, openid, use: () => { global.wx = wx; } };
}

module.exports = { loadTopicsSession };
