/**
 * @jest-environment node
 *
 * Cases end to end: the UNMODIFIED utils/request.js and the pages' helpers (utils/cases.js) through a
 * Node `wx` shim against the REAL Flask app (`python -m backend.testserver`, in-process jobs), seeded
 * by tests/cases/e2e_seed.py with the catalogue, a grid worker on duty and a neighbour's open cases.
 *
 * The resident reports (categories → photo → nearby → consent → submit), the case is routed to the
 * worker, the worker accepts, starts and resolves with an after-photo, the resident confirms and rates.
 */
const fs = require('fs');
const path = require('path');
const { startBackend } = require('./support/backend-server');
const { loadCaseSession } = require('./support/cases-shim');

const PNG = path.resolve(__dirname, '../images/tab-home.png');
const APP = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../app.json'), 'utf8'));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TEMPLATES = {
  case_progress: { template_id: 'tmpl-case-progress', fields: { thing1: 'title', phrase2: 'status', time3: 'time' } },
  case_assigned: { template_id: 'tmpl-case-assigned', fields: { thing1: 'title', time2: 'time' } },
};

jest.setTimeout(30000);

let server;
let seeded;
beforeAll(async () => {
  // The test server reads its settings from the environment it is started with.
  const before = process.env.WECHAT_TEMPLATES;
  process.env.WECHAT_TEMPLATES = JSON.stringify(TEMPLATES);
  try {
    server = await startBackend({ seeds: ['tests.cases.e2e_seed:seed'] });
  } finally {
    if (before === undefined) delete process.env.WECHAT_TEMPLATES;
    else process.env.WECHAT_TEMPLATES = before;
  }
  seeded = server.seeded.cases;
}, 40000);
afterAll(async () => {
  if (server) await server.stop();
});

/** A logged-in person; `run(fn)` makes their `wx` the live one while fn runs (request.js uses the global). */
async function person(openid) {
  const session = loadCaseSession({ apiBase: server.url, loginCode: `dev:${openid}` });
  session.run = async (fn) => {
    global.wx = session.wx;
    return fn(session);
  };
  await session.run(({ api }) => api.login());
  return session;
}

const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const callsTo = (wx, method, urlPath) => wx.calls.filter((call) => call.method === method && call.path === urlPath);

/** Poll until `check(value)` holds (routing runs just after the submitting request). */
async function eventually(load, check, { timeoutMs = 8000, everyMs = 200 } = {}) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await load();
    if (check(value)) return value;
    if (Date.now() > until) return value;
    await sleep(everyMs);
  }
}

/** Whether a notification link opens a page this app declares (main package or sub-package). */
function declaredPage(link) {
  const page = link.split('?')[0];
  const sub = (APP.subPackages || []).some((pkg) => pkg.pages.some((p) => `${pkg.root}/${p}` === page));
  return APP.pages.includes(page) || sub;
}

