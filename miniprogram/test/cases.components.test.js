/** The case-* components rendered in miniprogram-simulate, with the request module mocked. */
const { render, flush } = require('./support/simulate');

const mockApi = { get: jest.fn(), post: jest.fn(), upload: jest.fn(), download: jest.fn() };
jest.mock('../utils/request', () => mockApi);

let toasts;
beforeEach(() => {
  jest.restoreAllMocks();
  jest.clearAllMocks();
  toasts = [];
  jest.spyOn(wx, 'showToast').mockImplementation((options) => toasts.push(options));
  // Photos need the bearer token: they come through the request module's download(), not <image src>.
  mockApi.download.mockImplementation((url) => new Promise((resolve) => {
    setTimeout(() => resolve(`wxfile://${url.split('/api/v1/')[1]}`));
  }));
});

const hoursFromNow = (h) => new Date(Date.now() + h * 3600 * 1000).toISOString();
const summary = (overrides = {}) => ({
  id: 12,
  kind: 'incident',
  category: { code: 'streetlight', name: '路灯损坏', group_name: '市容环境', urgent: false },
  status: 'assigned',
  status_text: '已派单',
  description: '北门路灯不亮',
  address: '长桥新村北门',
  assignee: { id: 3, name: '张三', role: 'grid_worker', role_text: '网格员', phone: null },
  escalation_level: 0,
  overdue: false,
  mine: true,
  following: false,
  thumbnail_url: '/api/v1/media/7/thumbnail',
  created_at: new Date().toISOString(),
  accept_due_at: hoursFromNow(0.5),
  resolve_due_at: hoursFromNow(40),
  ...overrides,
});

describe('case-status-tag', () => {
  test('shows the status, and 已超时 and the escalation level when they apply', async () => {
    const comp = render('components/case-status-tag/case-status-tag', { status: 'in_progress', statusText: '' });
    await flush();
    expect(comp.dom.textContent.trim()).toBe('处理中');
    expect(comp.data.theme).toBe('warning');
    comp.setData({ status: 'resolved', statusText: '待确认', overdue: true, escalationLevel: 2 });
    await flush();
    expect(comp.dom.textContent).toContain('待确认');
    expect(comp.dom.textContent).toContain('已超时');
    expect(comp.dom.textContent).toContain('社区督办');
  });
});

describe('case-card', () => {
  test('a resident sees category, status, description, place and who handles it; a tap opens it', async () => {
    const comp = render('components/case-card/case-card', { item: summary() });
    await flush();
    await flush();
    const text = comp.dom.textContent;
    expect(text).toContain('路灯损坏');
    expect(text).toContain('已派单');
    expect(text).toContain('北门路灯不亮');
    expect(text).toContain('长桥新村北门');
    expect(text).toContain('网格员张三');
    expect(text).not.toContain('待受理'); // deadlines are for staff
    expect(comp.data.thumbnail).toBe('wxfile://media/7/thumbnail');
    expect(mockApi.download.mock.calls).toEqual([['/api/v1/media/7/thumbnail', { silent: true }]]);

    const opened = [];
    comp.addEventListener('open', (event) => opened.push(event.detail));
    comp.querySelector('.case-card').dispatchEvent('tap');
    await flush();
    expect(opened).toEqual([{ id: 12 }]);
  });

  test('staff see the deadline that matters now, and overdue in red', async () => {
    const comp = render('components/case-card/case-card', { item: summary(), staff: true });
    await flush();
    expect(comp.dom.textContent).toMatch(/待受理 · 剩余 30 分钟/);
    expect(comp.dom.textContent).not.toContain('网格员张三');
    comp.setData({ item: summary({ status: 'in_progress', overdue: true, resolve_due_at: hoursFromNow(-2) }) });
    await flush();
    expect(comp.dom.textContent).toContain('办结已超时 2 小时');
    expect(comp.dom.textContent).toContain('已超时');
    expect(comp.querySelector('.case-card--overdue')).toBeDefined();
  });

  test('a followed case says so', async () => {
    const comp = render('components/case-card/case-card', { item: summary({ mine: false, following: true, thumbnail_url: null }) });
    await flush();
    expect(comp.dom.textContent).toContain('我关注的');
    expect(mockApi.download).not.toHaveBeenCalled();
  });
});

