/**
 * Volunteering pages in miniprogram-simulate, with the request module mocked: sign-up and cancel on the
 * activity page (and its minimum-age refusals), the check-in page's scan, the 爱心超市's confirmed
 * redemption, the organiser's rotating QR code, manual check-in and moving a shift, and the loading /
 * empty / error states.
 */
const { render, tapButton, flush } = require('./support/simulate');
const { asRead } = require('./support/list-page');

const mockApi = {
  isLoggedIn: jest.fn(() => true),
  get: jest.fn(),
  post: jest.fn(),
  patch: jest.fn(),
  del: jest.fn(),
};
jest.mock('../utils/request', () => mockApi);
// TDesign's locale (loaded by t-qrcode) imports dayjs's zh-cn locale, which the mini-program resolves
// from TDesign's own miniprogram_npm/ and jest cannot; only its side effect on dayjs is lost here.
jest.mock('dayjs/locale/zh-cn', () => ({}), { virtual: true });

const HOUR = 3600 * 1000;
const iso = (ms) => new Date(ms).toISOString();
const apiError = (status, reason, message) => Object.assign(new Error(message), { status, reason });

/** Answer GETs by path: `routes` maps a path (or a function of it) to a body, an Error, or a function. */
function serve(routes) {
  mockApi.get.mockImplementation((url, data, options) => {
    const found = routes[url];
    if (found === undefined) return Promise.reject(apiError(404, 'not_found', `no route ${url}`));
    const body = typeof found === 'function' ? found(data) : found;
    return body instanceof Error ? Promise.reject(body) : Promise.resolve(asRead(body, options));
  });
}

function shift(overrides = {}) {
  const start = Date.now() + 48 * HOUR;
  return {
    id: 7, activity_id: 3, starts_at: iso(start), ends_at: iso(start + 2 * HOUR), place: '长桥新村广场', lat: 31.3,
    lng: 120.6, capacity: 2, confirmed: 1, places_left: 1, waitlist: true, waitlist_length: 0, skills: [], min_age: null,
    signup_deadline: iso(start), cancel_cutoff: iso(start - 24 * HOUR), status: 'open', my_signup: null, ...overrides,
  };
}

function activity(shifts = [shift()], overrides = {}) {
  return {
    id: 3, title: '社区清洁日', description: '打扫小区公共区域', community_id: 1, community_name: '测试社区', team_id: null,
    team_name: null, status: 'published', starts_at: shifts[0].starts_at, ends_at: shifts[0].ends_at,
    shift_count: shifts.length, places_left: 1, shifts, can_manage: false, ...overrides,
  };
}

let toasts;
let modals;
beforeEach(() => {
  jest.clearAllMocks();
  mockApi.get.mockReset();
  mockApi.post.mockReset();
  mockApi.del.mockReset();
  mockApi.patch.mockReset();
  toasts = [];
  modals = [];
  jest.spyOn(wx, 'showToast').mockImplementation((options) => toasts.push(options));
  // Every confirmation is answered with `modalAnswer`; each dialog is recorded.
  jest.spyOn(wx, 'showModal').mockImplementation((options) => {
    modals.push(options);
    const answer = modals.answer === undefined ? true : modals.answer;
    Promise.resolve().then(() => options.success && options.success({ confirm: answer, cancel: !answer }));
  });
  jest.spyOn(wx, 'navigateTo').mockImplementation(() => {});
  jest.spyOn(wx, 'navigateBack').mockImplementation(() => {});
  jest.spyOn(wx, 'switchTab').mockImplementation(() => {});
});

async function open(rel, query = {}) {
  const page = render(rel);
  if (page.instance.onLoad) page.instance.onLoad(query);
  if (page.instance.onShow) page.instance.onShow();
  await flush();
  return page;
}

