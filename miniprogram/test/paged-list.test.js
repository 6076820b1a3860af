/**
 * behaviors/paged-list.js in miniprogram-simulate: a bare list component with the behaviour, whose
 * `fetchPage` answers are held until the test lets them through, with X-Pagination headers shaped as
 * flask-smorest sends them.
 */
const simulate = require('miniprogram-simulate');
const pagedList = require('../behaviors/paged-list');
const { listPage } = require('./support/list-page');

const flush = () => simulate.sleep(0);
const pageOf = (page, rows, totalPages, total) => listPage(rows, { page, totalPages, total });

const rows = (from, count) => Array.from({ length: count }, (_, i) => ({ id: from + i, name: `第 ${from + i} 条` }));
const networkError = () => Object.assign(new Error('网络不给力，请稍后重试'), { network: true });

let asked; // [{page, resolve, reject}] in the order fetchPage was called
let toasts;

function render() {
  const id = simulate.load({
    template: `
      <view wx:for="{{list.items}}" wx:key="id" class="row">{{item.label}}</view>
      <view wx:if="{{list.error}}" class="error">{{list.error}}</view>`,
    behaviors: [pagedList],
    methods: {
      fetchPage(page) {
        return new Promise((resolve, reject) => asked.push({ page, resolve, reject }));
      },
      listItem(row) {
        return { id: row.id, label: row.name };
      },
    },
  });
  const comp = simulate.render(id);
  comp.attach(document.createElement('parent-wrapper'));
  return comp;
}

const shownLabels = (comp) => comp.querySelectorAll('.row').map((row) => row.dom.textContent);

beforeEach(() => {
  asked = [];
  toasts = [];
  jest.spyOn(wx, 'showToast').mockImplementation((options) => toasts.push(options.title));
  jest.spyOn(wx, 'stopPullDownRefresh').mockImplementation(() => {});
});
afterEach(() => jest.restoreAllMocks());

/** A list showing pages 1..`loaded` of `totalPages` (two rows a page). */
async function listWith(loaded, totalPages) {
  const comp = render();
  const first = comp.instance.reload();
  asked.shift().resolve(pageOf(1, rows(1, 2), totalPages));
  await first;
  for (let page = 2; page <= loaded; page += 1) {
    const more = comp.instance.onReachBottom();
    asked.shift().resolve(pageOf(page, rows(page * 2 - 1, 2), totalPages));
    await more;
  }
  return comp;
}

describe('the first page', () => {
  test('is loading until it arrives, then shows the rows shaped by listItem', async () => {
    const comp = render();
    expect(comp.data.list.loading).toBe(true); // a list page loads when it opens
    const loaded = comp.instance.reload();
    expect(asked.map((a) => a.page)).toEqual([1]);
    asked[0].resolve(pageOf(1, rows(1, 2), 3, 6));
    await loaded;
    expect(comp.data.list).toEqual(expect.objectContaining({ page: 1, hasMore: true, loading: false, error: '' }));
    expect(shownLabels(comp)).toEqual(['第 1 条', '第 2 条']);
  });

  test('an empty list, or an answer without X-Pagination, has no next page to ask for', async () => {
    const empty = render();
    const first = empty.instance.reload();
    asked.shift().resolve(pageOf(1, [], 0)); // flask-smorest: {total: 0, total_pages: 0}
    await first;
    expect(empty.data.list.hasMore).toBe(false);

    const bare = render();
    const second = bare.instance.reload();
    asked.shift().resolve({ data: rows(1, 20), headers: {}, statusCode: 200 }); // a full page proves nothing
    await second;
    expect(bare.data.list.hasMore).toBe(false);
    await bare.instance.onReachBottom();
    expect(asked).toEqual([]);
  });
});

describe('load more', () => {
  test('appends each next page and stops at the last page X-Pagination names', async () => {
    const comp = await listWith(2, 3);
    expect(shownLabels(comp)).toEqual(['第 1 条', '第 2 条', '第 3 条', '第 4 条']);
    expect(comp.data.list.hasMore).toBe(true);

    const last = comp.instance.onReachBottom();
    expect(asked.map((a) => a.page)).toEqual([3]);
    asked.shift().resolve(pageOf(3, rows(5, 1), 3, 5));
    await last;
    expect(shownLabels(comp)).toEqual(['第 1 条', '第 2 条', '第 3 条', '第 4 条', '第 5 条']);
    expect(comp.data.list).toEqual(expect.objectContaining({ page: 3, hasMore: false, loadingMore: false }));

    await comp.instance.onReachBottom();
    await comp.instance.loadMore();
    expect(asked).toEqual([]); // nothing after the last page
  });

  test('asks once while a page is in flight, and not at all while the first page is', async () => {
    const comp = render();
    const first = comp.instance.reload();
    await comp.instance.onReachBottom(); // page 1 not here yet: nothing to follow
    expect(asked.map((a) => a.page)).toEqual([1]);
    asked.shift().resolve(pageOf(1, rows(1, 2), 3));
    await first;

    const more = comp.instance.onReachBottom();
    comp.instance.onReachBottom();
    comp.instance.onReachBottom();
    expect(asked.map((a) => a.page)).toEqual([2]);
    expect(comp.data.list.loadingMore).toBe(true);
    asked.shift().resolve(pageOf(2, rows(3, 2), 3));
    await more;
    expect(shownLabels(comp)).toHaveLength(4);
  });

  test('a failed page keeps the list, says so, and is asked for again on the next try', async () => {
    const comp = await listWith(1, 3);
    const failed = comp.instance.onReachBottom();
    asked.shift().reject(networkError());
    await failed;
    expect(shownLabels(comp)).toEqual(['第 1 条', '第 2 条']);
    expect(comp.data.list).toEqual(expect.objectContaining({ page: 1, hasMore: true, loadingMore: false, moreError: true }));
    expect(toasts).toEqual(['网络不给力，请稍后重试']);

    const retried = comp.instance.loadMore(); // the footer's tap
    expect(asked.map((a) => a.page)).toEqual([2]);
    expect(comp.data.list.moreError).toBe(false);
    asked.shift().resolve(pageOf(2, rows(3, 2), 3));
    await retried;
    expect(shownLabels(comp)).toEqual(['第 1 条', '第 2 条', '第 3 条', '第 4 条']);
    expect(comp.data.list.page).toBe(2);
  });
});