describe('a resident reports, the grid worker handles it, the resident confirms and rates', () => {
  let resident;
  let worker;
  let caseId;
  let submitted;
  const point = () => ({ lat: seeded.point.lat + 0.0003, lng: seeded.point.lng + 0.0002 }); // ~40 m away

  beforeAll(async () => {
    resident = await person(`e2e-cases-resident-${process.pid}`);
    worker = await person(seeded.worker_openid);
  });

  test('the resident sees the catalogue and gives subscribe consent from the templates the server names', () => resident.run(async ({ api, cases, consent, wx }) => {
    const groups = await api.get('/api/v1/case-categories', { kind: 'incident' });
    const streetlight = groups.flatMap((g) => g.children).find((c) => c.code === 'streetlight');
    expect(streetlight).toEqual(expect.objectContaining({ kind: 'incident', requires_location: true, requires_photo: true }));
    expect(streetlight.dedup_radius_m).toBeGreaterThan(0);

    const templates = await consent.loadTemplates();
    expect(templates).toEqual(expect.objectContaining({ case_progress: 'tmpl-case-progress' }));
    const accepted = await consent.askConsent(templates, cases.RESIDENT_TEMPLATE_KINDS);
    expect(accepted).toEqual(['tmpl-case-progress']);
    expect(wx.subscribeRequests).toEqual([['tmpl-case-progress']]);
    const [recorded] = callsTo(wx, 'POST', '/api/v1/subscriptions');
    expect(recorded.data).toEqual({ template_ids: ['tmpl-case-progress'] });
    expect(recorded.status).toBe(200);
    const state = await api.get('/api/v1/subscriptions');
    expect(state.consents['tmpl-case-progress']).toBe(1);
  }));

  test('nearby offers the neighbour\'s open streetlight case, anonymised, and "me too" follows it', () => resident.run(async ({ api }) => {
    const nearby = await api.get('/api/v1/cases/nearby', { category_code: 'streetlight', ...point() });
    const suggestion = nearby.find((item) => item.id === seeded.nearby_case_id);
    expect(suggestion).toEqual(expect.objectContaining({ category_name: '路灯损坏', status: 'assigned', following: false }));
    expect(suggestion.distance_m).toBeLessThanOrEqual(100);
    expect(suggestion).not.toHaveProperty('description');
    expect(suggestion).not.toHaveProperty('reporter');

    const followed = await api.post(`/api/v1/cases/${seeded.nearby_case_id}/follow`);
    expect(followed.following).toBe(true);
    expect(followed.actions).toContain('unfollow');
    expect(followed.reporter).toBeNull(); // a follower never learns who reported it
    const again = await api.get('/api/v1/cases/nearby', { category_code: 'streetlight', ...point() });
    expect(again.find((item) => item.id === seeded.nearby_case_id).following).toBe(true);
    const mine = await api.get('/api/v1/cases', { view: 'mine' });
    expect(mine.find((item) => item.id === seeded.nearby_case_id)).toEqual(expect.objectContaining({ mine: false, following: true }));
  }));

  test('a different problem: photo uploaded first, nothing nearby, submitted with an Idempotency-Key', () => resident.run(async ({ api, cases, wx }) => {
    const photo = await api.upload('/api/v1/uploads', PNG);
    expect(photo).toEqual(expect.objectContaining({ id: expect.any(Number), thumbnail_url: expect.any(String) }));
    expect(await api.get('/api/v1/cases/nearby', { category_code: 'garbage', ...point() })).toEqual([]);

    const groups = await api.get('/api/v1/case-categories', { kind: 'incident' });
    const garbage = groups.flatMap((g) => g.children).find((c) => c.code === 'garbage');
    const form = { category: garbage, description: '  北门垃圾桶满了，垃圾堆在路边  ', location: point(), address: '长桥新村北门', photoIds: [photo.id], uploading: false, failedPhotos: 0, anonymous: false };
    expect(cases.validateReport(form)).toBeNull();
    submitted = await api.post('/api/v1/cases', cases.reportBody(form));
    caseId = submitted.id;
    expect(submitted).toEqual(expect.objectContaining({ kind: 'incident', mine: true, description: '北门垃圾桶满了，垃圾堆在路边' }));
    expect(submitted.photos.map((p) => p.id)).toEqual([photo.id]);

    const [call] = callsTo(wx, 'POST', '/api/v1/cases');
    expect(call.status).toBe(201);
    expect(call.header['Idempotency-Key']).toMatch(UUID);

    // A phone's retry of that very request (same key, same body) returns the same case, creates nothing.
    const replay = await fetch(`${server.url}/api/v1/cases`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: call.header.Authorization, 'Idempotency-Key': call.header['Idempotency-Key'] },
      body: JSON.stringify(call.data),
    });
    expect(replay.status).toBe(201);
    expect((await replay.json()).id).toBe(caseId);
    expect(wx.toasts).toEqual([]);
  }));

  test('the case is routed to the seeded worker and the resident reads it on the timeline', () => resident.run(async ({ api }) => {
    const detail = await eventually(() => api.get(`/api/v1/cases/${caseId}`), (c) => c.status === 'assigned');
    expect(detail.status).toBe('assigned');
    expect(detail.assignee).toEqual(expect.objectContaining({ name: seeded.worker_name, role_text: '网格员' }));
    expect(detail.grid.code).toBe(seeded.grid_code);
    expect(detail.timeline.map((e) => e.text)).toEqual(expect.arrayContaining([`已派单给网格员${seeded.worker_name}`]));
    expect(detail.timeline.every((e) => e.decision === null)).toBe(true); // routing reasons are for staff
    expect(detail.actions).toEqual(['cancel']);
  }));

  test('photos load only with the bearer token, for people who may see the case', async () => {
    const path1 = await resident.run(({ cases }) => cases.photoPath(submitted.photos[0].thumbnail_url));
    expect(fs.readFileSync(path1).subarray(0, 4).toString('hex')).toMatch(/^(ffd8ff|89504e47)/); // a JPEG or PNG
    const [download] = callsTo(resident.wx, 'GET', submitted.photos[0].thumbnail_url);
    expect(download.header.Authorization).toMatch(/^Bearer /);

    const stranger = await person(`e2e-cases-stranger-${process.pid}`);
    const refused = await stranger.run(({ cases }) => cases.photoPath(submitted.photos[0].thumbnail_url).catch((e) => e));
    expect(refused).toBeInstanceOf(Error);
    expect([403, 404]).toContain(refused.status);
    const hidden = await stranger.run(({ api }) => api.get(`/api/v1/cases/${caseId}`, undefined, { silent: true }).catch((e) => e));
    expect(hidden.status).toBe(404);
  });

  test('the worker\'s inbox lists the task, the overdue one first', () => worker.run(async ({ api }) => {
    const inbox = await api.get('/api/v1/cases', { view: 'assigned', open: true });
    const ids = inbox.map((item) => item.id);
    expect(ids).toEqual(expect.arrayContaining([caseId, seeded.nearby_case_id, seeded.overdue_case_id]));
    expect(inbox[0]).toEqual(expect.objectContaining({ id: seeded.overdue_case_id, overdue: true }));
    expect(inbox.find((item) => item.id === caseId)).toEqual(expect.objectContaining({ status: 'assigned', overdue: false }));

    const grid = await api.get('/api/v1/cases', { view: 'grid', open: true });
    expect(grid.map((item) => item.id)).toEqual(expect.arrayContaining(ids));

    const notices = await api.get('/api/v1/notifications');
    const assigned = notices.find((n) => n.subject_id === caseId);
    expect(assigned.link).toBe(`worker/pages/task/task?id=${caseId}`);
    expect(declaredPage(assigned.link)).toBe(true);
  }));

  test('the worker accepts (giving consent for the next task), starts, and resolves with an after-photo', () => worker.run(async ({ api, cases, consent, wx }) => {
    const task = await api.get(`/api/v1/cases/${caseId}`);
    expect(task.actions).toEqual(['accept', 'return']);
    expect(task.reporter).toEqual(expect.objectContaining({ role_text: '居民' })); // staff see who reported
    expect(task.timeline.find((e) => e.kind === 'assigned').decision.reason).toContain(seeded.worker_name);

    const templates = await consent.loadTemplates();
    await consent.askConsent(templates, cases.WORKER_TEMPLATE_KINDS);
    expect(wx.subscribeRequests).toEqual([['tmpl-case-assigned']]); // only the configured ones are asked

    const accepted = await api.post(`/api/v1/cases/${caseId}/accept`);
    expect(accepted.status).toBe('accepted');
    expect(accepted.actions).toEqual(['start', 'return']);
    const started = await api.post(`/api/v1/cases/${caseId}/start`);
    expect(started.actions).toEqual(['resolve']);

    const noPhoto = await api.post(`/api/v1/cases/${caseId}/resolve`, { note: '已清运', photo_ids: [] }, { silent: true }).catch((e) => e);
    expect(noPhoto.status).toBe(422);
    expect(noPhoto.reason).toBe('after_photo_required');

    const after = await api.upload('/api/v1/uploads', PNG);
    const resolved = await api.post(`/api/v1/cases/${caseId}/resolve`, { note: '已清运，垃圾桶已加装', photo_ids: [after.id] });
    expect(resolved.status).toBe('resolved');
    expect(resolved.actions).toEqual([]);

    const late = await api.post(`/api/v1/cases/${caseId}/accept`, undefined, { silent: true }).catch((e) => e);
    expect(late.status).toBe(409);
    expect(late.reason).toBe('invalid_transition');
  }));

  test('the resident sees every step, confirms and rates; the worker\'s stats count it', async () => {
    await resident.run(async ({ api, cases }) => {
      const detail = await api.get(`/api/v1/cases/${caseId}`);
      expect(detail.status).toBe('resolved');
      expect(detail.actions).toEqual(['confirm', 'reopen']);
      const texts = detail.timeline.map((e) => e.text);
      expect(texts).toEqual(expect.arrayContaining([
        `网格员${seeded.worker_name}已受理`, `网格员${seeded.worker_name}开始处理`,
      ]));
      const resolvedEvent = detail.timeline.find((e) => e.kind === 'resolved');
      expect(resolvedEvent.note).toBe('已清运，垃圾桶已加装');
      expect(resolvedEvent.photos).toHaveLength(1);
      const afterPhoto = await cases.photoPath(resolvedEvent.photos[0].url);
      expect(fs.statSync(afterPhoto).size).toBeGreaterThan(0);

      const notices = await api.get('/api/v1/notifications');
      const progress = notices.find((n) => n.subject_id === caseId);
      expect(progress.link).toBe(`pages/cases/detail/detail?id=${caseId}`);
      expect(declaredPage(progress.link)).toBe(true);

      const closed = await api.post(`/api/v1/cases/${caseId}/confirm`);
      expect(closed.status).toBe('closed');
      expect(closed.actions).toEqual(['rate']);
      const rated = await api.post(`/api/v1/cases/${caseId}/rate`, { score: 5, comment: '很及时' });
      expect(rated.rating).toEqual(expect.objectContaining({ score: 5, comment: '很及时' }));
      expect(rated.actions).toEqual([]);
      expect(rated.timeline.map((e) => e.text)).toEqual(expect.arrayContaining(['居民确认问题已解决，工单已结案', '居民评价：5 星']));
    });

    await worker.run(async ({ api }) => {
      const stats = await api.get('/api/v1/cases/stats');
      const mine = stats.workers.find((row) => row.id === seeded.worker_id);
      expect(mine).toEqual(expect.objectContaining({ rated: 1, satisfied: 1, satisfaction_rate: 1 }));
      expect(mine.response_rate).toBeGreaterThan(0);
      const availability = await api.get('/api/v1/cases/availability');
      expect(availability).toEqual(expect.objectContaining({ away: false }));
    });
  });

  test('a service request without a place goes to the household\'s grid', () => resident.run(async ({ api, cases }) => {
    await api.post('/api/v1/households/join', { invite_code: server.inviteCode });
    const groups = await api.get('/api/v1/case-categories', { kind: 'service' });
    const certificate = groups.flatMap((g) => g.children).find((c) => c.code === 'residence_certificate');
    const form = { category: certificate, description: '需要开具居住证明，用于孩子入学', location: null, address: '', photoIds: [], uploading: false, failedPhotos: 0 };
    expect(cases.validateReport(form)).toBeNull();
    const created = await api.post('/api/v1/cases', cases.reportBody(form));
    expect(created).toEqual(expect.objectContaining({ kind: 'service', lat: null, lng: null }));
    const routed = await eventually(() => api.get(`/api/v1/cases/${created.id}`), (c) => c.status === 'assigned');
    expect(routed.assignee.name).toBe(seeded.worker_name);
    expect(routed.grid.code).toBe(seeded.grid_code);
  }));
});