describe('activity page: sign up and cancel', () => {
  test('shows the shifts; 报名 signs up once even when tapped twice, then reloads', async () => {
    let details = [activity()];
    serve({
      '/api/v1/activities/3': () => details[0],
      '/api/v1/subscriptions': { templates: {}, consents: {} },
    });
    const page = await open('pages/volunteer/activity/activity', { id: '3' });
    expect(page.dom.textContent).toContain('社区清洁日');
    expect(page.dom.textContent).toContain('剩余 1/2 个名额');

    let finish;
    mockApi.post.mockReturnValue(new Promise((resolve) => { finish = resolve; }));
    tapButton(page, '.activity__shift >>> .shift-card__action');
    await flush();
    expect(page.data.busyShiftId).toBe(7);
    tapButton(page, '.activity__shift >>> .shift-card__action');
    await flush();
    details = [activity([shift({ confirmed: 2, places_left: 0, status: 'waitlist', my_signup: { id: 41, status: 'confirmed', position: null } })])];
    finish({ id: 41, status: 'confirmed', position: null });
    await flush();
    await flush();

    expect(mockApi.post.mock.calls).toEqual([['/api/v1/shifts/7/signups']]);
    expect(toasts).toEqual([{ title: '报名成功', icon: 'success' }]);
    expect(page.data.busyShiftId).toBeNull();
    expect(page.data.activity.shifts[0].my_signup.status).toBe('confirmed');
    expect(page.dom.textContent).toContain('已报名');
  });

  test('a full shift with a waitlist: the toast gives the waitlist position', async () => {
    serve({ '/api/v1/activities/3': activity([shift({ status: 'waitlist', places_left: 0, confirmed: 2, waitlist_length: 1 })]),
      '/api/v1/subscriptions': { templates: {}, consents: {} } });
    const page = await open('pages/volunteer/activity/activity', { id: '3' });
    mockApi.post.mockResolvedValue({ id: 42, status: 'waitlisted', position: 2 });
    await page.instance.onSignup({ detail: { shiftId: 7 } });
    expect(toasts).toEqual([{ title: '已加入候补，第 2 位', icon: 'none' }]);
  });

  test('an unverified resident is offered the way to verify; a refusal keeps the page', async () => {
    serve({ '/api/v1/activities/3': activity(), '/api/v1/subscriptions': { templates: {}, consents: {} } });
    const page = await open('pages/volunteer/activity/activity', { id: '3' });
    mockApi.post.mockRejectedValue(apiError(403, 'not_verified', '只有已认证的居民才能报名'));
    const switchTab = jest.spyOn(wx, 'switchTab').mockImplementation(() => {});
    await page.instance.onSignup({ detail: { shiftId: 7 } });
    await flush();
    expect(modals[0]).toEqual(expect.objectContaining({ title: '需要居民认证', confirmText: '去认证' }));
    expect(switchTab).toHaveBeenCalledWith({ url: '/pages/profile/profile' });
    expect(page.data.activity.title).toBe('社区清洁日');
    expect(page.data.busyShiftId).toBeNull();
  });

  test('cancelling asks first (late cancellation warned); declining sends nothing', async () => {
    serve({ '/api/v1/activities/3': activity([shift({ my_signup: { id: 41, status: 'confirmed', position: null } })]),
      '/api/v1/subscriptions': { templates: {}, consents: {} } });
    const page = await open('pages/volunteer/activity/activity', { id: '3' });

    modals.answer = false;
    await page.instance.onCancel({ detail: { shiftId: 7, signupId: 41, late: true } });
    expect(modals[0].content).toContain('迟到取消');
    expect(mockApi.del).not.toHaveBeenCalled();

    modals.answer = true;
    mockApi.del.mockResolvedValue({ id: 41, status: 'cancelled' });
    await page.instance.onCancel({ detail: { shiftId: 7, signupId: 41, late: false } });
    expect(mockApi.del.mock.calls).toEqual([['/api/v1/signups/41']]);
    expect(toasts).toEqual([{ title: '已取消报名', icon: 'success' }]);
  });

  test('subscribe messages are asked for in the sign-up tap when the server has templates', async () => {
    serve({ '/api/v1/activities/3': activity(),
      '/api/v1/subscriptions': { templates: { volunteer_reminder: 'T-REMIND', volunteer_promoted: 'T-PROMO', case_update: 'T-CASE' }, consents: {} } });
    const page = await open('pages/volunteer/activity/activity', { id: '3' });
    wx.requestSubscribeMessage = jest.fn(({ success }) => success({ 'T-REMIND': 'accept', 'T-PROMO': 'reject' }));
    mockApi.post.mockResolvedValue({ id: 41, status: 'confirmed', position: null });
    await page.instance.onSignup({ detail: { shiftId: 7 } });
    await flush();
    expect(wx.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['T-REMIND', 'T-PROMO']);
    expect(mockApi.post.mock.calls).toEqual(expect.arrayContaining([
      ['/api/v1/shifts/7/signups'],
      ['/api/v1/subscriptions', { template_ids: ['T-REMIND'] }, { silent: true }],
    ]));
    delete wx.requestSubscribeMessage;
  });

  test('loading fails: the error in place, and 重新加载 tries again', async () => {
    serve({ '/api/v1/activities/3': apiError(404, 'activity_not_found', '活动不存在'), '/api/v1/subscriptions': {} });
    const page = await open('pages/volunteer/activity/activity', { id: '3' });
    expect(page.dom.textContent).toContain('活动不存在');
    expect(toasts).toEqual([]); // reads are silent: the page says it
    serve({ '/api/v1/activities/3': activity(), '/api/v1/subscriptions': {} });
    tapButton(page, '.activity__state >>> .volunteer-state__retry');
    await flush();
    expect(page.dom.textContent).toContain('社区清洁日');
  });
});

