/** The resident case pages in miniprogram-simulate, with the request module mocked. */
const { render, tapButton, emitFrom, flush } = require('./support/simulate');
const { listPage } = require('./support/list-page');

const mockApi = {
  get: jest.fn(), post: jest.fn(), del: jest.fn(), upload: jest.fn(), request: jest.fn(), ACCESS_TOKEN_KEY: 'access_token',
};
jest.mock('../utils/request', () => mockApi);

const TEMPLATES = { templates: { case_progress: 'tmpl-progress' }, consents: {} };
const INCIDENT_GROUPS = [
  { code: 'city_appearance', name: '市容环境', children: [
    { code: 'streetlight', name: '路灯损坏', kind: 'incident', requires_location: true, requires_photo: true, allows_anonymous: true, dedup_radius_m: 100, accept_minutes: 30, urgent: false },
    { code: 'garbage', name: '垃圾堆放', kind: 'incident', requires_location: true, requires_photo: true, allows_anonymous: true, dedup_radius_m: 80, accept_minutes: 30, urgent: false },
  ] },
];
const SERVICE_GROUPS = [
  { code: 'certificates', name: '证明开具', children: [
    { code: 'residence_certificate', name: '居住证明', kind: 'service', requires_location: false, requires_photo: false, allows_anonymous: false, dedup_radius_m: 0, accept_minutes: 120, urgent: false },
  ] },
  { code: 'elderly_services', name: '助老服务', children: [
    { code: 'elderly_emergency', name: '老人紧急求助', kind: 'service', requires_location: true, requires_photo: false, allows_anonymous: false, dedup_radius_m: 0, accept_minutes: 5, urgent: true },
  ] },
  { code: 'empty_group', name: '空分组', children: [] },
];
const HERE = { latitude: 31.3052, longitude: 120.6051 };
const NEARBY = [{
  id: 7, category_code: 'streetlight', category_name: '路灯损坏', status: 'assigned', status_text: '已派单',
  lat: 31.305, lng: 120.605, distance_m: 30, created_at: new Date().toISOString(), follower_count: 2, following: false,
}];

/** GET answers by path; anything else rejects like a 404 from the request module. */
function answerGets(routes) {
  mockApi.get.mockImplementation((url) => (url in routes
    ? Promise.resolve(typeof routes[url] === 'function' ? routes[url]() : routes[url])
    : Promise.reject(Object.assign(new Error('未找到请求的内容'), { status: 404 }))));
}

let toasts;
let navigations;
beforeEach(() => {
  jest.restoreAllMocks();
  jest.clearAllMocks();
  toasts = [];
  navigations = [];
  jest.spyOn(wx, 'showToast').mockImplementation((options) => toasts.push(options));
  jest.spyOn(wx, 'getLocation').mockImplementation(({ success }) => success(HERE));
  jest.spyOn(wx, 'requestSubscribeMessage').mockImplementation(({ tmplIds, success }) => {
    success(Object.fromEntries(tmplIds.map((id) => [id, 'accept'])));
  });
  for (const how of ['navigateTo', 'redirectTo', 'navigateBack']) {
    jest.spyOn(wx, how).mockImplementation((options) => navigations.push([how, options && options.url]));
  }
  mockApi.post.mockImplementation((url) => (url === '/api/v1/subscriptions' ? Promise.resolve(TEMPLATES) : Promise.reject(new Error('unexpected'))));
});

const casePosts = () => mockApi.post.mock.calls.filter(([url]) => url !== '/api/v1/subscriptions');

async function openReport(options = {}, routes = {}) {
  answerGets({
    '/api/v1/subscriptions': TEMPLATES,
    '/api/v1/case-categories': options.kind === 'service' ? SERVICE_GROUPS : INCIDENT_GROUPS,
    '/api/v1/cases/nearby': [],
    ...routes,
  });
  const page = render('pages/cases/report/report');
  page.instance.onLoad(options);
  await flush();
  return page;
}

function chooseCategory(page, index) {
  page.querySelector('.report__category').querySelectorAll('.case-category-picker__child')[index].dispatchEvent('tap');
}

function describe_(page, text) {
  emitFrom(page, '.report__description', 'change', { value: text });
}

