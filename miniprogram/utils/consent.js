/**
 * Subscribe-message consent — 订阅消息授权: which WeChat templates the server has configured, and asking
 * the person (inside a tap, as WeChat requires) for one-time consent to the kinds a page sends.
 * Each feature names its own kinds (cases: RESIDENT_TEMPLATE_KINDS …, volunteering: CONSENT_KINDS).
 */
const { get, post } = require('./request');

const MAX_TEMPLATES_PER_ASK = 3; // wx.requestSubscribeMessage takes at most three

let templatesPending = null;

/** Template ids by notification kind ({case_progress: '…'}); {} when none are configured or offline. */
function loadTemplates() {
  if (!templatesPending) {
    templatesPending = get('/api/v1/subscriptions', undefined, { silent: true })
      .then((state) => (state && state.templates) || {})
      .catch(() => {
        templatesPending = null; // try again on the next page
        return {};
      });
  }
  return templatesPending;
}

/**
 * Ask for one-time consent to the templates of `kinds` and record the accepted ones.
 * Call it synchronously from a tap handler (WeChat refuses the dialog otherwise): `templates` must
 * already be loaded. Resolves the accepted template ids; never rejects.
 */
function askConsent(templates, kinds) {
  const ids = kinds.map((kind) => templates && templates[kind]).filter(Boolean).slice(0, MAX_TEMPLATES_PER_ASK);
  if (!ids.length || typeof wx.requestSubscribeMessage !== 'function') return Promise.resolve([]);
  return new Promise((resolve) => {
    wx.requestSubscribeMessage({
      tmplIds: ids,
      success: (res) => resolve(ids.filter((id) => res[id] === 'accept')),
      fail: () => resolve([]),
    });
  }).then((accepted) => {
    if (!accepted.length) return accepted;
    return post('/api/v1/subscriptions', { template_ids: accepted }, { silent: true })
      .then(() => accepted, () => accepted);
  });
}

module.exports = { loadTemplates, askConsent };