describe('check-in page', () => {
  const result = (action, attendance) => ({ action, activity_id: 3, activity_title: '社区清洁日', shift_id: 7, attendance });

  test('scanning sends the code with the location and shows the result', async () => {
    const page = await open('pages/volunteer/checkin/checkin', { shift: '7' });
    jest.spyOn(wx, 'scanCode').mockImplementation(({ success }) => success({ result: '7.abc.ABCDEFGHJKLM', scanType: 'QR_CODE' }));
    jest.spyOn(wx, 'getLocation').mockImplementation(({ success }) => success({ latitude: 31.305, longitude: 120.605 }));
    mockApi.post.mockResolvedValue(result('checked_in', { checked_in_at: new Date(2026, 10, 30, 9, 2).toISOString(), closed_at: null }));
    await page.instance.onScan();
    await flush();
    expect(wx.scanCode).toHaveBeenCalledWith(expect.objectContaining({ onlyFromCamera: true }));
    expect(mockApi.post.mock.calls).toEqual([['/api/v1/checkins', { code: '7.abc.ABCDEFGHJKLM', lat: 31.305, lng: 120.605, shift_id: 7 }, { silent: true }]]);
    expect(page.dom.textContent).toContain('签到成功');
    expect(page.dom.textContent).toContain('签到时间 09:02');
    expect(page.dom.textContent).toContain('扫码签退');
  });

  test('a refusal is shown on the page; no location is sent when it is not shared', async () => {
    const page = await open('pages/volunteer/checkin/checkin', {});
    jest.spyOn(wx, 'scanCode').mockImplementation(({ success }) => success({ result: 'CODE' }));
    jest.spyOn(wx, 'getLocation').mockImplementation(({ fail }) => fail({ errMsg: 'getLocation:fail auth deny' }));
    mockApi.post.mockRejectedValue(apiError(409, 'too_far', '您距离服务地点约 6.6 公里，请到达后再签到（500 米内）'));
    await page.instance.onScan();
    await flush();
    expect(mockApi.post.mock.calls[0][1]).toEqual({ code: 'CODE', lat: null, lng: null, shift_id: null });
    expect(page.data.state).toBe('failed');
    expect(page.dom.textContent).toContain('您距离服务地点约 6.6 公里');
    expect(page.dom.textContent).toContain('重新扫码');
  });

  test('opened from the organiser\'s mini-program code, it checks in with the scene at once', async () => {
    jest.spyOn(wx, 'getLocation').mockImplementation(({ fail }) => fail({}));
    mockApi.post.mockResolvedValue(result('checked_out', {
      checked_in_at: iso(Date.now() - 2 * HOUR), checked_out_at: new Date(2026, 10, 30, 11, 0).toISOString(),
      closed_at: iso(Date.now()), hours: 2, points: 20 }));
    const page = await open('pages/volunteer/checkin/checkin', { scene: encodeURIComponent('7.abc.ABCDEFGHJKLM') });
    await flush();
    expect(mockApi.post.mock.calls[0][1].code).toBe('7.abc.ABCDEFGHJKLM');
    expect(page.dom.textContent).toContain('签退成功');
    expect(page.dom.textContent).toContain('本次服务 2 小时');
    expect(page.dom.textContent).toContain('获得 20 积分');
  });

  test('closing the camera sends nothing', async () => {
    const page = await open('pages/volunteer/checkin/checkin', {});
    jest.spyOn(wx, 'scanCode').mockImplementation(({ fail }) => fail({ errMsg: 'scanCode:fail cancel' }));
    await page.instance.onScan();
    expect(mockApi.post).not.toHaveBeenCalled();
    expect(page.data.state).toBe('idle');
  });
});