describe('case-timeline', () => {
  const events = [
    { id: 1, kind: 'submitted', text: '居民提交了事件：路灯损坏', note: '', photos: [], created_at: new Date().toISOString(), decision: null },
    { id: 2, kind: 'assigned', text: '已派单给网格员张三', note: '', photos: [], created_at: new Date().toISOString(),
      decision: { rule: 'grid_worker', reason: '第一网格在岗且具备技能的网格员 1 人' } },
    { id: 3, kind: 'resolved', text: '网格员张三已处理完毕，请确认是否解决', note: '已更换灯泡',
      photos: [{ id: 9, url: '/api/v1/media/9', thumbnail_url: '/api/v1/media/9/thumbnail' }], created_at: new Date().toISOString(), decision: null },
  ];

  test('shows the newest step first with its note and photos; routing reasons only to staff', async () => {
    const comp = render('components/case-timeline/case-timeline', { events });
    await flush();
    await flush();
    expect(comp.querySelectorAll('.case-timeline__text').map((row) => row.dom.textContent)).toEqual([
      '网格员张三已处理完毕，请确认是否解决', '已派单给网格员张三', '居民提交了事件：路灯损坏']);
    expect(comp.dom.textContent).toContain('说明：已更换灯泡');
    expect(comp.dom.textContent).toMatch(/今天 \d\d:\d\d/);
    expect(comp.dom.textContent).not.toContain('派单依据');
    expect(mockApi.download.mock.calls.map((call) => call[0])).toEqual(['/api/v1/media/9/thumbnail']);

    comp.setData({ staff: true });
    await flush();
    expect(comp.dom.textContent).toContain('派单依据：第一网格在岗且具备技能的网格员 1 人');
  });

  test('an empty timeline says so', async () => {
    const comp = render('components/case-timeline/case-timeline', { events: [] });
    await flush();
    expect(comp.dom.textContent).toContain('暂无办理记录');
  });
});

describe('case-photos', () => {
  const photos = [
    { id: 1, url: '/api/v1/media/1', thumbnail_url: '/api/v1/media/1/thumbnail' },
    { id: 2, url: '/api/v1/media/2', thumbnail_url: '/api/v1/media/2/thumbnail' },
  ];

  test('thumbnails come through authorised downloads; a tap previews the full photos', async () => {
    const previews = [];
    jest.spyOn(wx, 'previewImage').mockImplementation((options) => previews.push(options));
    const comp = render('components/case-photos/case-photos', { photos });
    await flush();
    await flush();
    expect(comp.data.items.map((item) => [item.state, item.path])).toEqual([
      ['ready', 'wxfile://media/1/thumbnail'], ['ready', 'wxfile://media/2/thumbnail']]);
    comp.querySelectorAll('.case-photos__item')[1].dispatchEvent('tap');
    await flush();
    await flush();
    expect(previews).toEqual([{ current: 'wxfile://media/2', urls: ['wxfile://media/1', 'wxfile://media/2'] }]);
  });

  test('a failed thumbnail offers 点击重试 and loads on tap', async () => {
    mockApi.download.mockImplementationOnce(() => Promise.reject(Object.assign(new Error('服务器开小差了，请稍后再试'), { status: 500 })));
    const comp = render('components/case-photos/case-photos', { photos: photos.slice(0, 1) });
    await flush();
    await flush();
    expect(comp.dom.textContent).toContain('点击重试');
    comp.querySelector('.case-photos__item').dispatchEvent('tap');
    await flush();
    await flush();
    expect(comp.data.items[0]).toEqual({ id: 1, path: 'wxfile://media/1/thumbnail', state: 'ready' });
  });
});

describe('case-category-picker', () => {
  const groups = [
    { code: 'city_appearance', name: '市容环境', children: [{ code: 'streetlight', name: '路灯损坏', urgent: false }, { code: 'garbage', name: '垃圾堆放', urgent: false }] },
    { code: 'public_safety', name: '公共安全', children: [{ code: 'fire_lane', name: '消防通道堵塞', urgent: true }] },
  ];

  test('a group shows its categories; a tap emits the category with its group name', async () => {
    const comp = render('components/case-category-picker/case-category-picker', { groups });
    await flush();
    expect(comp.dom.textContent).toContain('路灯损坏');
    expect(comp.dom.textContent).not.toContain('消防通道堵塞');
    comp.querySelectorAll('.case-category-picker__group')[1].dispatchEvent('tap');
    await flush();
    expect(comp.dom.textContent).toContain('消防通道堵塞');
    expect(comp.dom.textContent).toContain('急');

    const chosen = [];
    comp.addEventListener('change', (event) => chosen.push(event.detail.category));
    comp.querySelector('.case-category-picker__child').dispatchEvent('tap');
    await flush();
    expect(chosen).toEqual([{ code: 'fire_lane', name: '消防通道堵塞', urgent: true, group_name: '公共安全' }]);
  });

  test('a preselected value opens its group and is marked', async () => {
    const comp = render('components/case-category-picker/case-category-picker', { groups, value: 'fire_lane' });
    await flush();
    expect(comp.data.groupIndex).toBe(1);
    expect(comp.querySelector('.case-category-picker__child--active').dom.textContent).toContain('消防通道堵塞');
  });
});

