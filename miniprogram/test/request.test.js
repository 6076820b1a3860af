/**
 * @jest-environment node
 *
 * utils/request.js against a scripted local HTTP server, for the paths the real backend cannot be
 * made to take on demand (a failing refresh endpoint, non-JSON errors, wx.login failing …).
 * The end-to-end behaviour against the Flask app is in request.e2e.test.js.
 */
const fs = require('fs');
const http = require('http');
const path = require('path');
const { loadRequestModule } = require('./support/load-request');

let server;
let baseUrl;
let handle; // (req, body) => [status, body, contentType?, headers?]; set per test
const received = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => { raw += chunk; });
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, raw });
      let body = raw;
      try { body = JSON.parse(raw); } catch (e) { /* multipart or empty */ }
      const [status, payload, type = 'application/json', headers = {}] = handle(req, body);
      res.writeHead(status, { 'Content-Type': type, ...headers });
      res.end(typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload));
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

describe('response headers', () => {
  const PAGINATION = JSON.stringify({ total: 45, total_pages: 3, first_page: 1, last_page: 3, page: 1, next_page: 2 });

  test('withHeaders resolves {data, headers, statusCode}, header names in lower case', async () => {
    const { api } = session();
    handle = () => [200, [{ id: 1 }], 'application/json', { 'X-Pagination': PAGINATION }];
    const res = await api.get('/api/v1/cases', { page: 1 }, { withHeaders: true });
    expect(res.statusCode).toBe(200);
    expect(res.data).toEqual([{ id: 1 }]);
    expect(JSON.parse(res.headers['x-pagination'])).toEqual(expect.objectContaining({ page: 1, next_page: 2, total_pages: 3 }));
  });

  test('callers that do not ask still get the body alone, also after a token refresh', async () => {
    const { api } = session();
    handle = (req) => {
      if (req.url === '/api/v1/auth/refresh') return [200, tokens(1)];
      if (bearer(req) !== 'Bearer A1') return [401, { message: '请先登录' }];
      return [200, [{ id: 2 }], 'application/json', { 'X-Pagination': PAGINATION }];
    };
    await expect(api.get('/api/v1/cases')).resolves.toEqual([{ id: 2 }]);
    const res = await api.request({ url: '/api/v1/cases', withHeaders: true });
    expect(res.data).toEqual([{ id: 2 }]);
    expect(res.headers['x-pagination']).toBe(PAGINATION);
  });
});

describe('download()', () => {
  const PHOTO = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // a PNG signature

  test('sends the bearer token to the API base and resolves the downloaded file', async () => {
    const { api, wx } = session();
    handle = () => [200, PHOTO, 'image/png'];
    const file = await api.download('/api/v1/media/3/thumbnail');
    expect(fs.readFileSync(file).subarray(0, 4).toString('hex')).toBe('89504e47');
    expect(received.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([['GET', '/api/v1/media/3/thumbnail', 'Bearer A0']]);
    expect(wx.toasts).toEqual([]);
  });

  test('a 401 renews the token once for downloads and requests alike, then retries', async () => {
    const { api, wx } = session();
    handle = (req) => {
      if (req.url === '/api/v1/auth/refresh') return [200, tokens(1)];
      if (bearer(req) !== 'Bearer A1') return [401, { message: '请先登录', reason: 'token_expired' }];
      return req.url === '/api/v1/me' ? [200, { id: 1 }] : [200, PHOTO, 'image/png'];
    };
    const [first, second, me] = await Promise.all([
      api.download('/api/v1/media/4'), api.download('/api/v1/media/5/thumbnail'), api.get('/api/v1/me'),
    ]);
    expect(fs.existsSync(first) && fs.existsSync(second)).toBe(true);
    expect(me).toEqual({ id: 1 });
    expect(received.filter((r) => r.url === '/api/v1/auth/refresh')).toHaveLength(1); // one shared refresh
    expect(received.filter((r) => r.url === '/api/v1/media/4').map(bearer)).toEqual(['Bearer A0', 'Bearer A1']);
    expect(wx.getStorageSync('refresh_token')).toBe('R1');
    expect(wx.logins).toBe(0);
  });

  test('a refused download rejects with its status; silent asks for no toast', async () => {
    const { api, wx } = session();
    handle = () => [404, { code: 404, message: '未找到' }];
    const loud = await api.download('/api/v1/media/6').catch((e) => e);
    expect(loud.status).toBe(404);
    expect(loud.message).toBe('未找到请求的内容'); // the body is in a file: the fallback for the status
    expect(wx.toasts).toEqual([{ title: '未找到请求的内容', icon: 'none' }]);

    const quiet = await api.download('/api/v1/media/6', { silent: true }).catch((e) => e);
    expect(quiet.status).toBe(404);
    expect(wx.toasts).toHaveLength(1);
  });

  test('no connection rejects with the network message', async () => {
    const { api, config } = session();
    config.apiBase = 'http://127.0.0.1:9'; // nothing listens on the discard port
    const error = await api.download('/api/v1/media/7', { silent: true }).catch((e) => e);
    expect(error.network).toBe(true);
    expect(error.message).toBe('网络不给力，请稍后重试');
  });
});