async function addPhoto(page, id) {
  jest.spyOn(wx, 'chooseMedia').mockImplementation(({ success }) => success({ tempFiles: [{ tempFilePath: `wxfile://${id}.jpg`, size: 2048 }] }));
  mockApi.upload.mockResolvedValueOnce({ id, url: `/api/v1/media/${id}`, thumbnail_url: `/api/v1/media/${id}/thumbnail` });
  page.querySelector('.report__photos').querySelector('.case-photo-picker__add').dispatchEvent('tap');
  await flush();
  await flush();
}

describe('report an incident', () => {
  test('loads the incident categories, locates the resident, and refuses an incomplete report without sending it', async () => {
    const page = await openReport();
    expect(mockApi.get).toHaveBeenCalledWith('/api/v1/case-categories', { kind: 'incident' }, { silent: true });
    expect(wx.getLocation.mock.calls[0][0].type).toBe('wgs84');
    expect(page.data.location).toEqual({ lat: 31.3052, lng: 120.6051 });
    expect(page.dom.textContent).toContain('当前位置');

    tapButton(page, '.report__submit');
    await flush();
    expect(toasts.map((t) => t.title)).toEqual(['请选择问题类型']);
    expect(page.dom.textContent).toContain('请选择问题类型');

    chooseCategory(page, 0);
    await flush();
    expect(page.dom.textContent).toContain('已选：市容环境 · 路灯损坏');
    tapButton(page, '.report__submit');
    await flush();
    expect(page.data.errors).toEqual({ description: '请描述一下情况（至少 2 个字）' });

    describe_(page, '北门路灯不亮');
    tapButton(page, '.report__submit');
    await flush();
    expect(page.data.errors).toEqual({ photos: '请至少上传一张现场照片' });
    expect(page.dom.textContent).toContain('请至少上传一张现场照片');
    expect(casePosts()).toEqual([]);
    expect(wx.requestSubscribeMessage).not.toHaveBeenCalled(); // nothing to be told about yet
  });

  test('nearby open cases of the chosen category are offered before anything is submitted', async () => {
    const page = await openReport({}, { '/api/v1/cases/nearby': NEARBY });
    expect(page.dom.textContent).not.toContain('附近已有'); // no category yet: nothing to compare
    chooseCategory(page, 0);
    await flush();
    expect(mockApi.get).toHaveBeenCalledWith('/api/v1/cases/nearby', { category_code: 'streetlight', lat: 31.3052, lng: 120.6051 }, { silent: true });
    const text = page.dom.textContent;
    expect(text).toContain('附近已有 1 条相同问题在处理');
    expect(text).toContain('路灯损坏 · 约 30 米');
    expect(text).toContain('已派单');
    expect(text).toContain('2 人关注');
    expect(text).toContain('我也遇到');
    expect(text).toContain('不是同一问题，仍要提交');
    expect(casePosts()).toEqual([]);
  });

  test('我也遇到 follows the existing case instead of filing a duplicate', async () => {
    const page = await openReport({}, { '/api/v1/cases/nearby': NEARBY });
    chooseCategory(page, 0);
    await flush();
    mockApi.post.mockImplementation((url) => Promise.resolve(url === '/api/v1/subscriptions' ? TEMPLATES : { id: 7, following: true }));
    tapButton(page, '.report__follow');
    await flush();
    expect(wx.requestSubscribeMessage.mock.calls.map(([options]) => options.tmplIds)).toEqual([['tmpl-progress']]);
    expect(casePosts()).toEqual([['/api/v1/cases/7/follow']]);
    expect(navigations).toEqual([['redirectTo', '/pages/cases/detail/detail?id=7']]);
    expect(toasts.map((t) => t.title)).toEqual(['已关注，有进展会通知你']);
  });

  test('a complete report asks for consent inside the tap, submits once with the draft key, and opens the result', async () => {
    const page = await openReport();
    chooseCategory(page, 1);
    describe_(page, '  北门垃圾堆了三天  ');
    emitFrom(page, '.report__address', 'change', { value: '北门东侧' });
    await addPhoto(page, 31);
    expect(page.data.photoIds).toEqual([31]);

    let created;
    mockApi.post.mockImplementation((url) => (url === '/api/v1/subscriptions'
      ? Promise.resolve(TEMPLATES)
      : new Promise((resolve) => { created = resolve; })));
    page.instance.onSubmit(); // the tap handler itself: consent must be asked before it returns
    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1);
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tmpl-progress']);
    tapButton(page, '.report__submit'); // a second tap while sending
    page.instance.onSubmit();
    await flush();
    expect(page.data.submitting).toBe(true);
    expect(page.querySelector('.report__submit').instance.data.loading).toBe(true);
    created({ id: 55, status: 'submitted' });
    await flush();

    const posts = casePosts();
    expect(posts).toHaveLength(1);
    const [url, body, options] = posts[0];
    expect(url).toBe('/api/v1/cases');
    expect(body).toEqual({
      kind: 'incident', category_code: 'garbage', description: '北门垃圾堆了三天', lat: 31.3052, lng: 120.6051,
      address: '北门东侧', photo_ids: [31], anonymous: false,
    });
    expect(options.header['Idempotency-Key']).toMatch(/^case-/);
    expect(mockApi.post).toHaveBeenCalledWith('/api/v1/subscriptions', { template_ids: ['tmpl-progress'] }, { silent: true });
    expect(navigations).toEqual([['redirectTo', '/pages/cases/detail/detail?id=55&submitted=1']]);
  });

  test('a refused submission keeps the form and shows why beside the field; the retry reuses the draft key', async () => {
    const page = await openReport();
    chooseCategory(page, 0);
    describe_(page, '路灯不亮');
    await addPhoto(page, 32);
    const outside = Object.assign(new Error('该位置不在本区网格范围内'), {
      status: 422, reason: 'outside_district', errors: { json: { lat: ['该位置不在本区网格范围内'] } },
    });
    mockApi.post.mockImplementation((url) => (url === '/api/v1/subscriptions' ? Promise.resolve(TEMPLATES) : Promise.reject(outside)));
    tapButton(page, '.report__submit');
    await flush();
    expect(page.data.submitting).toBe(false);
    expect(page.data.errors).toEqual({ location: '该位置不在本区网格范围内' });
    expect(page.dom.textContent).toContain('该位置不在本区网格范围内');
    expect(page.data.description).toBe('路灯不亮');
    expect(page.data.photoIds).toEqual([32]);
    expect(navigations).toEqual([]);

    mockApi.post.mockImplementation((url) => Promise.resolve(url === '/api/v1/subscriptions' ? TEMPLATES : { id: 56 }));
    tapButton(page, '.report__submit');
    await flush();
    const [first, second] = casePosts();
    expect(second[2].header['Idempotency-Key']).toBe(first[2].header['Idempotency-Key']);
    expect(navigations).toEqual([['redirectTo', '/pages/cases/detail/detail?id=56&submitted=1']]);
  });

  test('a place picked on the map (GCJ-02) is sent as WGS-84, and the anonymous switch is offered where allowed', async () => {
    jest.spyOn(wx, 'getLocation').mockImplementation(({ fail }) => fail({ errMsg: 'getLocation:fail timeout' }));
    const page = await openReport();
    expect(page.data.location).toBeNull();
    expect(toasts.map((t) => t.title)).toEqual(['定位失败，请在地图上选择位置']);
    jest.spyOn(wx, 'chooseLocation').mockImplementation(({ success }) => success({
      name: '长桥新村北门', address: '苏州市吴中区长桥街道', latitude: 31.30297, longitude: 120.60943,
    }));
    tapButton(page, '.report__choose-location');
    await flush();
    expect(page.data.locationLabel).toBe('长桥新村北门');
    expect(page.data.address).toBe('苏州市吴中区长桥街道 长桥新村北门');
    const { lat, lng } = page.data.location;
    expect(Math.abs(lat - 31.30297)).toBeGreaterThan(0.001); // not the map's offset point
    expect(Math.abs(lng - 120.60943)).toBeGreaterThan(0.003);
    expect(lat).toBeCloseTo(31.305, 2);

    chooseCategory(page, 0);
    await flush();
    expect(page.dom.textContent).toContain('匿名反映');
  });

  test('categories that fail to load offer a retry', async () => {
    answerGets({ '/api/v1/subscriptions': TEMPLATES });
    const page = render('pages/cases/report/report');
    page.instance.onLoad({});
    await flush();
    expect(page.data.loadState).toBe('error');
    expect(page.dom.textContent).toContain('问题类型加载失败');
    answerGets({ '/api/v1/subscriptions': TEMPLATES, '/api/v1/case-categories': INCIDENT_GROUPS, '/api/v1/cases/nearby': [] });
    tapButton(page, '.report__retry');
    await flush();
    expect(page.data.loadState).toBe('ready');
    expect(page.dom.textContent).toContain('路灯损坏');
  });
});