describe('爱心超市: redeem with confirmation', () => {
  const rewards = [
    { id: 5, community_id: 1, name: '大米 5kg', description: '', points: 30, stock: 4, active: true },
    { id: 6, community_id: 1, name: '电饭煲', description: '', points: 500, stock: 1, active: true },
  ];
  const routes = (balance) => ({
    '/api/v1/me': { household: { grid_code: '320506-001-001-01' } },
    '/api/v1/communities': [{ id: 9, code: '320506-001-002' }, { id: 1, code: '320506-001-001' }],
    '/api/v1/rewards': (data) => (data.community_id === 1 ? rewards : []),
    '/api/v1/me/volunteering': { points_balance: balance },
  });

  test('the own community\'s items, with what the balance allows', async () => {
    serve(routes(100));
    const page = await open('pages/volunteer/shop/shop');
    await flush();
    expect(page.dom.textContent).toContain('大米 5kg');
    expect(page.data.balance).toBe(100);
    const buttons = page.querySelectorAll('.shop__reward');
    expect(buttons.map((b) => b.data.action.label)).toEqual(['兑换', '积分不足']);
  });

  test('confirming redeems once and shows the pickup code; declining sends nothing', async () => {
    serve(routes(100));
    const page = await open('pages/volunteer/shop/shop');
    await flush();

    modals.answer = false;
    await page.instance.onRedeem({ detail: { rewardId: 5 } });
    expect(modals[0]).toEqual(expect.objectContaining({ title: '确认兑换' }));
    expect(modals[0].content).toContain('将使用 30 积分');
    expect(mockApi.post).not.toHaveBeenCalled();

    modals.answer = true;
    mockApi.post.mockResolvedValue({ id: 1, reward_name: '大米 5kg', points: 30, pickup_code: 'K7P2QX9M', status: 'pending' });
    const first = page.instance.onRedeem({ detail: { rewardId: 5 } });
    const second = page.instance.onRedeem({ detail: { rewardId: 5 } }); // a double tap
    await Promise.all([first, second]);
    await flush();
    expect(mockApi.post.mock.calls).toEqual([['/api/v1/rewards/5/redeem']]);
    const done = modals.find((m) => m.title === '兑换成功');
    expect(done.content).toContain('K7P2 QX9M');
    expect(page.data.busyId).toBeNull();
  });

  test('a refused redemption (toasted by the request module) leaves the shop as it was', async () => {
    serve(routes(100));
    const page = await open('pages/volunteer/shop/shop');
    await flush();
    mockApi.post.mockRejectedValue(apiError(409, 'out_of_stock', '该商品已兑完'));
    await page.instance.onRedeem({ detail: { rewardId: 5 } });
    expect(modals.map((m) => m.title)).toEqual(['确认兑换']);
    expect(page.data.rewards).toHaveLength(2);
    expect(page.data.busyId).toBeNull();
  });
});

