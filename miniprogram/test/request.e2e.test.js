/**
 * @jest-environment node
 *
 * The UNMODIFIED utils/request.js, driven through a Node `wx` shim, against the REAL Flask app
 * (`python -m backend.testserver`, fresh SQLite database, dev login, 2-second access tokens).
 */
const net = require('net');
const path = require('path');
const { startBackend } = require('./support/backend-server');
const { loadRequestModule } = require('./support/load-request');

const ACCESS_TTL_SECONDS = 2;
const PNG = path.resolve(__dirname, '../images/tab-home.png');

jest.setTimeout(30000);

let server;
beforeAll(async () => {
  server = await startBackend({ accessTtl: ACCESS_TTL_SECONDS });
}, 40000);
afterAll(async () => {
  if (server) await server.stop();
});

let people = 0;
/** A request module for a new resident, logged in through dev login. */
async function newResident() {
  people += 1;
  const openid = `e2e-resident-${process.pid}-${people}`;
  const session = loadRequestModule({ apiBase: server.url, loginCode: `dev:${openid}` });
  const login = await session.api.login();
  return { ...session, openid, login };
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const callsTo = (wx, urlPath) => wx.calls.filter((call) => call.path === urlPath);

test('dev login stores the token pair and GET /api/v1/me works with the bearer token', async () => {
  const { api, wx, login, openid } = await newResident();
  expect(login).toEqual(expect.objectContaining({ token_type: 'Bearer', expires_in: ACCESS_TTL_SECONDS }));
  expect(callsTo(wx, '/api/v1/auth/wechat-login')[0].data).toEqual({ code: `dev:${openid}` });
  expect(wx.getStorageSync('access_token')).toBe(login.access_token);
  expect(wx.getStorageSync('refresh_token')).toBe(login.refresh_token);
  expect(api.isLoggedIn()).toBe(true);

  const me = await api.get('/api/v1/me');
  expect(me).toEqual(expect.objectContaining({ id: login.user.id, household: null, verified: false }));
  expect(Array.isArray(me.roles)).toBe(true);
  expect(callsTo(wx, '/api/v1/me')[0].header.Authorization).toBe(`Bearer ${login.access_token}`);
  expect(wx.toasts).toEqual([]);
});

test('config.devOpenid logs in as dev:<devOpenid> without calling wx.login', async () => {
  const { api, wx } = loadRequestModule({ apiBase: server.url, loginCode: 'a-real-wx-code', devOpenid: `e2e-config-${process.pid}` });
  const me = await api.get('/api/v1/me'); // no token yet: the module logs in first
  expect(me.id).toEqual(expect.any(Number));
  expect(wx.logins).toBe(0);
  expect(callsTo(wx, '/api/v1/auth/wechat-login').map((call) => call.data)).toEqual([{ code: `dev:e2e-config-${process.pid}` }]);
});

test('an expired access token is refreshed once for concurrent calls, and retried writes keep their Idempotency-Key', async () => {
  const { api, wx, login } = await newResident();
  await sleep(ACCESS_TTL_SECONDS * 1000 + 1500);

  const [me, renamed, joined] = await Promise.all([
    api.get('/api/v1/me'),
    api.patch('/api/v1/me', { nickname: '刷新后的名字' }),
    api.post('/api/v1/households/join', { invite_code: server.inviteCode }), // an @idempotent route
  ]);
  expect(me.id).toBe(login.user.id);
  expect(renamed.nickname).toBe('刷新后的名字');
  expect(joined.verified).toBe(true);

  // Every first attempt was refused, one refresh served them all, nobody logged in again.
  const attempts = (method, urlPath) => callsTo(wx, urlPath).filter((call) => call.method === method);
  expect(callsTo(wx, '/api/v1/auth/refresh').map((call) => call.status)).toEqual([200]);
  expect(callsTo(wx, '/api/v1/auth/wechat-login')).toHaveLength(1); // the initial login only
  expect(wx.logins).toBe(1);
  expect(attempts('GET', '/api/v1/me').map((call) => call.status)).toEqual([401, 200]);
  for (const writes of [attempts('PATCH', '/api/v1/me'), attempts('POST', '/api/v1/households/join')]) {
    expect(writes.map((call) => call.status)).toEqual([401, 200]);
    expect(writes[0].header['Idempotency-Key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(writes[1].header['Idempotency-Key']).toBe(writes[0].header['Idempotency-Key']);
  }

  // The refresh token rotated and the new pair is stored.
  expect(wx.getStorageSync('refresh_token')).not.toBe(login.refresh_token);
  expect(wx.getStorageSync('access_token')).not.toBe(login.access_token);
  expect(wx.toasts).toEqual([]);
});

test('a refused refresh token falls back to a new WeChat login and the call succeeds', async () => {
  const { api, wx, login } = await newResident();
  wx.setStorageSync('access_token', 'not-a-valid-token');
  wx.setStorageSync('refresh_token', 'not-a-valid-refresh-token');

  const me = await api.get('/api/v1/me');
  expect(me.id).toBe(login.user.id); // same openid, same person
  expect(callsTo(wx, '/api/v1/auth/refresh').map((call) => call.status)).toEqual([401]);
  expect(wx.logins).toBe(2);
  expect(wx.getStorageSync('refresh_token')).not.toBe('not-a-valid-refresh-token');
  expect(wx.toasts).toEqual([]);
});

test('a bad invite code rejects with 404 and toasts the server\'s Chinese message', async () => {
  const { api, wx } = await newResident();
  const error = await api.post('/api/v1/households/join', { invite_code: 'NOSUCH99' }).catch((e) => e);
  expect(error).toBeInstanceOf(Error);
  expect(error.status).toBe(404);
  expect(error.reason).toEqual(expect.any(String));
  expect(error.body).toEqual(expect.objectContaining({ code: 404, message: error.message })); // flask-smorest: code is the number
  expect(error.message).toMatch(/[\u4e00-\u9fa5]/);
  expect(wx.toasts).toEqual([{ title: error.message, icon: 'none' }]);
});

test('silent: true rejects without a toast', async () => {
  const { api, wx } = await newResident();
  const error = await api.post('/api/v1/households/join', { invite_code: 'NOSUCH99' }, { silent: true }).catch((e) => e);
  expect(error.status).toBe(404);
  expect(wx.toasts).toEqual([]);
});

test('joining with the valid invite code makes the resident verified', async () => {
  const { api, wx } = await newResident();
  const joined = await api.post('/api/v1/households/join', { invite_code: server.inviteCode });
  expect(joined.verified).toBe(true);
  expect(callsTo(wx, '/api/v1/households/join')[0].header['Idempotency-Key']).toEqual(expect.any(String));

  const me = await api.get('/api/v1/me');
  expect(me.verified).toBe(true);
  expect(me.household).toEqual(expect.objectContaining({ id: expect.any(Number), address: expect.any(String) }));
  expect(me.household.address.length).toBeGreaterThan(0);
});

test('a key the page keeps for its draft is sent as is, so a second tap replays the first answer', async () => {
  const { api, wx } = await newResident();
  const options = { header: { 'Idempotency-Key': `draft-${process.pid}` } };
  const first = await api.post('/api/v1/households/join', { invite_code: server.inviteCode }, options);
  const again = await api.post('/api/v1/households/join', { invite_code: server.inviteCode }, options);
  expect(again).toEqual(first);
  expect(callsTo(wx, '/api/v1/households/join').map((call) => call.header['Idempotency-Key']))
    .toEqual([`draft-${process.pid}`, `draft-${process.pid}`]);
});

test('uploading a PNG returns {id, url, thumbnail_url}', async () => {
  const { api, wx } = await newResident();
  const uploaded = await api.upload('/api/v1/uploads', PNG, { purpose: 'case' });
  expect(uploaded).toEqual(expect.objectContaining({
    id: expect.anything(),
    url: expect.any(String),
    thumbnail_url: expect.any(String),
  }));
  const [call] = callsTo(wx, '/api/v1/uploads');
  expect(call.header.Authorization).toMatch(/^Bearer /);
  expect(call.header['Idempotency-Key']).toEqual(expect.any(String));
  expect(wx.toasts).toEqual([]);
});

test('logout revokes the login on the server and clears storage', async () => {
  const { api, wx, login } = await newResident();
  await api.logout();
  expect(wx.getStorageSync('access_token')).toBe('');
  expect(wx.getStorageSync('refresh_token')).toBe('');
  expect(api.isLoggedIn()).toBe(false);
  expect(callsTo(wx, '/api/v1/auth/logout').map((call) => call.status)).toEqual([204]);

  const reuse = await fetch(`${server.url}/api/v1/auth/refresh`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: login.refresh_token }),
  });
  expect(reuse.status).toBe(401);
});

test('a network failure rejects with network: true and the network toast', async () => {
  const closedPort = await new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
  const { api, wx } = loadRequestModule({ apiBase: `http://127.0.0.1:${closedPort}`, loginCode: 'dev:e2e-offline' });
  wx.setStorageSync('access_token', 'whatever');
  const error = await api.get('/api/v1/me').catch((e) => e);
  expect(error.network).toBe(true);
  expect(error.status).toBeUndefined();
  expect(error.message).toBe('网络不给力，请稍后重试');
  expect(wx.toasts).toEqual([{ title: '网络不给力，请稍后重试', icon: 'none' }]);
});
