/**
 * @jest-environment node
 *
 * utils/consent.js: subscribe-message consent for every feature (the request module and `wx` are
 * stand-ins here; cases.e2e.test.js runs it against the backend).
 */
const mockApi = { get: jest.fn(), post: jest.fn() };
jest.mock('../utils/request', () => mockApi);

let consent;
beforeEach(() => {
  jest.clearAllMocks();
  global.wx = { requestSubscribeMessage: jest.fn() };
  jest.isolateModules(() => { consent = require('../utils/consent'); }); // a fresh template cache per test
});

test('asks synchronously for the configured templates and records the accepted ones', async () => {
  mockApi.post.mockResolvedValue({});
  const templates = { case_progress: 't-progress', case_assigned: 't-assigned' };
  const asked = consent.askConsent(templates, ['case_progress', 'case_assigned', 'case_missing']);
  expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1); // before any await: still inside the tap
  const { tmplIds, success } = wx.requestSubscribeMessage.mock.calls[0][0];
  expect(tmplIds).toEqual(['t-progress', 't-assigned']);
  success({ 't-progress': 'accept', 't-assigned': 'reject' });
  await expect(asked).resolves.toEqual(['t-progress']);
  expect(mockApi.post).toHaveBeenCalledWith('/api/v1/subscriptions', { template_ids: ['t-progress'] }, { silent: true });
});

test('at most three templates are asked for at once, as WeChat allows', () => {
  const templates = { a: 't-a', b: 't-b', c: 't-c', d: 't-d' };
  consent.askConsent(templates, ['a', 'b', 'c', 'd']);
  expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['t-a', 't-b', 't-c']);
});

test('no templates, no WeChat, a refusal or a failure to record never get in the way', async () => {
  await expect(consent.askConsent({}, ['case_progress'])).resolves.toEqual([]);
  await expect(consent.askConsent(undefined, ['case_progress'])).resolves.toEqual([]);
  expect(wx.requestSubscribeMessage).not.toHaveBeenCalled();

  const refused = consent.askConsent({ case_progress: 't' }, ['case_progress']);
  wx.requestSubscribeMessage.mock.calls[0][0].fail({ errMsg: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.' });
  await expect(refused).resolves.toEqual([]);
  expect(mockApi.post).not.toHaveBeenCalled();

  mockApi.post.mockRejectedValue(new Error('网络不给力，请稍后重试'));
  const offline = consent.askConsent({ case_progress: 't' }, ['case_progress']);
  wx.requestSubscribeMessage.mock.calls[1][0].success({ t: 'accept' });
  await expect(offline).resolves.toEqual(['t']);

  delete wx.requestSubscribeMessage; // an older WeChat, or a client without it
  await expect(consent.askConsent({ case_progress: 't' }, ['case_progress'])).resolves.toEqual([]);
});

test('templates are fetched once, and again after a failure', async () => {
  mockApi.get.mockRejectedValueOnce(new Error('offline')).mockResolvedValue({ templates: { case_progress: 't' }, consents: {} });
  await expect(consent.loadTemplates()).resolves.toEqual({});
  await expect(consent.loadTemplates()).resolves.toEqual({ case_progress: 't' });
  await expect(consent.loadTemplates()).resolves.toEqual({ case_progress: 't' });
  expect(mockApi.get).toHaveBeenCalledTimes(2);
  expect(mockApi.get).toHaveBeenCalledWith('/api/v1/subscriptions', undefined, { silent: true });
});
