/** The grid-worker sub-package pages in miniprogram-simulate, with the request module mocked. */
const { render, tapButton, emitFrom, flush } = require('./support/simulate');
const { listPage } = require('./support/list-page');

const mockApi = {
  get: jest.fn(), post: jest.fn(), del: jest.fn(), upload: jest.fn(), request: jest.fn(), ACCESS_TOKEN_KEY: 'access_token',
};
jest.mock('../utils/request', () => mockApi);

const TEMPLATES = { templates: { case_assigned: 'tmpl-assigned', case_reopened: 'tmpl-reopened', case_progress: 'tmpl-progress' }, consents: {} };
const hoursFromNow = (h) => new Date(Date.now() + h * 3600 * 1000).toISOString();
const now = () => new Date().toISOString();

function task(overrides = {}) {
  return {
    id: 21, kind: 'incident', status: 'assigned', status_text: '已派单', description: '北门路灯不亮', address: '长桥新村北门',
    lat: 31.305, lng: 120.605, category: { code: 'streetlight', name: '路灯损坏', group_name: '市容环境', urgent: false },
    grid: { id: 1, code: '320506-001-001-01', name: '第一网格' },
    assignee: { id: 3, name: '张三', role: 'grid_worker', role_text: '网格员', phone: null },
    reporter: { id: 8, name: '李阿姨', role: 'resident', role_text: '居民', phone: '13912345678' },
    escalation_level: 0, overdue: false, anonymous: false, photos: [], follower_count: 1, created_at: now(),
    accept_due_at: hoursFromNow(0.25), resolve_due_at: hoursFromNow(47), actions: ['accept', 'return'],
    timeline: [{ id: 1, kind: 'assigned', text: '已派单给网格员张三', note: '', photos: [], created_at: now(),
      decision: { rule: 'grid_worker', reason: '第一网格在岗且具备技能的网格员 1 人，选择张三' } }],
    ...overrides,
  };
}

let toasts;
let navigations;
beforeEach(() => {
  jest.restoreAllMocks();
  jest.clearAllMocks();
  toasts = [];
  navigations = [];
  jest.spyOn(wx, 'showToast').mockImplementation((options) => toasts.push(options));
  jest.spyOn(wx, 'requestSubscribeMessage').mockImplementation(({ tmplIds, success }) => {
    success(Object.fromEntries(tmplIds.map((id) => [id, 'accept'])));
  });
  for (const how of ['navigateTo', 'redirectTo', 'navigateBack']) {
    jest.spyOn(wx, how).mockImplementation((options) => navigations.push([how, options && options.url]));
  }
});

const actionPosts = () => mockApi.post.mock.calls.filter(([url]) => url !== '/api/v1/subscriptions');
const buttons = (page) => ['.task__accept', '.task__start', '.task__resolve-open', '.task__return-open']
  .filter((selector) => page.querySelector(selector));

async function openTask(item) {
  mockApi.get.mockImplementation((url) => Promise.resolve(url === '/api/v1/subscriptions' ? TEMPLATES : item));
  const page = render('worker/pages/task/task');
  page.instance.onLoad({ id: String(item.id) });
  await flush();
  return page;
}

/** POST answers: the subscription state, or the case after `action` moved it to `next`. */
function answerActions(next) {
  mockApi.post.mockImplementation((url) => Promise.resolve(url === '/api/v1/subscriptions' ? TEMPLATES : next));
}

describe('task: the buttons follow the case state', () => {
  test.each([
    ['assigned', ['accept', 'return'], ['.task__accept', '.task__return-open']],
    ['accepted', ['start', 'return'], ['.task__start', '.task__return-open']],
    ['in_progress', ['resolve'], ['.task__resolve-open']],
    ['resolved', [], []],
  ])('%s shows %j', async (status, actions, expected) => {
    const page = await openTask(task({ status, actions }));
    expect(buttons(page)).toEqual(expected);
  });

  test('shows the deadline, the reporter to call, the place to navigate to, and why it was routed here', async () => {
    jest.spyOn(wx, 'makePhoneCall').mockImplementation(() => {});
    jest.spyOn(wx, 'openLocation').mockImplementation(() => {});
    const page = await openTask(task());
    const text = page.dom.textContent;
    expect(text).toMatch(/受理时限：.+（剩余 15 分钟）/);
    expect(text).toContain('反映人：李阿姨');
    expect(text).toContain('派单依据：第一网格在岗且具备技能的网格员 1 人，选择张三');
    expect(text).toContain('另有 1 位居民关注此问题');
    page.querySelector('.task__link').dispatchEvent('tap');
    page.querySelectorAll('.task__link')[1].dispatchEvent('tap');
    await flush();
    const shown = wx.openLocation.mock.calls[0][0];
    expect(shown.latitude).not.toBe(31.305); // converted for the map (GCJ-02)
    expect(shown.latitude).toBeCloseTo(31.303, 2);
    expect(wx.makePhoneCall).toHaveBeenCalledWith({ phoneNumber: '13912345678' });
  });

  test('an anonymous report hides the reporter; a case of someone else is read-only', async () => {
    const page = await openTask(task({ anonymous: true, reporter: null, actions: [], assignee: { id: 4, name: '李四', role_text: '网格员' } }));
    expect(page.dom.textContent).toContain('反映人：匿名反映');
    expect(page.dom.textContent).toContain('由网格员李四办理，你可查看进展');
    expect(buttons(page)).toEqual([]);
  });
});