describe('organiser: the rotating check-in QR code', () => {
  afterEach(() => jest.useRealTimers());

  /** Let promise callbacks run while timers are fake. */
  const settle = async () => { for (let i = 0; i < 5; i += 1) await Promise.resolve(); };

  test('fetches a code on show, draws it, fetches the next every 30 s and stops when hidden', async () => {
    let n = 0;
    serve({ '/api/v1/shifts/7/checkin-code': () => { n += 1; return { shift_id: 7, code: `7.w${n}.CODE`, image: null }; } });
    const keepOn = jest.spyOn(wx, 'setKeepScreenOn').mockImplementation(() => {});
    const page = await open('organizer/pages/checkin/checkin', { shift: '7' });
    expect(keepOn).toHaveBeenCalledWith({ keepScreenOn: true });
    expect(page.data).toEqual(expect.objectContaining({ code: '7.w1.CODE', status: 'active', secondsLeft: 30 }));
    expect(page.querySelector('.organizer-checkin__code').data.value).toBe('7.w1.CODE'); // t-qrcode draws it
    expect(page.dom.textContent).toContain('30 秒后自动刷新');

    jest.useFakeTimers();
    page.instance.refresh(); // restart the countdown under fake timers
    await settle();
    expect(page.data.code).toBe('7.w2.CODE');
    jest.advanceTimersByTime(29000);
    await settle();
    expect(page.data.secondsLeft).toBe(1);
    expect(mockApi.get).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(1000);
    await settle();
    expect(page.data.code).toBe('7.w3.CODE');
    expect(mockApi.get).toHaveBeenCalledTimes(3);
    expect(mockApi.get).toHaveBeenLastCalledWith('/api/v1/shifts/7/checkin-code', undefined, { silent: true });

    page.instance.onHide();
    jest.advanceTimersByTime(120000);
    await settle();
    expect(mockApi.get).toHaveBeenCalledTimes(3);
  });

  test('the mini-program code image is shown when the API sends one', async () => {
    serve({ '/api/v1/shifts/7/checkin-code': { shift_id: 7, code: '7.a.CODE', image: 'data:image/png;base64,iVBORw0KGgo=' } });
    jest.spyOn(wx, 'setKeepScreenOn').mockImplementation(() => {});
    const page = await open('organizer/pages/checkin/checkin', { shift: '7' });
    expect(page.querySelector('.organizer-checkin__image')).toBeDefined();
    expect(page.querySelector('.organizer-checkin__code')).toBeUndefined();
    page.instance.onUnload();
  });

  test('a network failure retries in 5 s; check-in not open stops with the reason', async () => {
    jest.spyOn(wx, 'setKeepScreenOn').mockImplementation(() => {});
    serve({ '/api/v1/shifts/7/checkin-code': Object.assign(new Error('网络不给力，请稍后重试'), { network: true }) });
    const page = await open('organizer/pages/checkin/checkin', { shift: '7' });
    expect(page.data.status).toBe('retrying');
    expect(page.dom.textContent).toContain('网络不给力，请稍后重试，5 秒后重试');

    jest.useFakeTimers();
    page.instance.refresh();
    await settle();
    serve({ '/api/v1/shifts/7/checkin-code': apiError(409, 'checkin_not_open', '签到将在班次开始前 1 小时开放') });
    jest.advanceTimersByTime(5000);
    await settle();
    expect(page.data.status).toBe('closed');
    expect(page.dom.textContent).toContain('签到将在班次开始前 1 小时开放');
    const calls = mockApi.get.mock.calls.length;
    jest.advanceTimersByTime(60000);
    await settle();
    expect(mockApi.get.mock.calls.length).toBe(calls);
  });
});

describe('organiser: attendance list and manual check-in', () => {
  const entry = (id, overrides = {}) => ({
    id, shift_id: 7, status: 'confirmed', position: null, attendance: null, no_show: false,
    volunteer: { user_id: id, nickname: `志愿者${id}`, real_name: '', phone: '138****0000' }, ...overrides,
  });

  test('counts, statuses and a confirmed manual check-in', async () => {
    const checkedIn = { checked_in_at: iso(Date.now() - HOUR), closed_at: null, checkin_method: 'scan' };
    serve({ '/api/v1/shifts/7/signups': [entry(1, { attendance: checkedIn }), entry(2), entry(3, { status: 'waitlisted', position: 1 })] });
    const page = await open('organizer/pages/attendance/attendance', { shift: '7' });
    expect(page.data.counts).toEqual({ confirmed: 2, checkedIn: 1, waitlisted: 1 });
    expect(page.dom.textContent).toContain('候补第 1 位');
    expect(page.querySelectorAll('.attendance__check-in')).toHaveLength(1);
    expect(page.querySelectorAll('.attendance__check-out')).toHaveLength(1);

    mockApi.post.mockResolvedValue({ id: 99, signup_id: 2, checkin_method: 'manual' });
    tapButton(page, '.attendance__check-in');
    await flush();
    await flush();
    expect(modals[0]).toEqual(expect.objectContaining({ title: '手动签到' }));
    expect(modals[0].content).toContain('志愿者2');
    expect(mockApi.post.mock.calls).toEqual([['/api/v1/signups/2/check-in']]);
  });
});

