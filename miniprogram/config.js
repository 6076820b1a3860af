/**
 * The only place the API base URL lives; every request goes through utils/request.js, which reads it.
 *
 * In production apiBase must be an HTTPS domain listed in the admin console
 * (开发管理 → 开发设置 → 服务器域名). For a local backend, tick "不校验合法域名" in WeChat DevTools.
 */
module.exports = {
  apiBase: 'http://127.0.0.1:5000',
  // Dev login of the embedded demo backend: when set, logging in sends the code `dev:<devOpenid>`
  // instead of a wx.login code (e.g. 'demo-resident-1'). Leave '' for real WeChat login.
  devOpenid: '',
};