describe('task: acting on it', () => {
  test('受理 asks for consent to hear of the next task, then offers 开始处理; 开始处理 offers 办结', async () => {
    const page = await openTask(task());
    answerActions(task({ status: 'accepted', status_text: '已受理', actions: ['start', 'return'] }));
    page.instance.onAccept(); // the tap handler: the consent dialog must open before it returns
    expect(wx.requestSubscribeMessage.mock.calls.map(([o]) => o.tmplIds)).toEqual([['tmpl-assigned', 'tmpl-reopened']]);
    await flush();
    expect(actionPosts()).toEqual([['/api/v1/cases/21/accept', undefined]]);
    expect(buttons(page)).toEqual(['.task__start', '.task__return-open']);
    expect(toasts.map((t) => t.title)).toEqual(['已受理']);

    answerActions(task({ status: 'in_progress', status_text: '处理中', actions: ['resolve'] }));
    tapButton(page, '.task__start');
    await flush();
    expect(actionPosts()[1]).toEqual(['/api/v1/cases/21/start', undefined]);
    expect(buttons(page)).toEqual(['.task__resolve-open']);
  });

  test('退回 needs a reason (and a note for 其他原因), then goes back to the inbox', async () => {
    const page = await openTask(task());
    tapButton(page, '.task__return-open');
    await flush();
    expect(page.dom.textContent).toContain('不属于本网格');
    tapButton(page, '.task__return');
    await flush();
    expect(page.dom.textContent).toContain('请选择退回原因');
    page.querySelectorAll('.task__reason')[2].dispatchEvent('tap');
    await flush();
    tapButton(page, '.task__return');
    await flush();
    expect(page.dom.textContent).toContain('请说明退回原因');
    expect(actionPosts()).toEqual([]);

    answerActions(task({ status: 'submitted', actions: [] }));
    page.querySelectorAll('.task__reason')[1].dispatchEvent('tap');
    emitFrom(page, '.task__return-note', 'change', { value: ' 需要电工 ' });
    await flush();
    tapButton(page, '.task__return');
    await flush();
    expect(actionPosts()).toEqual([['/api/v1/cases/21/return', { reason: 'needs_other_skill', note: '需要电工' }]]);
    expect(navigations).toEqual([['navigateBack', undefined]]);
  });

  test('办结 of an incident needs a note and an after-photo, uploaded first', async () => {
    const page = await openTask(task({ status: 'in_progress', actions: ['resolve'] }));
    tapButton(page, '.task__resolve-open');
    await flush();
    emitFrom(page, '.task__resolve-note', 'change', { value: '已更换灯泡' });
    tapButton(page, '.task__resolve');
    await flush();
    expect(page.dom.textContent).toContain('请上传至少一张处理后的照片');
    expect(actionPosts()).toEqual([]);

    jest.spyOn(wx, 'chooseMedia').mockImplementation(({ success }) => success({ tempFiles: [{ tempFilePath: 'wxfile://after.jpg', size: 999 }] }));
    mockApi.upload.mockResolvedValueOnce({ id: 77 });
    page.querySelector('.task__photos-picker').querySelector('.case-photo-picker__add').dispatchEvent('tap');
    await flush();
    await flush();
    answerActions(task({ status: 'resolved', status_text: '待确认', actions: [] }));
    tapButton(page, '.task__resolve');
    await flush();
    expect(actionPosts()).toEqual([['/api/v1/cases/21/resolve', { note: '已更换灯泡', photo_ids: [77] }]]);
    expect(buttons(page)).toEqual([]);
    expect(toasts.map((t) => t.title)).toContain('已提交办结，等待居民确认');
  });

  test('a task taken away meanwhile (409) is shown as it is now', async () => {
    const page = await openTask(task());
    mockApi.post.mockRejectedValue(Object.assign(new Error('当前状态不允许此操作'), { status: 409, reason: 'invalid_transition' }));
    mockApi.get.mockResolvedValue(task({ status: 'assigned', actions: [], assignee: { id: 4, name: '李四', role_text: '网格员' } }));
    tapButton(page, '.task__accept');
    await flush();
    await flush();
    expect(buttons(page)).toEqual([]);
    expect(page.dom.textContent).toContain('由网格员李四办理');
  });
});