describe('lists: empty and error states', () => {
  test('no activities: the empty state; the organiser entry only for organisers', async () => {
    serve({ '/api/v1/activities': (data) => (data.managed ? [{ id: 1 }] : []) });
    const page = await open('pages/volunteer/activities/activities');
    await flush();
    expect(page.dom.textContent).toContain('近期还没有志愿活动');
    expect(page.data.organiser).toBe(true);
    expect(page.dom.textContent).toContain('组织者：管理我的活动');
  });

  test('my shifts failing to load: the message and a retry', async () => {
    serve({ '/api/v1/me/signups': apiError(500, null, '服务器开小差了，请稍后再试') });
    const page = await open('pages/volunteer/shifts/shifts');
    expect(page.dom.textContent).toContain('服务器开小差了，请稍后再试');
    expect(page.dom.textContent).toContain('重新加载');
  });

  test('my hours: credited and honour hours apart, the star level and the ledger', async () => {
    serve({
      '/api/v1/me/volunteering': {
        credited_hours: 120.5, honour_hours: 8, points_balance: 70, points_earned: 100, points_spent: 30, star_level: 1,
        next_star: { level: 2, hours: 300, hours_to_go: 179.5 }, record: { upcoming: 1, attended: 30, no_shows: 1, late_cancellations: 0 },
        history: [{ kind: 'honour', hours: 8, reason: '抗疫表彰', activity_title: '', created_at: iso(Date.now()) }],
      },
      '/api/v1/me/points': [{ id: 2, amount: -30, kind: 'redemption', note: '兑换「大米」', created_at: iso(Date.now()) }],
    });
    const page = await open('pages/volunteer/me/me');
    const text = page.dom.textContent;
    expect(page.querySelector('.me__figure--credited').dom.textContent).toContain('120.5');
    expect(page.querySelector('.me__figure--honour').dom.textContent).toContain('8');
    expect(text).toContain('不计积分与星级');
    expect(text).toContain('1 星志愿者');
    expect(text).toContain('再服务 179.5 小时可成为 2 星志愿者');
    expect(text).toContain('抗疫表彰');
    expect(text).toContain('-30');
  });
});

describe('activity page: a shift with a minimum age', () => {
  const routes = () => ({ '/api/v1/activities/3': activity([shift({ min_age: 18 })]),
    '/api/v1/subscriptions': { templates: {}, consents: {} } });

  test('shows the age; without a birth date it says why and offers 我的', async () => {
    serve(routes());
    const page = await open('pages/volunteer/activity/activity', { id: '3' });
    expect(page.dom.textContent).toContain('18 岁以上');
    const message = '该班次要求年满 18 周岁，请先在「我的」页面填写出生日期';
    mockApi.post.mockRejectedValue(apiError(409, 'birth_date_required', message));
    await page.instance.onSignup({ detail: { shiftId: 7 } });
    await flush();
    expect(modals[0]).toEqual(expect.objectContaining({ title: '需要填写出生日期', content: message, confirmText: '去填写' }));
    expect(wx.switchTab).toHaveBeenCalledWith({ url: '/pages/profile/profile' });
    expect(page.data.busyShiftId).toBeNull();
  });

  test('declining the offer stays on the page', async () => {
    serve(routes());
    const page = await open('pages/volunteer/activity/activity', { id: '3' });
    modals.answer = false;
    mockApi.post.mockRejectedValue(apiError(409, 'birth_date_required', '该班次要求年满 18 周岁，请先在「我的」页面填写出生日期'));
    await page.instance.onSignup({ detail: { shiftId: 7 } });
    await flush();
    expect(wx.switchTab).not.toHaveBeenCalled();
    expect(page.data.activity.title).toBe('社区清洁日');
  });

  test('too young: the whole reason in a dialog, and no way to the profile', async () => {
    serve(routes());
    const page = await open('pages/volunteer/activity/activity', { id: '3' });
    const message = '该班次要求年满 18 周岁，您在活动当天还未满 18 周岁';
    mockApi.post.mockRejectedValue(apiError(409, 'too_young', message));
    await page.instance.onSignup({ detail: { shiftId: 7 } });
    await flush();
    expect(modals).toEqual([expect.objectContaining({ title: '未达到年龄要求', content: message, showCancel: false })]);
    expect(wx.switchTab).not.toHaveBeenCalled();
  });
});