describe('request a service', () => {
  test('the service list opens the form with the service chosen', async () => {
    answerGets({ '/api/v1/case-categories': SERVICE_GROUPS });
    const page = render('pages/cases/service/service');
    page.instance.onLoad();
    await flush();
    const text = page.dom.textContent;
    expect(text).toContain('证明开具');
    expect(text).toContain('居住证明');
    expect(text).toContain('2 小时内响应');
    expect(text).toContain('5 分钟内响应');
    expect(text).not.toContain('空分组');
    page.querySelector('.service__item').dispatchEvent('tap');
    await flush();
    expect(navigations).toEqual([['navigateTo', '/pages/cases/report/report?kind=service&category=residence_certificate']]);
  });

  test('a service needs no place or photo and does not locate the resident unasked', async () => {
    const page = await openReport({ kind: 'service', category: 'residence_certificate' });
    expect(wx.getLocation).not.toHaveBeenCalled();
    expect(page.data.category.code).toBe('residence_certificate');
    expect(page.dom.textContent).toContain('不选择则默认为你的家庭住址');
    expect(page.dom.textContent).not.toContain('匿名反映');
    describe_(page, '需要开具居住证明');
    mockApi.post.mockImplementation((url) => Promise.resolve(url === '/api/v1/subscriptions' ? TEMPLATES : { id: 60 }));
    tapButton(page, '.report__submit');
    await flush();
    expect(casePosts()[0][1]).toEqual({
      kind: 'service', category_code: 'residence_certificate', description: '需要开具居住证明', lat: null, lng: null,
      address: '', photo_ids: [], anonymous: false,
    });
  });

  test('a service that needs a place locates the resident when chosen', async () => {
    const page = await openReport({ kind: 'service' });
    expect(wx.getLocation).not.toHaveBeenCalled();
    page.querySelector('.report__category').querySelectorAll('.case-category-picker__group')[1].dispatchEvent('tap');
    await flush();
    chooseCategory(page, 0);
    await flush();
    expect(wx.getLocation).toHaveBeenCalledTimes(1);
    expect(page.data.location).toEqual({ lat: 31.3052, lng: 120.6051 });
  });
});