describe('inbox, grid and stats', () => {
  const summary = (id, overrides = {}) => ({
    id, kind: 'incident', status: 'assigned', status_text: '已派单', description: `任务 ${id}`, address: '',
    category: { code: 'streetlight', name: '路灯损坏', group_name: '市容环境', urgent: false }, assignee: null,
    escalation_level: 0, overdue: false, mine: false, following: false, thumbnail_url: null, created_at: now(),
    accept_due_at: hoursFromNow(0.5), resolve_due_at: hoursFromNow(40), ...overrides,
  });

  test('the inbox keeps the server\'s overdue-first order, counts the tasks and opens one', async () => {
    mockApi.get.mockImplementation((url) => Promise.resolve(url === '/api/v1/cases/availability'
      ? { away: false, open_cases: 3, missed_in_a_row: 0 }
      : [summary(2, { status: 'in_progress', overdue: true, resolve_due_at: hoursFromNow(-1) }), summary(5), summary(4, { status: 'accepted' })]));
    const page = render('worker/pages/inbox/inbox');
    page.instance.onShow();
    await flush();
    expect(mockApi.get).toHaveBeenCalledWith('/api/v1/cases', { view: 'assigned', open: true, page_size: 100 }, { silent: true });
    expect(page.data.counts).toEqual({ waiting: 1, working: 2, overdue: 1 });
    const cards = page.querySelectorAll('.inbox__card');
    expect(cards.map((card) => card.instance.data.item.id)).toEqual([2, 5, 4]);
    expect(page.dom.textContent).toContain('办结已超时 1 小时');
    expect(page.dom.textContent).not.toContain('你已暂停接单');
    cards[1].querySelector('.case-card').dispatchEvent('tap');
    await flush();
    expect(navigations).toEqual([['navigateTo', '/worker/pages/task/task?id=5']]);
  });

  test('a worker paused after missed deadlines sees why and can resume', async () => {
    mockApi.get.mockImplementation((url) => Promise.resolve(url === '/api/v1/cases/availability' ? { away: true } : []));
    mockApi.request.mockResolvedValue({ away: false });
    const page = render('worker/pages/inbox/inbox');
    page.instance.onShow();
    await flush();
    expect(page.dom.textContent).toContain('你已暂停接单');
    expect(page.dom.textContent).toContain('暂无待办任务');
    tapButton(page, '.inbox__resume');
    await flush();
    expect(mockApi.request).toHaveBeenCalledWith({ url: '/api/v1/cases/availability', method: 'PUT', data: { away: false } });
    expect(page.dom.textContent).not.toContain('你已暂停接单');
  });

  test('the grid list filters overdue cases; without a staff role it says so', async () => {
    mockApi.get.mockResolvedValueOnce(listPage([summary(9, { assignee: { id: 4, name: '李四', role_text: '网格员' } })]))
      .mockResolvedValueOnce(listPage([]));
    const page = render('worker/pages/grid/grid');
    page.instance.onLoad();
    await flush();
    const asked = { silent: true, withHeaders: true };
    expect(mockApi.get).toHaveBeenLastCalledWith('/api/v1/cases', { view: 'grid', open: true, page: 1, page_size: 30 }, asked);
    expect(page.dom.textContent).toContain('任务 9');
    page.querySelectorAll('.grid__filter')[1].dispatchEvent('tap');
    await flush();
    expect(mockApi.get).toHaveBeenLastCalledWith('/api/v1/cases', { view: 'grid', open: true, page: 1, page_size: 30, overdue: true }, asked);
    expect(page.dom.textContent).toContain('没有超时的工单');

    mockApi.get.mockRejectedValueOnce(Object.assign(new Error('您没有查看该列表的权限'), { status: 403 }));
    const resident = render('worker/pages/grid/grid');
    resident.instance.onLoad();
    await flush();
    expect(resident.dom.textContent).toContain('你还不是网格工作人员');
  });

  test('stats show my rates as percentages and the routing switch', async () => {
    const row = {
      id: 3, code: null, name: '张三', cases: 12, response_rate: 0.9167, resolution_rate: 0.75, satisfaction_rate: null,
      rated: 0, median_accept_minutes: 12.5, median_resolve_hours: 5.2,
    };
    mockApi.get.mockImplementation((url) => Promise.resolve(url === '/api/v1/cases/availability'
      ? { away: false, open_cases: 2, missed_in_a_row: 1 }
      : { overall: row, communities: [], grids: [{ ...row, id: 1, name: '第一网格' }], workers: [row] }));
    mockApi.request.mockResolvedValue({ away: true, open_cases: 2, missed_in_a_row: 1 });
    const page = render('worker/pages/stats/stats');
    page.instance.onLoad();
    await flush();
    const text = page.dom.textContent;
    expect(text).toContain('张三 · 12 件');
    expect(text).toContain('91.7%');
    expect(text).toContain('75%');
    expect(text).toContain('—');
    expect(text).toContain('受理用时中位数 13 分钟');
    expect(text).toContain('第一网格 · 12 件');
    expect(text).toContain('接单中');
    emitFrom(page, '.stats__switch', 'change', { value: false });
    await flush();
    expect(mockApi.request).toHaveBeenCalledWith({ url: '/api/v1/cases/availability', method: 'PUT', data: { away: true } });
    expect(page.dom.textContent).toContain('已暂停接单');
  });
});
