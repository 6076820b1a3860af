/**
 * @jest-environment node
 *
 * utils/cases.js: labels, times, the report rules, coordinates and the photo files (the request
 * module is a stand-in here; request.test.js covers download() and cases.e2e.test.js runs them for real).
 */
const mockApi = { download: jest.fn() };
jest.mock('../utils/request', () => mockApi);

let cases;
beforeEach(() => {
  jest.clearAllMocks();
  jest.isolateModules(() => { cases = require('../utils/cases'); }); // fresh caches per test
});

const flush = () => new Promise((resolve) => { setImmediate(resolve); });

describe('labels and times', () => {
  test('status labels prefer the server text and fall back to Chinese', () => {
    expect(cases.statusLabel('resolved', '')).toBe('待确认');
    expect(cases.statusLabel('resolved', '待居民确认')).toBe('待居民确认');
    expect(cases.statusLabel('something_new', '')).toBe('something_new');
    expect(cases.statusTheme('in_progress')).toBe('warning');
    expect(cases.statusTheme('unknown')).toBe('default');
  });

  test('formatTime reads ISO times with offsets and microseconds in the phone\'s zone', () => {
    const now = new Date(2026, 2, 10, 15, 0);
    const at = (d) => new Date(d.getTime()).toISOString().replace('Z', '123+00:00'); // 6 fraction digits
    expect(cases.formatTime(at(new Date(2026, 2, 10, 9, 5)), now)).toBe('今天 09:05');
    expect(cases.formatTime(at(new Date(2026, 2, 9, 23, 59)), now)).toBe('昨天 23:59');
    expect(cases.formatTime(at(new Date(2026, 0, 2, 8, 0)), now)).toBe('1月2日 08:00');
    expect(cases.formatTime(at(new Date(2025, 11, 30, 8, 0)), now)).toBe('2025-12-30');
    expect(cases.formatTime(null, now)).toBe('');
    expect(cases.formatTime('not a time', now)).toBe('');
  });

  test('dueText says what is left or how late', () => {
    const now = new Date('2026-03-10T08:00:00Z');
    expect(cases.dueText('2026-03-10T08:40:00+00:00', now)).toEqual({ text: '剩余 40 分钟', overdue: false });
    expect(cases.dueText('2026-03-10T11:00:00+00:00', now)).toEqual({ text: '剩余 3 小时', overdue: false });
    expect(cases.dueText('2026-03-13T08:00:00+00:00', now)).toEqual({ text: '剩余 3 天', overdue: false });
    expect(cases.dueText('2026-03-10T07:30:00+00:00', now)).toEqual({ text: '已超时 30 分钟', overdue: true });
    expect(cases.distanceText(4)).toBe('约 10 米');
    expect(cases.distanceText(80)).toBe('约 80 米');
    expect(cases.distanceText(1250)).toBe('约 1.3 公里');
  });
});

describe('the report form', () => {
  const streetlight = { code: 'streetlight', kind: 'incident', requires_location: true, requires_photo: true, allows_anonymous: true };
  const visit = { code: 'home_visit', kind: 'service', requires_location: false, requires_photo: false, allows_anonymous: false };
  const valid = { category: streetlight, description: '路灯不亮', location: { lat: 31.3, lng: 120.6 }, photoIds: [4], uploading: false, failedPhotos: 0 };

  test.each([
    ['no category', { category: null }, 'category', '请选择问题类型'],
    ['a one-character description', { description: ' 灯 ' }, 'description', '请描述一下情况（至少 2 个字）'],
    ['a description over 1000 characters', { description: '很'.repeat(1001) }, 'description', '描述不能超过 1000 个字'],
    ['no place where one is required', { location: null }, 'location', '请选择事发位置'],
    ['a photo still uploading', { uploading: true }, 'photos', '照片还在上传，请稍候'],
    ['a failed photo', { failedPhotos: 1 }, 'photos', '有照片上传失败，请点击重试或删除'],
    ['no photo where one is required', { photoIds: [] }, 'photos', '请至少上传一张现场照片'],
  ])('%s is refused', (_, change, field, message) => {
    expect(cases.validateReport({ ...valid, ...change })).toEqual({ field, message });
  });

  test('the category decides what is required', () => {
    expect(cases.validateReport(valid)).toBeNull();
    expect(cases.validateReport({ ...valid, category: visit, location: null, photoIds: [] })).toBeNull();
  });

  test('the body trims text and sends anonymity only where the category allows it', () => {
    expect(cases.reportBody({ ...valid, description: '  路灯不亮  ', address: ' 北门 ', anonymous: true })).toEqual({
      kind: 'incident', category_code: 'streetlight', description: '路灯不亮', lat: 31.3, lng: 120.6,
      address: '北门', photo_ids: [4], anonymous: true,
    });
    expect(cases.reportBody({ ...valid, category: visit, location: null, photoIds: [], anonymous: true }))
      .toEqual(expect.objectContaining({ kind: 'service', lat: null, lng: null, anonymous: false, address: '' }));
  });

  test('server field errors land on the form\'s fields', () => {
    const error = { status: 422, errors: { json: { lat: ['该位置不在本区网格范围内'], photo_ids: ['照片不存在'], description: ['太短'] } } };
    expect(cases.fieldErrors(error)).toEqual({ location: '该位置不在本区网格范围内', photos: '照片不存在', description: '太短' });
    expect(cases.fieldErrors({ status: 500 })).toEqual({});
    expect(cases.newDraftKey()).not.toBe(cases.newDraftKey());
  });
});