describe('organiser: moving a shift', () => {
  // Local times, so the pickers read 2030-01-15 09:00–11:00 in whatever zone the tests run.
  const startsAt = new Date(2030, 0, 15, 9, 0);
  const movable = (overrides = {}) => shift({
    starts_at: startsAt.toISOString(), ends_at: new Date(startsAt.getTime() + 2 * HOUR).toISOString(), capacity: 5,
    confirmed: 3, places_left: 2, waitlist_length: 2, ...overrides });
  const managed = (shifts, overrides = {}) => activity(shifts, { can_manage: true, ...overrides });
  const instant = (value) => new Date(value).getTime();

  test('the activity page offers 修改时间地点 on shifts that have not started', async () => {
    serve({ '/api/v1/activities/3': managed([movable(), movable({ id: 8, status: 'started' })]) });
    const page = await open('organizer/pages/activity/activity', { id: '3' });
    expect(page.querySelectorAll('.organizer-activity__edit')).toHaveLength(1);
    tapButton(page, '.organizer-activity__edit');
    await flush();
    expect(wx.navigateTo).toHaveBeenCalledWith({ url: '/organizer/pages/shift/shift?activity=3&shift=7' });
  });

  test('moving the start moves the end along; saving sends only the changes after a confirmation', async () => {
    serve({ '/api/v1/activities/3': managed([movable()]) });
    const page = await open('organizer/pages/shift/shift', { activity: '3', shift: '7' });
    expect(page.data.form).toEqual({ startDate: '2030-01-15', startTime: '09:00', endDate: '2030-01-15', endTime: '11:00',
      place: '长桥新村广场' });
    expect(page.dom.textContent).toContain('已确认 3 人');

    page.querySelector('.shift-edit__start-date').dispatchEvent('change', { detail: { value: '2030-01-16' } });
    page.querySelector('.shift-edit__start-time').dispatchEvent('change', { detail: { value: '23:00' } });
    await flush();
    expect(page.data.form).toEqual(expect.objectContaining({ startDate: '2030-01-16', startTime: '23:00',
      endDate: '2030-01-17', endTime: '01:00' }));

    mockApi.patch.mockResolvedValue(managed([movable()]));
    tapButton(page, '.shift-edit__save');
    await flush();
    await flush();
    expect(modals[0].content).toContain('通知已报名的 5 位志愿者（含候补）');
    const [[url, changes]] = mockApi.patch.mock.calls;
    expect(url).toBe('/api/v1/shifts/7');
    expect(Object.keys(changes).sort()).toEqual(['ends_at', 'starts_at']);
    expect(instant(changes.starts_at)).toBe(new Date(2030, 0, 16, 23, 0).getTime());
    expect(instant(changes.ends_at)).toBe(new Date(2030, 0, 17, 1, 0).getTime());
    expect(toasts).toEqual([{ title: '已保存并通知', icon: 'success' }]);
    expect(wx.navigateBack).toHaveBeenCalled();
  });

  test('a new place alone; nothing changed sends nothing; declining sends nothing', async () => {
    serve({ '/api/v1/activities/3': managed([movable()]) });
    const page = await open('organizer/pages/shift/shift', { activity: '3', shift: '7' });
    await page.instance.onSave();
    expect(toasts).toEqual([{ title: '没有修改', icon: 'none' }]);

    page.instance.onPlaceChange({ detail: { value: ' 社区活动中心 ' } });
    modals.answer = false;
    await page.instance.onSave();
    expect(mockApi.patch).not.toHaveBeenCalled();

    modals.answer = true;
    mockApi.patch.mockResolvedValue(managed([movable()]));
    await page.instance.onSave();
    expect(mockApi.patch.mock.calls).toEqual([['/api/v1/shifts/7', { place: '社区活动中心' }]]);
  });

  test('refused because the shift has started: the page reloads and says it can no longer be changed', async () => {
    let current = movable();
    serve({ '/api/v1/activities/3': () => managed([current]) });
    const page = await open('organizer/pages/shift/shift', { activity: '3', shift: '7' });
    page.instance.onPlaceChange({ detail: { value: '别处' } });
    mockApi.patch.mockRejectedValue(apiError(409, 'invalid_transition', '班次已开始，不能再修改'));
    current = movable({ status: 'started' });
    await page.instance.onSave();
    await flush();
    expect(page.data.editable).toBe(false);
    expect(page.data.saving).toBe(false);
    expect(page.dom.textContent).toContain('不能再修改');
    expect(page.querySelector('.shift-edit__save')).toBeUndefined();
    expect(wx.navigateBack).not.toHaveBeenCalled();
  });

  test('not an organiser of the activity, or no such shift: the reason in place', async () => {
    serve({ '/api/v1/activities/3': managed([movable()], { can_manage: false }) });
    let page = await open('organizer/pages/shift/shift', { activity: '3', shift: '7' });
    expect(page.dom.textContent).toContain('您不是该活动的组织者');
    serve({ '/api/v1/activities/3': managed([movable()]) });
    page = await open('organizer/pages/shift/shift', { activity: '3', shift: '99' });
    expect(page.dom.textContent).toContain('未找到该班次');
  });
});