// --- the case page ---------------------------------------------------------------------------------

const now = () => new Date().toISOString();
const event = (id, kind, text, extra = {}) => ({ id, kind, text, note: '', photos: [], created_at: now(), decision: null, ...extra });
function caseDetail(overrides = {}) {
  return {
    id: 55, kind: 'incident', status: 'assigned', status_text: '已派单', description: '北门垃圾堆了三天', address: '北门东侧',
    category: { code: 'garbage', name: '垃圾堆放', group_name: '市容环境', urgent: false },
    assignee: { id: 3, name: '张三', role: 'grid_worker', role_text: '网格员', phone: null },
    escalation_level: 0, overdue: false, mine: true, following: false, anonymous: false, photos: [], follower_count: 0,
    created_at: now(), confirm_due_at: null, rating: null, actions: ['cancel'],
    timeline: [event(1, 'submitted', '居民提交了事件：垃圾堆放'), event(2, 'assigned', '已派单给网格员张三')],
    ...overrides,
  };
}

async function openDetail(item, options = {}) {
  answerGets({ '/api/v1/subscriptions': TEMPLATES, [`/api/v1/cases/${item.id}`]: item });
  const page = render('pages/cases/detail/detail');
  page.instance.onLoad({ id: String(item.id), ...options });
  await flush();
  return page;
}