describe('refresh', () => {
  test('pull-down loads page 1 in place of the list, keeping it on screen meanwhile, then stops the spinner', async () => {
    const comp = await listWith(2, 3);
    const refreshed = comp.instance.onPullDownRefresh();
    expect(asked.map((a) => a.page)).toEqual([1]);
    expect(comp.data.list.loading).toBe(true);
    expect(shownLabels(comp)).toHaveLength(4); // not wiped while the answer travels
    expect(wx.stopPullDownRefresh).not.toHaveBeenCalled();

    asked.shift().resolve(pageOf(1, [{ id: 9, name: '新的一条' }, ...rows(1, 1)], 2));
    await refreshed;
    expect(shownLabels(comp)).toEqual(['新的一条', '第 1 条']);
    expect(comp.data.list).toEqual(expect.objectContaining({ page: 1, hasMore: true, loading: false }));
    expect(wx.stopPullDownRefresh).toHaveBeenCalledTimes(1);
  });

  test('a failed refresh keeps the list shown and toasts why; the spinner still stops', async () => {
    const comp = await listWith(2, 3);
    const refreshed = comp.instance.onPullDownRefresh();
    asked.shift().reject(networkError());
    await refreshed;
    expect(shownLabels(comp)).toHaveLength(4);
    expect(comp.data.list).toEqual(expect.objectContaining({ page: 2, hasMore: true, loading: false, error: '' }));
    expect(toasts).toEqual(['网络不给力，请稍后重试']);
    expect(wx.stopPullDownRefresh).toHaveBeenCalledTimes(1);
  });

  test('an answer for the list before a tab change is dropped, page 1 or a later one', async () => {
    const comp = await listWith(1, 3);
    const oldMore = comp.instance.onReachBottom();
    const switched = comp.instance.reload({ clear: true });
    expect(shownLabels(comp)).toEqual([]);
    const [more, first] = asked;
    first.resolve(pageOf(1, [{ id: 50, name: '另一个标签' }], 1));
    more.resolve(pageOf(2, rows(3, 2), 3));
    await Promise.all([oldMore, switched]);
    expect(shownLabels(comp)).toEqual(['另一个标签']);
    expect(comp.data.list).toEqual(expect.objectContaining({ page: 1, hasMore: false, loadingMore: false }));
  });
});

describe('errors', () => {
  test('a failed first load with nothing shown is an error in place with its status; reload tries again', async () => {
    const comp = render();
    const first = comp.instance.reload();
    asked.shift().reject(Object.assign(new Error('没有权限执行此操作'), { status: 403 }));
    await first;
    expect(comp.data.list).toEqual(expect.objectContaining({ loading: false, error: '没有权限执行此操作', errorStatus: 403 }));
    expect(comp.querySelector('.error').dom.textContent).toBe('没有权限执行此操作');
    expect(toasts).toEqual([]); // said in place, not twice

    const retried = comp.instance.reload({ type: 'tap', detail: {} }); // bound to a retry button
    expect(comp.data.list).toEqual(expect.objectContaining({ loading: true, error: '', errorStatus: 0 }));
    asked.shift().resolve(pageOf(1, rows(1, 1), 1));
    await retried;
    expect(shownLabels(comp)).toEqual(['第 1 条']);
    expect(comp.querySelector('.error')).toBeUndefined();
  });

  test('a network failure has no status and a fallback message when the error has none', async () => {
    const comp = render();
    const first = comp.instance.reload();
    asked.shift().reject(new Error(''));
    await first;
    expect(comp.data.list).toEqual(expect.objectContaining({ error: '加载失败，请稍后重试', errorStatus: 0 }));
  });

  test('two lists keep their own state', async () => {
    const one = await listWith(1, 2);
    const other = render();
    expect(other.data.list.items).toEqual([]);
    expect(one.data.list.items).toHaveLength(2);
    await flush();
  });
});