describe('coordinates', () => {
  test('WGS-84 → GCJ-02 shifts a point in China by a few hundred metres, and back within a metre', () => {
    const wgs = { lat: 31.305, lng: 120.605 };
    const gcj = cases.wgs84ToGcj02(wgs);
    const metres = (a, b) => Math.hypot((a.lat - b.lat) * 111320, (a.lng - b.lng) * 111320 * Math.cos((a.lat * Math.PI) / 180));
    expect(metres(wgs, gcj)).toBeGreaterThan(200);
    expect(metres(wgs, gcj)).toBeLessThan(800);
    expect(metres(cases.gcj02ToWgs84(gcj), wgs)).toBeLessThan(1);
  });

  test('points outside China are left alone', () => {
    expect(cases.wgs84ToGcj02({ lat: 48.85, lng: 2.35 })).toEqual({ lat: 48.85, lng: 2.35 });
    expect(cases.gcj02ToWgs84({ lat: 48.85, lng: 2.35 })).toEqual({ lat: 48.85, lng: 2.35 });
  });
});

describe('photo files', () => {
  test('downloads through the request module, silently, once per URL', async () => {
    mockApi.download.mockResolvedValue('/tmp/a.jpg');
    await expect(cases.photoPath('/api/v1/media/3/thumbnail')).resolves.toBe('/tmp/a.jpg');
    await expect(cases.photoPath('/api/v1/media/3/thumbnail')).resolves.toBe('/tmp/a.jpg');
    expect(mockApi.download.mock.calls).toEqual([['/api/v1/media/3/thumbnail', { silent: true }]]);
  });

  test('a refused photo rejects with its status and may be retried later', async () => {
    mockApi.download.mockRejectedValueOnce(Object.assign(new Error('未找到请求的内容'), { status: 404 }))
      .mockResolvedValueOnce('/tmp/c.jpg');
    await expect(cases.photoPath('/api/v1/media/5')).rejects.toEqual(expect.objectContaining({ status: 404 }));
    await expect(cases.photoPath('/api/v1/media/5')).resolves.toBe('/tmp/c.jpg');
    await expect(cases.photoPath('')).rejects.toThrow('图片加载失败');
  });

  test('at most three downloads run at once', async () => {
    const pending = [];
    mockApi.download.mockImplementation(() => new Promise((resolve) => pending.push(resolve)));
    const all = [1, 2, 3, 4, 5].map((n) => cases.photoPath(`/api/v1/media/${n}`));
    await flush();
    expect(pending).toHaveLength(3);
    pending.shift()('/tmp/1');
    await flush();
    expect(mockApi.download).toHaveBeenCalledTimes(4);
    while (pending.length) pending.shift()('/tmp/n');
    await flush();
    while (pending.length) pending.shift()('/tmp/n');
    await expect(Promise.all(all)).resolves.toHaveLength(5);
  });
});