describe('case detail', () => {
  test('right after submitting it shows success and the timeline, newest first', async () => {
    const page = await openDetail(caseDetail(), { submitted: '1' });
    const text = page.dom.textContent;
    expect(text).toContain('提交成功');
    expect(text).toContain('已派给网格工作人员');
    expect(text).toContain('办理人：网格员张三');
    expect(text.indexOf('已派单给网格员张三')).toBeLessThan(text.indexOf('居民提交了事件：垃圾堆放'));
    expect(page.querySelector('.detail__cancel')).toBeDefined();
    expect(page.querySelector('.detail__confirm')).toBeUndefined();
    page.instance.onUnload();
  });

  test('a resolved case: 没有解决 needs a reason, then reopens', async () => {
    const resolved = caseDetail({
      status: 'resolved', status_text: '待确认', actions: ['confirm', 'reopen'], confirm_due_at: new Date(Date.now() + 86400000).toISOString(),
    });
    const page = await openDetail(resolved);
    expect(page.dom.textContent).toContain('问题解决了吗');
    expect(page.dom.textContent).toMatch(/请于 .+ 前确认，逾期将自动结案/);
    tapButton(page, '.detail__reopen-open');
    await flush();
    tapButton(page, '.detail__reopen');
    await flush();
    expect(page.dom.textContent).toContain('请说明哪里还没有解决');
    expect(casePosts()).toEqual([]);

    mockApi.post.mockResolvedValue(caseDetail({ status: 'in_progress', status_text: '处理中', actions: [] }));
    emitFrom(page, '.detail__reopen-note', 'change', { value: '垃圾还在' });
    tapButton(page, '.detail__reopen');
    await flush();
    expect(casePosts()).toEqual([['/api/v1/cases/55/reopen', { note: '垃圾还在' }]]);
    expect(page.data.item.status).toBe('in_progress');
    expect(page.querySelector('.detail__confirm')).toBeUndefined();
  });

  test('confirming closes the case and opens the rating; the rating is sent with its comment', async () => {
    jest.spyOn(wx, 'showModal').mockImplementation(({ success }) => success({ confirm: true }));
    const page = await openDetail(caseDetail({ status: 'resolved', actions: ['confirm', 'reopen'] }));
    mockApi.post.mockResolvedValueOnce(caseDetail({ status: 'closed', status_text: '已结案', actions: ['rate'] }));
    tapButton(page, '.detail__confirm');
    await flush();
    expect(casePosts()).toEqual([['/api/v1/cases/55/confirm', undefined]]);
    expect(page.data.panel).toBe('rate');
    expect(page.dom.textContent).toContain('提交评价');

    mockApi.post.mockResolvedValueOnce(caseDetail({ status: 'closed', actions: [], rating: { score: 4, comment: '挺快的' } }));
    page.querySelectorAll('.detail__star')[3].dispatchEvent('tap');
    emitFrom(page, '.detail__comment', 'change', { value: ' 挺快的 ' });
    tapButton(page, '.detail__rate');
    await flush();
    expect(casePosts()[1]).toEqual(['/api/v1/cases/55/rate', { score: 4, comment: '挺快的' }]);
    expect(page.dom.textContent).toContain('你的评价：4 星，挺快的');
    expect(toasts.map((t) => t.title)).toEqual(['已确认，感谢你的反馈', '感谢你的评价']);
  });

  test('an action the case no longer allows (409) shows the case as it is now', async () => {
    jest.spyOn(wx, 'showModal').mockImplementation(({ success }) => success({ confirm: true }));
    const page = await openDetail(caseDetail());
    mockApi.post.mockRejectedValue(Object.assign(new Error('当前状态不允许此操作'), { status: 409, reason: 'invalid_transition' }));
    answerGets({ '/api/v1/cases/55': caseDetail({ status: 'accepted', status_text: '已受理', actions: [] }) });
    tapButton(page, '.detail__cancel');
    await flush();
    expect(page.data.item.status).toBe('accepted');
    expect(page.querySelector('.detail__cancel')).toBeUndefined();
  });

  test('someone else\'s case can be followed; a case you may not see says so', async () => {
    const page = await openDetail(caseDetail({ mine: false, actions: ['follow'] }));
    mockApi.post.mockImplementation((url) => Promise.resolve(url === '/api/v1/subscriptions'
      ? TEMPLATES : caseDetail({ mine: false, following: true, follower_count: 3, actions: ['unfollow'] })));
    tapButton(page, '.detail__follow');
    await flush();
    expect(wx.requestSubscribeMessage).toHaveBeenCalledTimes(1);
    expect(page.dom.textContent).toContain('你关注了这个问题 · 3 人关注');

    answerGets({});
    const hidden = render('pages/cases/detail/detail');
    hidden.instance.onLoad({ id: '999' });
    await flush();
    expect(hidden.dom.textContent).toContain('工单不存在，或你无权查看');
  });
});