describe('case-photo-picker', () => {
  let changes;
  function picker(properties) {
    const comp = render('components/case-photo-picker/case-photo-picker', properties);
    changes = [];
    comp.addEventListener('change', (event) => changes.push(event.detail));
    return comp;
  }
  const choose = (files) => jest.spyOn(wx, 'chooseMedia').mockImplementation((options) => options.success({ tempFiles: files }));

  test('chosen photos upload one at a time and report their ids', async () => {
    const comp = picker({ max: 3 });
    await flush();
    const chooser = choose([{ tempFilePath: 'wxfile://a.jpg', size: 1000 }, { tempFilePath: 'wxfile://b.jpg', size: 2000 }]);
    const finish = [];
    mockApi.upload.mockImplementation(() => new Promise((resolve) => finish.push(resolve)));
    comp.querySelector('.case-photo-picker__add').dispatchEvent('tap');
    await flush();
    expect(chooser.mock.calls[0][0]).toEqual(expect.objectContaining({ count: 3, mediaType: ['image'], sizeType: ['compressed'] }));
    expect(mockApi.upload).toHaveBeenCalledTimes(1); // one at a time on a weak connection
    expect(mockApi.upload).toHaveBeenCalledWith('/api/v1/uploads', 'wxfile://a.jpg', undefined, { silent: true });
    expect(changes[changes.length - 1]).toEqual({ ids: [], uploading: true, failed: 0 });
    expect(comp.dom.textContent).toContain('上传中');
    finish.shift()({ id: 41 });
    await flush();
    expect(mockApi.upload).toHaveBeenCalledTimes(2);
    finish.shift()({ id: 42 });
    await flush();
    expect(changes[changes.length - 1]).toEqual({ ids: [41, 42], uploading: false, failed: 0 });
    expect(comp.dom.textContent).toContain('2/3');
  });

  test('a photo over 5 MB is refused; a failed upload is retried by a tap; a photo can be removed', async () => {
    const comp = picker({});
    await flush();
    choose([{ tempFilePath: 'wxfile://huge.jpg', size: 6 * 1024 * 1024 }, { tempFilePath: 'wxfile://c.jpg', size: 1000 }]);
    mockApi.upload.mockRejectedValueOnce(Object.assign(new Error('网络不给力，请稍后重试'), { network: true }));
    comp.querySelector('.case-photo-picker__add').dispatchEvent('tap');
    await flush();
    expect(toasts.map((t) => t.title)).toEqual(['照片不能超过 5 MB', '网络不给力，请稍后重试']);
    expect(mockApi.upload).toHaveBeenCalledTimes(1);
    expect(changes[changes.length - 1]).toEqual({ ids: [], uploading: false, failed: 1 });
    expect(comp.dom.textContent).toContain('上传失败，点击重试');

    mockApi.upload.mockResolvedValueOnce({ id: 43 });
    comp.querySelector('.case-photo-picker__mask--failed').dispatchEvent('tap');
    await flush();
    expect(changes[changes.length - 1]).toEqual({ ids: [43], uploading: false, failed: 0 });

    comp.querySelector('.case-photo-picker__remove').dispatchEvent('tap');
    await flush();
    expect(changes[changes.length - 1]).toEqual({ ids: [], uploading: false, failed: 0 });
    expect(comp.querySelectorAll('.case-photo-picker__item')).toHaveLength(0);
  });

  test('disabled hides adding and removing', async () => {
    const comp = picker({ disabled: true });
    await flush();
    expect(comp.querySelector('.case-photo-picker__add')).toBeUndefined();
  });
});
