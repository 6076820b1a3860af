/**
 * A fresh copy of the UNMODIFIED utils/request.js (and config.js) driven by a Node `wx` shim.
 * request.js uses the global `wx`, as on a phone, so only the latest session loaded is live:
 * finish with one before loading the next.
 */
const { createWx } = require('./wx-shim');

function loadRequestModule({ apiBase, loginCode, devOpenid = '' } = {}) {
  const wx = createWx({ loginCode });
  global.wx = wx;
  let api;
  let config;
  jest.isolateModules(() => {
    config = require('../../config');
    api = require('../../utils/request');
  });
  if (apiBase) config.apiBase = apiBase;
  config.devOpenid = devOpenid;
  return { api, wx, config };
}

module.exports = { loadRequestModule };