describe('my cases', () => {
  const summary = (id, overrides = {}) => ({
    id, kind: 'incident', status: 'assigned', status_text: '已派单', description: `问题 ${id}`, address: '',
    category: { code: 'garbage', name: '垃圾堆放', group_name: '市容环境', urgent: false },
    assignee: null, escalation_level: 0, overdue: false, mine: true, following: false, thumbnail_url: null, created_at: now(),
    ...overrides,
  });

  test('lists open cases with status and overdue; a tap opens the timeline; the other tab asks for finished ones', async () => {
    mockApi.get.mockResolvedValueOnce(listPage([summary(1, { overdue: true }), summary(2, { mine: false, following: true })]));
    const page = render('pages/cases/mine/mine');
    page.instance.onShow();
    await flush();
    expect(mockApi.get).toHaveBeenCalledWith('/api/v1/cases', { view: 'mine', open: true, page: 1, page_size: 20 }, { silent: true, withHeaders: true });
    const text = page.dom.textContent;
    expect(text).toContain('问题 1');
    expect(text).toContain('已超时');
    expect(text).toContain('我关注的');
    page.querySelectorAll('.mine__card')[0].querySelector('.case-card').dispatchEvent('tap');
    await flush();
    expect(navigations).toEqual([['navigateTo', '/pages/cases/detail/detail?id=1']]);

    mockApi.get.mockResolvedValueOnce(listPage([]));
    page.querySelectorAll('.mine__tab')[1].dispatchEvent('tap');
    await flush();
    expect(mockApi.get).toHaveBeenLastCalledWith('/api/v1/cases', { view: 'mine', open: false, page: 1, page_size: 20 }, { silent: true, withHeaders: true });
    expect(page.dom.textContent).toContain('还没有已完成的反映');
  });

  test('a failed first load offers a retry', async () => {
    mockApi.get.mockRejectedValueOnce(Object.assign(new Error('网络不给力，请稍后重试'), { network: true }));
    const page = render('pages/cases/mine/mine');
    page.instance.onShow();
    await flush();
    expect(page.dom.textContent).toContain('加载失败，请检查网络');
    mockApi.get.mockResolvedValueOnce(listPage([]));
    tapButton(page, '.mine__retry');
    await flush();
    expect(page.dom.textContent).toContain('没有正在办理的反映');
  });

  test('scrolling down loads the pages X-Pagination names; a failed page keeps the list and a tap retries it', async () => {
    mockApi.get.mockResolvedValueOnce(listPage([summary(1), summary(2)], { page: 1, totalPages: 3 }));
    const page = render('pages/cases/mine/mine');
    page.instance.onShow();
    await flush();
    expect(page.dom.textContent).toContain('上拉加载更多');

    mockApi.get.mockRejectedValueOnce(Object.assign(new Error('网络不给力，请稍后重试'), { network: true }));
    await page.instance.onReachBottom();
    await flush();
    expect(page.querySelectorAll('.mine__card')).toHaveLength(2);
    expect(toasts.map((t) => t.title)).toEqual(['网络不给力，请稍后重试']);

    mockApi.get.mockResolvedValueOnce(listPage([summary(3)], { page: 2, totalPages: 3 }));
    page.querySelector('.list-retry').dispatchEvent('tap');
    await flush();
    expect(mockApi.get).toHaveBeenLastCalledWith('/api/v1/cases', expect.objectContaining({ page: 2 }), { silent: true, withHeaders: true });
    expect(page.querySelectorAll('.mine__card')).toHaveLength(3);
    expect(page.querySelector('.list-retry')).toBeUndefined();

    mockApi.get.mockResolvedValueOnce(listPage([summary(4)], { page: 3, totalPages: 3 }));
    await page.instance.onReachBottom();
    await flush();
    expect(page.querySelectorAll('.mine__card')).toHaveLength(4);
    expect(page.dom.textContent).toContain('没有更多了');
    const asked = mockApi.get.mock.calls.length;
    await page.instance.onReachBottom();
    expect(mockApi.get.mock.calls.length).toBe(asked);
  });
});
