/**
 * @jest-environment node
 *
 * utils/request.js against a scripted local HTTP server, for the paths the real backend cannot be
 * made to take on demand (a failing refresh endpoint, non-JSON errors, wx.login failing …).
 * The end-to-end behaviour against the Flask app is in request.e2e.test.js.
 */
const http = require('http');
const path = require('path');
const { loadRequestModule } = require('./support/load-request');

let server;
let baseUrl;
let handle; // (req, body) => [status, body]; set per test
const received = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => { raw += chunk; });
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, raw });
      let body = raw;
      try { body = JSON.parse(raw); } catch (e) { /* multipart or empty */ }
      const [status, payload, type = 'application/json'] = handle(req, body);
      res.writeHead(status, { 'Content-Type': type });
      res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => { received.length = 0; });

const tokens = (n) => ({ access_token: `A${n}`, refresh_token: `R${n}`, token_type: 'Bearer', expires_in: 900, user: { id: 1 } });
const bearer = (req) => req.headers.authorization;

function session(options = {}) {
  const loaded = loadRequestModule({ apiBase: `${baseUrl}/`, loginCode: 'wx-code-1', ...options });
  loaded.wx.setStorageSync('access_token', 'A0');
  loaded.wx.setStorageSync('refresh_token', 'R0');
  return loaded;
}

test('a refresh endpoint failing with 5xx rejects without logging in again', async () => {
  const { api, wx } = session();
  handle = (req) => {
    if (req.url === '/api/v1/auth/refresh') return [503, { code: 503, message: '服务暂时不可用，请稍后再试' }];
    return [401, { code: 401, message: '请先登录', reason: 'token_expired' }];
  };
  const error = await api.get('/api/v1/me').catch((e) => e);
  expect(error.status).toBe(503);
  expect(wx.logins).toBe(0);
  expect(wx.toasts).toEqual([{ title: '服务暂时不可用，请稍后再试', icon: 'none' }]);
  expect(wx.getStorageSync('refresh_token')).toBe('R0');
});

test('a 401 after a successful refresh is final: no loop', async () => {
  const { api, wx } = session();
  handle = (req) => (req.url === '/api/v1/auth/refresh' ? [200, tokens(1)] : [401, { message: '请先登录' }]);
  const error = await api.get('/api/v1/me').catch((e) => e);
  expect(error.status).toBe(401);
  expect(received.map((r) => r.url)).toEqual(['/api/v1/me', '/api/v1/auth/refresh', '/api/v1/me']);
  expect(wx.logins).toBe(0);
});

test('GET data goes to the query string and the base URL slash is not doubled', async () => {
  const { api } = session();
  handle = () => [200, []];
  await api.get('/api/v1/cases', { view: 'mine', page: 2 });
  expect(received[0].url).toBe('/api/v1/cases?view=mine&page=2');
  expect(received[0].headers['idempotency-key']).toBeUndefined();
});

test('a non-JSON error body still gives a readable message', async () => {
  const { api, wx } = session();
  handle = () => [502, '<html>Bad Gateway</html>', 'text/html'];
  const error = await api.del('/api/v1/signups/3').catch((e) => e);
  expect(error.status).toBe(502);
  expect(error.body).toBe('<html>Bad Gateway</html>');
  expect(error.message).toBe('服务器开小差了，请稍后再试');
  expect(received[0].headers['idempotency-key']).toEqual(expect.any(String));
  expect(wx.toasts).toEqual([{ title: '服务器开小差了，请稍后再试', icon: 'none' }]);
});

test('wx.login failing rejects with a Chinese message', async () => {
  const { api, wx } = session({ loginCode: null });
  wx.removeStorageSync('access_token');
  wx.removeStorageSync('refresh_token');
  handle = () => [500, {}];
  const error = await api.login().catch((e) => e);
  expect(error.message).toBe('微信登录失败，请稍后重试');
  expect(received).toEqual([]);
  expect(wx.toasts).toEqual([{ title: '微信登录失败，请稍后重试', icon: 'none' }]);
});

test('an upload refused with 401 is refreshed and sent again as multipart field "file"', async () => {
  const { api, wx } = session();
  handle = (req) => {
    if (req.url === '/api/v1/auth/refresh') return [200, tokens(1)];
    if (bearer(req) !== 'Bearer A1') return [401, { message: '请先登录' }];
    return [201, { id: 9, url: '/media/9.png', thumbnail_url: '/media/9-thumb.png' }];
  };
  const uploaded = await api.upload('/api/v1/uploads', path.resolve(__dirname, '../images/tab-home.png'), { purpose: 'case' });
  expect(uploaded).toEqual({ id: 9, url: '/media/9.png', thumbnail_url: '/media/9-thumb.png' });
  const uploads = received.filter((r) => r.url === '/api/v1/uploads');
  expect(uploads).toHaveLength(2);
  expect(uploads[1].headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
  expect(uploads[1].raw).toMatch(/name="file"; filename="tab-home.png"/);
  expect(uploads[1].raw).toMatch(/name="purpose"\r\n\r\ncase/);
  expect(uploads[1].headers['idempotency-key']).toBe(uploads[0].headers['idempotency-key']);
  expect(wx.getStorageSync('refresh_token')).toBe('R1');
});

test('logout without a session sends nothing', async () => {
  const { api, wx } = session();
  wx.clearStorageSync();
  handle = () => [500, {}];
  await api.logout();
  expect(received).toEqual([]);
});
