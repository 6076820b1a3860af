/** The app object. Session state lives in storage, managed by utils/request.js. */
App({
  globalData: {},
});
