/**
 * The 协商议事 pages in miniprogram-simulate, with the request module mocked by a small router:
 * voting with its confirmation step and receipt, hidden counts, receipts, discussion, proposing,
 * and the committee's pages.
 */
const { render, tapButton, flush } = require('./support/simulate');
const { asRead, listPage } = require('./support/list-page');

const mockApi = {
  get: jest.fn(), post: jest.fn(), upload: jest.fn(), download: jest.fn(), isLoggedIn: jest.fn(() => true), ACCESS_TOKEN_KEY: 'access_token',
};
jest.mock('../utils/request', () => mockApi);

// --- a router for the mocked request module ---------------------------------------------------------

let routes;
let sent;
function serve(table) {
  Object.assign(routes, table);
}
function answer(method, url, data) {
  sent.push({ method, url, data });
  const handler = routes[`${method} ${url}`];
  if (handler === undefined) return Promise.reject(Object.assign(new Error(`未找到 ${method} ${url}`), { status: 404 }));
  return typeof handler === 'function' ? handler(data) : Promise.resolve(handler);
}
const sentTo = (method, url) => sent.filter((s) => s.method === method && s.url === url);
const refused = (status, reason, message) => Promise.reject(Object.assign(new Error(message), { status, reason }));

let storage;
let toasts;
let navigations;
let clipboard;
let modalAnswers; // what wx.showModal answers next: {confirm, content}
let sheetAnswer; // tapIndex wx.showActionSheet answers with, or null for cancel

beforeEach(() => {
  jest.clearAllMocks();
  routes = {};
  sent = [];
  storage = {};
  toasts = [];
  navigations = [];
  clipboard = [];
  modalAnswers = [];
  sheetAnswer = 0;
  mockApi.get.mockImplementation((url, data, options) => answer('GET', url, data).then((body) => asRead(body, options)));
  mockApi.post.mockImplementation((url, data) => answer('POST', url, data));
  jest.spyOn(wx, 'getStorageSync').mockImplementation((key) => (key in storage ? storage[key] : ''));
  jest.spyOn(wx, 'setStorageSync').mockImplementation((key, value) => { storage[key] = value; });
  jest.spyOn(wx, 'showToast').mockImplementation((options) => toasts.push(options.title));
  jest.spyOn(wx, 'setClipboardData').mockImplementation((options) => clipboard.push(options.data));
  for (const how of ['navigateTo', 'redirectTo', 'switchTab']) {
    jest.spyOn(wx, how).mockImplementation((options) => navigations.push([how, options.url]));
  }
  jest.spyOn(wx, 'navigateBack').mockImplementation(() => navigations.push(['navigateBack']));
  jest.spyOn(wx, 'showModal').mockImplementation((options) => {
    const next = modalAnswers.shift() || { confirm: true, content: '' };
    setTimeout(() => options.success(Object.assign({ cancel: !next.confirm }, next)));
  });
  jest.spyOn(wx, 'showActionSheet').mockImplementation((options) => {
    setTimeout(() => (sheetAnswer === null ? options.fail({ errMsg: 'showActionSheet:fail cancel' })
      : options.success({ tapIndex: sheetAnswer })));
  });
});
afterEach(() => jest.restoreAllMocks());

const settle = async () => { for (let i = 0; i < 5; i += 1) await flush(); }; // timers, then promise chains

async function open(rel, query) {
  const page = render(rel);
  if (page.instance.onLoad) page.instance.onLoad(query || {});
  if (page.instance.onShow) page.instance.onShow();
  await settle();
  return page;
}

/** The elements matching `selector` inside the child component at `host`. */
const inside = (page, host, selector) => page.querySelector(host).querySelectorAll(selector);

function typeInto(page, hostSelector, value) {
  const host = page.querySelector(hostSelector);
  const inner = host.querySelector('.t-textarea__wrapper-inner') || host.querySelector('.t-input__control');
  inner.dispatchEvent('input', { detail: { value } });
}

// --- topics as the API returns them -----------------------------------------------------------------

const viewer = (overrides) => ({
  is_proposer: false, can_manage: false, supported: false, can_support: false, support_refusal: null,
  voted: false, household_voted: false, can_vote: false, vote_refusal: null, ...overrides,
});
const yesNo = (overrides) => ({
  type: 'yes_no_abstain', max_choices: 1, per: 'person', quorum_percent: 30, pass_rule: 'majority_cast',
  hide_counts_until_close: false, fixed: true, opens_at: '2026-11-29T01:00:00+00:00', closes_at: '2026-12-06T12:00:00+00:00',
  eligible: 120, cast: 0, counts_visible: true,
  options: [{ id: 1, label: '赞成', count: 0, percent: 0 }, { id: 2, label: '反对', count: 0, percent: 0 }, { id: 3, label: '弃权', count: 0, percent: 0 }],
  ...overrides,
});
const topic = (overrides) => ({
  id: 7, title: '在 3 幢旁新建非机动车棚', phase: 'discussion', origin: 'resident', community_id: 1, support_count: 3,
  support_threshold: 20, on_agenda: false, opens_at: null, closes_at: null, outcome: null, response_due_at: null,
  response_overdue: false, created_at: '2026-11-29T05:35:41+00:00', body: '车棚选址在 3 幢与 4 幢之间的空地。',
  community_name: '测试社区', screening: 'pass', proposer: { id: 2, nickname: '老张' }, rejection_reason: null,
  scope: { whole_community: true, grid_ids: [], buildings: [] }, photos: [], comment_count: 0, ballot: null,
  result: null, response: null, viewer: viewer(), ...overrides,
});
const votingTopic = (ballotOverrides, viewerOverrides) => topic({
  phase: 'voting', ballot: yesNo(ballotOverrides), viewer: viewer({ can_vote: true, ...viewerOverrides }),
});
const RECEIPT = 'NEHJS-M3X5S-17Y9A-DVBCY-PC10X';

// --- vote ----------------------------------------------------------------------------------------------

describe('vote: choose, confirm, receipt', () => {
  test('the ballot goes only after the confirmation step; the receipt is shown, kept and copyable', async () => {
    serve({ 'GET /api/v1/topics/7': votingTopic(), 'POST /api/v1/topics/7/ballots': { topic_id: 7, receipt: RECEIPT } });
    const page = await open('pages/topics/vote/vote', { id: '7' });
    expect(page.dom.textContent).toContain('在 3 幢旁新建非机动车棚');
    expect(page.dom.textContent).toContain('无记名投票');

    tapButton(page, '.vote__next'); // nothing chosen: the button is disabled
    await settle();
    expect(page.data.step).toBe('choose');

    inside(page, '.vote__options', '.ballot-option')[1].dispatchEvent('tap'); // 反对
    await settle();
    tapButton(page, '.vote__next');
    await settle();
    expect(page.data.step).toBe('confirm');
    expect(page.dom.textContent).toContain('请确认你的选择');
    expect(page.dom.textContent).toContain('反对');
    expect(page.dom.textContent).toContain('投票提交后不能修改或撤回');
    expect(sentTo('POST', '/api/v1/topics/7/ballots')).toEqual([]);

    tapButton(page, '.vote__back'); // change of mind
    await settle();
    inside(page, '.vote__options', '.ballot-option')[0].dispatchEvent('tap'); // 赞成
    await settle();
    tapButton(page, '.vote__next');
    await settle();
    tapButton(page, '.vote__submit');
    await settle();

    expect(sentTo('POST', '/api/v1/topics/7/ballots').map((s) => s.data)).toEqual([{ option_ids: [1] }]);
    expect(page.data.step).toBe('done');
    expect(page.dom.textContent).toContain('投票成功');
    expect(page.querySelector('.vote__receipt').dom.textContent.trim()).toBe(RECEIPT);
    expect(storage.topic_receipts).toEqual([expect.objectContaining({
      topic_id: 7, title: '在 3 幢旁新建非机动车棚', receipt: RECEIPT, choices: ['赞成'],
    })]);

    tapButton(page, '.vote__copy');
    await settle();
    expect(clipboard).toEqual([RECEIPT]);
  });

  test('a double tap on 确认投票 sends one ballot', async () => {
    let finish;
    serve({
      'GET /api/v1/topics/7': votingTopic(),
      'POST /api/v1/topics/7/ballots': () => new Promise((resolve) => { finish = resolve; }),
    });
    const page = await open('pages/topics/vote/vote', { id: '7' });
    inside(page, '.vote__options', '.ballot-option')[0].dispatchEvent('tap');
    await settle();
    tapButton(page, '.vote__next');
    await settle();
    tapButton(page, '.vote__submit');
    tapButton(page, '.vote__submit');
    page.instance.onConfirm(); // even past the button's own loading state
    await settle();
    expect(page.data.submitting).toBe(true);
    finish({ topic_id: 7, receipt: RECEIPT });
    await settle();
    page.instance.onConfirm(); // and after the receipt
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/ballots')).toHaveLength(1);
    expect(storage.topic_receipts).toHaveLength(1);
  });

  test('409 already_voted turns the page into the refusal and keeps no receipt', async () => {
    serve({
      'GET /api/v1/topics/7': votingTopic(),
      'POST /api/v1/topics/7/ballots': () => refused(409, 'already_voted', '您已经投过票了，每人只能投一次'),
    });
    const page = await open('pages/topics/vote/vote', { id: '7' });
    inside(page, '.vote__options', '.ballot-option')[2].dispatchEvent('tap');
    await settle();
    tapButton(page, '.vote__next');
    await settle();
    tapButton(page, '.vote__submit');
    await settle();
    expect(page.data.receipt).toBe('');
    expect(page.dom.textContent).toContain('您已投票，每人只能投一次');
    expect(page.querySelector('.vote__submit')).toBeUndefined();
    expect(storage.topic_receipts).toBeUndefined();
  });

  test('a lost answer keeps the confirmation; a retry refused as already voted says the receipt is lost', async () => {
    let attempts = 0;
    serve({
      'GET /api/v1/topics/7': votingTopic(),
      'POST /api/v1/topics/7/ballots': () => {
        attempts += 1;
        if (attempts === 1) return Promise.reject(Object.assign(new Error('网络不给力，请稍后重试'), { network: true }));
        return refused(409, 'already_voted', '您已经投过票了');
      },
    });
    const page = await open('pages/topics/vote/vote', { id: '7' });
    inside(page, '.vote__options', '.ballot-option')[0].dispatchEvent('tap');
    await settle();
    tapButton(page, '.vote__next');
    await settle();
    tapButton(page, '.vote__submit');
    await settle();
    expect(page.data.step).toBe('confirm');
    expect(page.data.submitting).toBe(false);
    tapButton(page, '.vote__submit');
    await settle();
    expect(attempts).toBe(2);
    expect(page.dom.textContent).toContain('回执未能送达');
  });

  test('a resident who may not vote sees why, and no options', async () => {
    serve({ 'GET /api/v1/topics/7': votingTopic({}, { can_vote: false, vote_refusal: 'household_already_voted' }) });
    const page = await open('pages/topics/vote/vote', { id: '7' });
    expect(page.dom.textContent).toContain('您家已有成员投票（按户投票，每户一票）');
    expect(page.querySelector('.vote__options')).toBeUndefined();
  });

  test('a multiple-choice ballot allows up to its maximum', async () => {
    const options = [{ id: 21, label: '3 幢旁' }, { id: 22, label: '5 幢旁' }, { id: 23, label: '北门' }];
    serve({
      'GET /api/v1/topics/7': votingTopic({ type: 'multiple', max_choices: 2, options }),
      'POST /api/v1/topics/7/ballots': { topic_id: 7, receipt: RECEIPT },
    });
    const page = await open('pages/topics/vote/vote', { id: '7' });
    expect(page.dom.textContent).toContain('最多可选 2 项');
    for (const i of [0, 2]) {
      inside(page, '.vote__options', '.ballot-option')[i].dispatchEvent('tap');
      await settle();
    }
    tapButton(page, '.vote__next');
    await settle();
    tapButton(page, '.vote__submit');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/ballots')[0].data).toEqual({ option_ids: [21, 23] });
    expect(storage.topic_receipts[0].choices).toEqual(['3 幢旁', '北门']);
  });
});

// --- results and receipts --------------------------------------------------------------------------------

const results = (overrides) => ({
  topic_id: 7, phase: 'closed', final: true, counts_hidden: false, ballot_type: 'yes_no_abstain', per: 'person',
  pass_rule: 'majority_cast', quorum_percent: 30, opens_at: '2026-11-29T01:00:00+00:00', closes_at: '2026-12-06T12:00:00+00:00',
  eligible: 4, cast: 3, turnout_percent: 75, quorum_met: true, outcome: 'passed',
  options: [{ id: 1, label: '赞成', count: 2, percent: 66.7, winner: true }, { id: 2, label: '反对', count: 1, percent: 33.3, winner: false },
    { id: 3, label: '弃权', count: 0, percent: 0, winner: false }],
  chain_hash: 'c33cebcc0877bf659e28e839311575560ef0be4efa073b371567bbf49828de2c', ballots_counted: 3,
  tallied_at: '2026-12-06T12:00:01+00:00', closed_at: '2026-12-06T12:00:01+00:00',
  response: { text: '已安排施工，下月完成', responded_at: '2026-12-07T02:00:00+00:00', due_at: '2026-12-21T12:00:01+00:00', overdue: false },
  ...overrides,
});

describe('results', () => {
  test('while counts are hidden: no numbers, a note, and the turnout', async () => {
    serve({
      'GET /api/v1/topics/7': votingTopic({ hide_counts_until_close: true, counts_visible: false }),
      'GET /api/v1/topics/7/results': results({
        phase: 'voting', final: false, counts_hidden: true, quorum_met: null, outcome: null, chain_hash: null, ballots_counted: null,
        tallied_at: null, response: null, options: results().options.map((o) => ({ ...o, count: null, percent: null, winner: false })),
      }),
    });
    const page = await open('pages/topics/results/results', { id: '7' });
    const text = page.dom.textContent;
    expect(text).toContain('投票进行中');
    expect(text).toContain('本议题设置为投票结束后公布票数');
    expect(text).not.toMatch(/\d+ 票/);
    expect(text).toContain('75%（3 / 4 人）');
    expect(text).not.toContain('公开核验');
  });

  test('final: outcome, counts, quorum, chain hash (copyable), response, and my receipt checked', async () => {
    storage.topic_receipts = [{ topic_id: 7, title: '车棚', receipt: RECEIPT, choices: ['赞成'], cast_at: '2026-12-01T00:00:00Z' }];
    serve({
      'GET /api/v1/topics/7': topic({ phase: 'closed' }),
      'GET /api/v1/topics/7/results': results(),
      [`GET /api/v1/topics/7/receipts/${RECEIPT}`]: {
        topic_id: 7, counted: true, final: true, choices: [{ id: 1, label: '赞成' }], receipt_hash: 'ab', chain_hash: 'cd',
      },
    });
    const page = await open('pages/topics/results/results', { id: '7' });
    const text = page.dom.textContent;
    expect(text).toContain('通过');
    expect(text).toContain('最终结果');
    expect(text).toContain('2 票 · 66.7%');
    expect(text).toContain('法定投票率 30%，已达到');
    expect(text).toContain('过半数通过（按实际投票数）');
    expect(text).toContain('计入选票 3 张');
    expect(text).toContain('已安排施工，下月完成');
    tapButton(page, '.results__copy-hash');
    await settle();
    expect(clipboard).toEqual([results().chain_hash]);

    tapButton(page, '.results__check-button');
    await settle();
    expect(page.dom.textContent).toContain('已计入最终计票，内容与本机记录一致（赞成）');
  });

  test('a topic without a vote says so', async () => {
    serve({
      'GET /api/v1/topics/7': topic(),
      'GET /api/v1/topics/7/results': () => refused(409, 'no_vote', '该议题还没有安排投票'),
    });
    const page = await open('pages/topics/results/results', { id: '7' });
    expect(page.dom.textContent).toContain('该议题没有安排投票');
  });
});

describe('my receipts', () => {
  test('lists the receipts on this phone; copy, check (a mismatch is flagged) and delete', async () => {
    storage.topic_receipts = [
      { topic_id: 7, title: '新建车棚', receipt: RECEIPT, choices: ['反对'], cast_at: '2026-12-01T00:00:00Z' },
      { topic_id: 8, title: '电梯维修', receipt: 'AAAAA-BBBBB-CCCCC-DDDDD-EEEEE', choices: ['赞成'], cast_at: '2026-11-01T00:00:00Z' },
    ];
    serve({
      [`GET /api/v1/topics/7/receipts/${RECEIPT}`]: { topic_id: 7, counted: true, final: false, choices: [{ id: 1, label: '赞成' }] },
    });
    const page = await open('pages/topics/receipts/receipts');
    expect(page.querySelectorAll('.receipts__item')).toHaveLength(2);
    expect(page.dom.textContent).toContain('我的选择：反对');

    tapButton(page, '.receipts__copy');
    await settle();
    expect(clipboard).toEqual([RECEIPT]);

    tapButton(page, '.receipts__verify');
    await settle();
    expect(page.dom.textContent).toContain('已计入（投票进行中），但内容与本机记录不一致，请联系社区');

    modalAnswers.push({ confirm: true });
    tapButton(page, '.receipts__forget');
    await settle();
    expect(page.querySelectorAll('.receipts__item')).toHaveLength(1);
    expect(storage.topic_receipts.map((r) => r.topic_id)).toEqual([8]);
  });

  test('no receipts: an empty state', async () => {
    const page = await open('pages/topics/receipts/receipts');
    expect(page.dom.textContent).toContain('还没有投票回执');
  });
});

// --- topic detail -------------------------------------------------------------------------------------

const comment = (overrides) => ({
  id: 31, topic_id: 7, parent_id: null, status: 'visible', body: '早该建了', stance: 'for', author: { id: 4, nickname: '邻居2' },
  mine: false, pinned: false, locked: false, edited: false, report_count: null, created_at: '2026-11-29T06:00:00+00:00',
  edited_at: null, replies: [], ...overrides,
});

describe('topic detail', () => {
  test('support (附议) updates the count; reaching the threshold says it is on the agenda', async () => {
    serve({
      'GET /api/v1/topics/7': topic({ support_count: 19, viewer: viewer({ can_support: true }) }),
      'GET /api/v1/topics/7/comments': [],
      'POST /api/v1/topics/7/support': topic({ support_count: 20, on_agenda: true, viewer: viewer({ supported: true, support_refusal: 'already_supported' }) }),
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(page.dom.textContent).toContain('已附议 19 / 20');
    expect(page.dom.textContent).toContain('还没有人发言');
    tapButton(page, '.detail__support-button');
    tapButton(page, '.detail__support-button');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/support')).toHaveLength(1);
    expect(page.dom.textContent).toContain('已附议 20 / 20');
    expect(page.dom.textContent).toContain('已列入议程');
    expect(toasts).toContain('附议成功，议题已列入议程');
  });

  test('an unverified resident sees why they cannot support', async () => {
    serve({
      'GET /api/v1/topics/7': topic({ viewer: viewer({ can_support: false, support_refusal: 'not_verified' }) }),
      'GET /api/v1/topics/7/comments': [],
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(page.dom.textContent).toContain('认证居民才能参与');
    tapButton(page, '.detail__support-button');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/support')).toEqual([]);
  });

  test('voting with hidden counts: the way to vote, no numbers', async () => {
    serve({
      'GET /api/v1/topics/7': votingTopic({ hide_counts_until_close: true, counts_visible: false, cast: 3, eligible: 4,
        options: yesNo().options.map((o) => ({ ...o, count: null, percent: null })) }),
      'GET /api/v1/topics/7/comments': [],
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    const text = page.dom.textContent;
    expect(text).toContain('投票进行中');
    expect(text).toContain('已投 3 / 4');
    expect(text).not.toMatch(/\d+ 票/);
    tapButton(page, '.detail__vote-button');
    await settle();
    expect(navigations).toEqual([['navigateTo', '/pages/topics/vote/vote?id=7']]);
  });

  test('closed: the result, and the response or when it is due', async () => {
    const closed = topic({ phase: 'closed', outcome: 'passed', ballot: yesNo({ counts_visible: true }), result: results(),
      response: { text: null, responded_at: null, due_at: '2026-12-21T12:00:00+00:00', overdue: true } });
    serve({ 'GET /api/v1/topics/7': closed, 'GET /api/v1/topics/7/comments': [] });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    const text = page.dom.textContent;
    expect(text).toContain('表决结果');
    expect(text).toContain('2 票 · 66.7%');
    expect(text).toContain('答复已逾期');
    expect(text).toContain('讨论已结束');
    expect(page.querySelector('.detail__composer')).toBeUndefined();
  });

  test('a comment with a stance, then a reply; a failed post keeps the draft', async () => {
    const first = comment();
    serve({
      'GET /api/v1/topics/7': topic({ comment_count: 1 }),
      'GET /api/v1/topics/7/comments': [first],
      'POST /api/v1/topics/7/comments': (data) => Promise.resolve(comment({
        id: data.parent_id ? 33 : 32, parent_id: data.parent_id, body: data.body, stance: data.stance, mine: true,
        author: { id: 9, nickname: '我' }, replies: undefined,
      })),
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(page.dom.textContent).toContain('早该建了');

    page.querySelector('.detail__stance').querySelectorAll('.stance-chip')[1].dispatchEvent('tap'); // 反对
    typeInto(page, '.detail__draft', '  占用消防通道，不同意  ');
    await settle();
    tapButton(page, '.detail__post');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/comments')[0].data).toEqual({ body: '占用消防通道，不同意', stance: 'against', parent_id: null });
    expect(page.data.draft).toBe('');
    expect(page.data.stance).toBe('');
    expect(page.data.list.items.map((t) => t.id)).toEqual([31, 32]);

    inside(page, '.detail__comment', '.topic-comment__reply')[0].dispatchEvent('tap');
    await settle();
    expect(page.dom.textContent).toContain('回复 邻居2');
    typeInto(page, '.detail__draft', '同意楼上');
    await settle();
    tapButton(page, '.detail__post');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/comments')[1].data).toEqual({ body: '同意楼上', stance: null, parent_id: 31 });
    expect(page.data.list.items[0].replies.map((r) => r.body)).toEqual(['同意楼上']);

    routes['POST /api/v1/topics/7/comments'] = () => refused(422, 'content_rejected', '内容含有不当信息');
    typeInto(page, '.detail__draft', '留着别丢');
    await settle();
    tapButton(page, '.detail__post');
    await settle();
    expect(page.data.draft).toBe('留着别丢');
    expect(page.data.posting).toBe(false);
  });

  test('more comments as X-Pagination names them; a page that fails to arrive is asked for again', async () => {
    let failNext = true;
    serve({
      'GET /api/v1/topics/7': topic({ comment_count: 3 }),
      'GET /api/v1/topics/7/comments': ({ page }) => {
        if (page === 2 && failNext) {
          failNext = false;
          return Promise.reject(Object.assign(new Error('网络不给力，请稍后重试'), { network: true }));
        }
        const threads = page === 1 ? [comment(), comment({ id: 32, body: '同意' })] : [comment({ id: 33, body: '第二页的发言' })];
        return Promise.resolve(listPage(threads, { page, totalPages: 2, total: 3 }));
      },
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(page.querySelectorAll('.detail__comment')).toHaveLength(2);

    tapButton(page, '.detail__more'); // 加载更多评论
    await settle();
    expect(page.querySelectorAll('.detail__comment')).toHaveLength(2); // nothing shown is lost
    expect(page.dom.textContent).toContain('加载失败，点击重试');
    expect(toasts).toEqual(['网络不给力，请稍后重试']);

    tapButton(page, '.detail__more');
    await settle();
    expect(sentTo('GET', '/api/v1/topics/7/comments').map((s) => s.data.page)).toEqual([1, 2, 2]);
    expect(page.dom.textContent).toContain('第二页的发言');
    expect(page.querySelector('.detail__more')).toBeUndefined(); // the last page
    await page.instance.onReachBottom();
    expect(sentTo('GET', '/api/v1/topics/7/comments')).toHaveLength(3);
  });

  test('report a comment with a reason from the action sheet', async () => {
    serve({
      'GET /api/v1/topics/7': topic({ comment_count: 1 }),
      'GET /api/v1/topics/7/comments': [comment()],
      'POST /api/v1/comments/31/report': comment(),
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    sheetAnswer = 1; // 辱骂攻击
    inside(page, '.detail__comment', '.topic-comment__report')[0].dispatchEvent('tap');
    await settle();
    expect(sentTo('POST', '/api/v1/comments/31/report').map((s) => s.data)).toEqual([{ reason: 'abuse' }]);
    expect(toasts).toContain('已举报，感谢你的反馈');

    sheetAnswer = null; // cancelled: nothing sent
    inside(page, '.detail__comment', '.topic-comment__report')[0].dispatchEvent('tap');
    await settle();
    expect(sentTo('POST', '/api/v1/comments/31/report')).toHaveLength(1);
  });

  test('a moderator pins a comment with a reason', async () => {
    serve({
      'GET /api/v1/topics/7': topic({ comment_count: 1, viewer: viewer({ can_manage: true }) }),
      'GET /api/v1/topics/7/comments': [comment()],
      'POST /api/v1/comments/31/pin': comment({ pinned: true }),
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(page.dom.textContent).toContain('议题管理');
    sheetAnswer = 0; // 置顶
    modalAnswers.push({ confirm: true, content: '意见有代表性' });
    inside(page, '.detail__comment', '.topic-comment__moderate')[0].dispatchEvent('tap');
    await settle();
    expect(sentTo('POST', '/api/v1/comments/31/pin').map((s) => s.data)).toEqual([{ reason: '意见有代表性' }]);
    expect(page.dom.textContent).toContain('置顶');
  });

  test('photos are downloaded through the request module (an <image> cannot send the bearer token) and shown', async () => {
    mockApi.download.mockImplementation((url) => Promise.resolve(`/tmp/${mockApi.download.mock.calls.length}.jpg`));
    serve({
      'GET /api/v1/topics/7': topic({ photos: [{ id: 4, url: '/api/v1/media/4', thumbnail_url: '/api/v1/media/4/thumbnail' }] }),
      'GET /api/v1/topics/7/comments': [],
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(mockApi.download.mock.calls).toEqual([['/api/v1/media/4/thumbnail', { silent: true }]]);
    expect(page.data.photos).toEqual([{ id: 4, url: '/api/v1/media/4', src: '/tmp/1.jpg' }]);
    expect(page.querySelectorAll('.detail__photo')).toHaveLength(1);
  });

  test('a failed load offers a retry', async () => {
    serve({ 'GET /api/v1/topics/7': () => refused(404, 'topic_not_found', '议题不存在'), 'GET /api/v1/topics/7/comments': [] });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(page.dom.textContent).toContain('议题不存在');
    routes['GET /api/v1/topics/7'] = topic();
    tapButton(page, '.detail__retry');
    await settle();
    expect(page.dom.textContent).toContain('在 3 幢旁新建非机动车棚');
  });
});

// --- list and propose -------------------------------------------------------------------------------

describe('topic list', () => {
  test('tabs load each phase; my proposals; an empty tab says so', async () => {
    serve({
      'GET /api/v1/me': { id: 1, roles: [{ role: 'resident' }] },
      'GET /api/v1/topics': (params) => Promise.resolve(params.phase === 'discussion' ? [topic()] : []),
    });
    const page = await open('pages/topics/topics');
    expect(page.querySelectorAll('.topics__card')).toHaveLength(1);
    expect(page.dom.textContent).not.toContain('社区议事管理');
    page.querySelectorAll('.topics__tab')[3].dispatchEvent('tap');
    await settle();
    expect(sentTo('GET', '/api/v1/topics').map((s) => s.data)).toEqual([
      { page_size: 20, page: 1, phase: 'discussion' }, { page_size: 20, page: 1, view: 'mine' }]);
    expect(page.dom.textContent).toContain('你还没有发起过议题');
  });

  test('committee members see the way to the management pages', async () => {
    serve({ 'GET /api/v1/me': { id: 1, roles: [{ role: 'committee', scope_id: 1 }] }, 'GET /api/v1/topics': [] });
    const page = await open('pages/topics/topics');
    page.querySelector('.topics__committee').dispatchEvent('tap');
    await settle();
    expect(navigations).toEqual([['navigateTo', '/committee/pages/review/review']]);
  });
});

/** Fill the propose form with a valid topic and tap 提交. */
async function submitProposal(page) {
  typeInto(page, '.propose__title', '新建非机动车棚');
  typeInto(page, '.propose__body', '3 幢旁的空地可以建车棚。');
  await settle();
  tapButton(page, '.propose__submit');
  await settle();
}

describe('propose', () => {
  const me = { id: 2, verified: true, roles: [], household: { id: 3, grid_id: 5, grid_name: '第一网格', building: '1 幢' } };

  test('checks the form, then proposes for my building and opens the new topic', async () => {
    serve({ 'GET /api/v1/me': me, 'POST /api/v1/topics': topic({ id: 12, phase: 'pending_review' }) });
    const page = await open('pages/topics/propose/propose');
    expect(page.dom.textContent).toContain('本楼栋（1 幢）');

    typeInto(page, '.propose__title', '车');
    await settle();
    tapButton(page, '.propose__submit');
    await settle();
    expect(toasts).toEqual(['标题请填写 2 至 40 个字']);
    expect(sentTo('POST', '/api/v1/topics')).toEqual([]);

    typeInto(page, '.propose__title', ' 新建非机动车棚 ');
    typeInto(page, '.propose__body', '3 幢旁的空地可以建车棚。');
    page.querySelectorAll('.propose__scope')[2].dispatchEvent('tap');
    await settle();
    tapButton(page, '.propose__submit');
    tapButton(page, '.propose__submit');
    await settle();
    expect(sentTo('POST', '/api/v1/topics').map((s) => s.data)).toEqual([{
      title: '新建非机动车棚', body: '3 幢旁的空地可以建车棚。', photo_ids: [], grid_ids: [],
      buildings: [{ grid_id: 5, building: '1 幢' }],
    }]);
    expect(toasts).toContain('已提交，等待社区审核');
    expect(navigations).toEqual([['redirectTo', '/pages/topics/detail/detail?id=12']]);
  });

  test('a refusal keeps the form for another try', async () => {
    serve({ 'GET /api/v1/me': me, 'POST /api/v1/topics': () => refused(422, 'content_rejected', '内容含有不当信息') });
    const page = await open('pages/topics/propose/propose');
    await submitProposal(page);
    expect(page.data.submitting).toBe(false);
    expect(page.data.title).toBe('新建非机动车棚');
    expect(page.data.body).toBe('3 幢旁的空地可以建车棚。');
    expect(navigations).toEqual([]);
  });

  test('an unverified resident is sent to verify first', async () => {
    serve({ 'GET /api/v1/me': { ...me, verified: false } });
    const page = await open('pages/topics/propose/propose');
    expect(page.dom.textContent).toContain('认证居民才能发起议题');
    tapButton(page, '.propose__to-profile');
    await settle();
    expect(navigations).toEqual([['switchTab', '/pages/profile/profile']]);
  });

  test('a committee member publishes for the community directly', async () => {
    serve({
      'GET /api/v1/me': { ...me, roles: [{ role: 'committee', scope_type: 'community', scope_id: 1 }] },
      'POST /api/v1/topics': topic({ id: 13, origin: 'committee' }),
    });
    const page = await open('pages/topics/propose/propose', { community_id: '1' });
    expect(page.dom.textContent).toContain('以社区两委名义发布');
    typeInto(page, '.propose__title', '电梯维修基金使用');
    typeInto(page, '.propose__body', '拟使用公共维修基金更换 2 幢电梯。');
    await settle();
    tapButton(page, '.propose__submit');
    await settle();
    expect(sentTo('POST', '/api/v1/topics')[0].data).toEqual(expect.objectContaining({ community_id: 1, grid_ids: [], buildings: [] }));
    expect(toasts).toContain('议题已发布');
  });
});

// --- committee ------------------------------------------------------------------------------------------

describe('committee', () => {
  const managed = (overrides) => topic({ viewer: viewer({ can_manage: true }), ...overrides });

  test('review queue: pending proposals first; the overdue tab asks for overdue topics', async () => {
    serve({
      'GET /api/v1/me': { id: 1, roles: [{ role: 'committee', scope_type: 'community', scope_id: 1 }] },
      'GET /api/v1/topics': (params) => Promise.resolve(params.phase === 'pending_review' ? [topic({ phase: 'pending_review' })] : []),
    });
    const page = await open('committee/pages/review/review');
    expect(page.dom.textContent).toContain('待审核');
    expect(page.querySelectorAll('.review__card')).toHaveLength(1);
    page.querySelectorAll('.review__tab')[4].dispatchEvent('tap');
    await settle();
    expect(sentTo('GET', '/api/v1/topics').map((s) => s.data)).toEqual([
      { page_size: 20, page: 1, phase: 'pending_review' }, { page_size: 20, page: 1, overdue: true }]);
    expect(page.dom.textContent).toContain('没有逾期未答复的议题');
    tapButton(page, '.review__create');
    await settle();
    expect(navigations).toEqual([['navigateTo', '/pages/topics/propose/propose?community_id=1']]);
  });

  test('approve after a confirmation; reject needs a reason', async () => {
    serve({
      'GET /api/v1/topics/7': managed({ phase: 'pending_review', screening: 'review' }),
      'POST /api/v1/topics/7/approve': managed({ phase: 'discussion' }),
      'POST /api/v1/topics/7/reject': managed({ phase: 'rejected', rejection_reason: '与本社区无关' }),
    });
    const page = await open('committee/pages/topic/topic', { id: '7' });
    expect(page.dom.textContent).toContain('内容安全检测建议人工复核');
    tapButton(page, '.manage__reject');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/reject')).toEqual([]);
    expect(toasts[0]).toContain('请填写驳回理由');

    modalAnswers.push({ confirm: false });
    tapButton(page, '.manage__approve');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/approve')).toEqual([]);
    tapButton(page, '.manage__approve');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/approve')).toHaveLength(1);
    expect(page.dom.textContent).toContain('设置并开启投票');
  });

  test('closing a vote early is the server\'s call; a closed topic takes the response, kept on failure', async () => {
    serve({
      'GET /api/v1/topics/7': managed({ phase: 'voting', ballot: yesNo({ cast: 3, eligible: 4 }) }),
      'POST /api/v1/topics/7/close': () => refused(409, 'voting_still_open', '投票截止时间开始时已确定，不能提前结束'),
    });
    const page = await open('committee/pages/topic/topic', { id: '7' });
    expect(page.dom.textContent).toContain('3 / 4');
    tapButton(page, '.manage__close-vote');
    await settle();
    expect(page.data.view.phase).toBe('voting');

    const closed = managed({ phase: 'closed', result: results({ response: null }), ballot: yesNo(),
      response: { text: null, responded_at: null, due_at: '2026-12-21T12:00:00+00:00', overdue: true } });
    routes['POST /api/v1/topics/7/close'] = closed;
    tapButton(page, '.manage__close-vote');
    await settle();
    expect(page.dom.textContent).toContain('已超过发布期限');

    routes['POST /api/v1/topics/7/respond'] = () => refused(422, 'invalid', '提交的内容有误');
    typeInto(page, '.manage__response-text', '已安排施工');
    await settle();
    tapButton(page, '.manage__respond');
    await settle();
    expect(sentTo('POST', '/api/v1/topics/7/respond').map((s) => s.data)).toEqual([{ response: '已安排施工' }]);
    expect(page.data.responseText).toBe('已安排施工');
  });

  test('open voting: a single-choice ballot with its settings, after a confirmation', async () => {
    serve({
      'GET /api/v1/topics/7': managed({ phase: 'discussion' }),
      'POST /api/v1/topics/7/open-voting': managed({ phase: 'voting', ballot: yesNo() }),
    });
    const page = await open('committee/pages/voting/voting', { id: '7' });
    page.querySelectorAll('.voting__type')[1].dispatchEvent('tap'); // 单选
    await settle();
    tapButton(page, '.voting__submit'); // empty options
    await settle();
    expect(toasts).toEqual(['请填写至少两个选项，且不能留空']);

    const inputs = page.querySelectorAll('.voting__option-input');
    inputs[0].dispatchEvent('input', { detail: { value: '3 幢旁' } });
    inputs[1].dispatchEvent('input', { detail: { value: '5 幢旁' } });
    page.querySelectorAll('.voting__unit')[1].dispatchEvent('tap'); // 一户一票
    page.querySelector('.voting__quorum').dispatchEvent('input', { detail: { value: '30' } });
    page.querySelectorAll('.voting__rule')[1].dispatchEvent('tap'); // 三分之二
    page.querySelector('.voting__hide-counts').dispatchEvent('change', { detail: { value: true } });
    page.instance.onPickerChange({ currentTarget: { dataset: { field: 'closesDate' } }, detail: { value: '2030-01-05' } });
    page.instance.onPickerChange({ currentTarget: { dataset: { field: 'closesTime' } }, detail: { value: '20:30' } });
    await settle();
    tapButton(page, '.voting__submit');
    await settle();
    const [request] = sentTo('POST', '/api/v1/topics/7/open-voting');
    expect(request.data).toEqual({
      closes_at: new Date(2030, 0, 5, 20, 30).toISOString(),
      opens_at: null,
      ballot: { type: 'single', options: ['3 幢旁', '5 幢旁'], max_choices: 1, per: 'household', quorum_percent: 30,
        pass_rule: 'two_thirds_cast', hide_counts_until_close: true },
    });
    expect(toasts).toContain('投票已开启');
    expect(navigations).toEqual([['navigateBack']]);
  });

  test('moderation queue: hide with a reason; the reviewed comment leaves the queue', async () => {
    serve({
      'GET /api/v1/moderation/queue': [
        { comment: comment({ status: 'hidden', report_count: 3 }), topic_title: '新建车棚', community_id: 1, reports: { spam: 2, abuse: 1 } },
        { comment: comment({ id: 40, status: 'held', body: '待审核的话' }), topic_title: '新建车棚', community_id: 1, reports: {} },
      ],
      'POST /api/v1/comments/40/hide': comment({ id: 40, status: 'hidden' }),
    });
    const page = await open('committee/pages/moderation/moderation');
    expect(page.dom.textContent).toContain('举报：垃圾广告 ×2，辱骂攻击 ×1');
    expect(page.querySelectorAll('.moderation__item')).toHaveLength(2);

    tapButton(page, '.moderation__hide'); // the hidden one has no 隐藏: this is the held one's
    await settle();
    page.querySelector('.moderation__reason').dispatchEvent('input', { detail: { value: '广' } });
    tapButton(page, '.moderation__confirm');
    await settle();
    expect(toasts[0]).toContain('请填写原因');
    page.querySelector('.moderation__reason').dispatchEvent('input', { detail: { value: '广告引流' } });
    tapButton(page, '.moderation__confirm');
    await settle();
    expect(sentTo('POST', '/api/v1/comments/40/hide').map((s) => s.data)).toEqual([{ reason: '广告引流' }]);
    expect(page.querySelectorAll('.moderation__item')).toHaveLength(1);
  });

  test('moderation queue: a held photo with its label, uploader and thumbnail; passed, it leaves the queue', async () => {
    const held = (id, screening, uploadedAt) => ({
      kind: 'photo', topic_title: '新建车棚', community_id: 1,
      photo: {
        id, topic_id: 7, url: `/api/v1/media/${id}`, thumbnail_url: `/api/v1/media/${id}/thumbnail`, screening,
        uploader: { id: 2, nickname: '张阿姨' }, uploaded_at: uploadedAt,
      },
    });
    mockApi.download.mockImplementation((url) => Promise.resolve(`/tmp${url}.jpg`));
    serve({
      'GET /api/v1/moderation/queue': [
        held(40, 'review', '2026-12-05T01:00:00+00:00'), // the same id as the comment: told apart by kind
        { kind: 'comment', comment: comment({ id: 40, status: 'held', body: '待审核的话' }), topic_title: '新建车棚', community_id: 1, reports: {} },
        held(41, 'pending', '2026-12-05T03:00:00+00:00'),
      ],
      'POST /api/v1/media/40/screening': { id: 40, screening: 'pass' },
    });
    const page = await open('committee/pages/moderation/moderation');
    const items = page.querySelectorAll('.moderation__item');
    expect(items).toHaveLength(3);
    expect(items[0].dom.textContent).toContain('待人工审核');
    expect(items[0].dom.textContent).toContain('张阿姨 上传');
    expect(items[2].dom.textContent).toContain('审核中');
    expect(mockApi.download).toHaveBeenCalledWith('/api/v1/media/40/thumbnail', { silent: true });
    expect(page.querySelectorAll('.moderation__photo-actions')).toHaveLength(2);

    modalAnswers.push({ confirm: false }); // thought better of it: nothing sent
    const tapPass = () => page.querySelectorAll('.moderation__photo-actions')[0]
      .querySelector('.photo-actions__pass').querySelector('.t-button').dispatchEvent('tap');
    tapPass();
    await settle();
    expect(sentTo('POST', '/api/v1/media/40/screening')).toEqual([]);
    expect(page.querySelectorAll('.moderation__item')).toHaveLength(3);

    tapPass();
    await settle();
    expect(wx.showModal.mock.calls[1][0]).toEqual(expect.objectContaining({ title: '通过这张照片', confirmText: '通过' }));
    expect(sentTo('POST', '/api/v1/media/40/screening').map((s) => s.data)).toEqual([{ decision: 'pass' }]);
    expect(toasts).toContain('照片已通过');
    expect(page.data.list.items.map((item) => item.key)).toEqual(['comment-40', 'photo-41']);
    expect(page.querySelectorAll('.moderation__item')).toHaveLength(2);
    expect(page.data.deciding).toBeNull();
  });

  test('moderation queue: a photo another manager decided first leaves the queue with the message', async () => {
    serve({
      'GET /api/v1/moderation/queue': [{
        kind: 'photo', topic_title: '新建车棚', community_id: 1,
        photo: { id: 5, topic_id: 7, url: '/api/v1/media/5', thumbnail_url: '/api/v1/media/5/thumbnail', screening: 'review',
          uploader: null, uploaded_at: '2026-12-05T01:00:00+00:00' },
      }],
      'POST /api/v1/media/5/screening': () => refused(409, 'invalid_transition', '这张照片已有审核结果'),
    });
    mockApi.download.mockImplementation((url) => Promise.resolve(`/tmp${url}.jpg`));
    const page = await open('committee/pages/moderation/moderation');
    page.querySelector('.moderation__photo-actions').querySelector('.photo-actions__reject').querySelector('.t-button')
      .dispatchEvent('tap');
    await settle();
    expect(wx.showModal.mock.calls[0][0]).toEqual(expect.objectContaining({ title: '不予展示' }));
    expect(sentTo('POST', '/api/v1/media/5/screening').map((s) => s.data)).toEqual([{ decision: 'risky' }]);
    expect(toasts).toEqual(['这张照片已有审核结果']);
    expect(page.querySelector('.moderation__empty')).toBeDefined();
    expect(page.data.list.items).toEqual([]);
  });
});

// Last in the file: the consent module keeps the templates it loaded for the rest of the app's life.
describe('subscribe-message consent, asked inside the tap', () => {
  const TEMPLATES = { voting_opened: 't-open', topic_closed: 't-closed', comment_replied: 't-reply', topic_approved: 't-ok' };
  let asked;
  beforeEach(() => {
    asked = [];
    wx.requestSubscribeMessage = ({ tmplIds, success }) => {
      asked.push(tmplIds);
      success(Object.fromEntries(tmplIds.map((id) => [id, id === 't-closed' ? 'reject' : 'accept'])));
    };
  });
  afterEach(() => { delete wx.requestSubscribeMessage; });

  test('supporting asks for the voting and result messages, commenting for replies; accepted ones are recorded', async () => {
    serve({
      'GET /api/v1/subscriptions': { templates: TEMPLATES },
      'POST /api/v1/subscriptions': { accepted: {} },
      'GET /api/v1/topics/7': topic({ viewer: viewer({ can_support: true }) }),
      'GET /api/v1/topics/7/comments': [],
      'POST /api/v1/topics/7/support': topic({ support_count: 4, viewer: viewer({ supported: true }) }),
      'POST /api/v1/topics/7/comments': (data) => Promise.resolve(comment({ id: 32, body: data.body, mine: true, replies: undefined })),
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    tapButton(page, '.detail__support-button');
    await settle();
    expect(asked).toEqual([['t-open', 't-closed']]);
    expect(sentTo('POST', '/api/v1/subscriptions').map((s) => s.data)).toEqual([{ template_ids: ['t-open'] }]);

    typeInto(page, '.detail__draft', '支持');
    await settle();
    tapButton(page, '.detail__post');
    await settle();
    expect(asked).toEqual([['t-open', 't-closed'], ['t-reply']]);
    expect(sentTo('POST', '/api/v1/topics/7/comments')).toHaveLength(1);
  });

  test('a resident proposing is asked about the review and the vote (only configured templates)', async () => {
    serve({ 'GET /api/v1/me': { id: 2, verified: true, roles: [], household: { id: 3, grid_id: 5 } },
      'GET /api/v1/subscriptions': { templates: TEMPLATES }, 'POST /api/v1/subscriptions': { accepted: {} },
      'POST /api/v1/topics': topic({ id: 12, phase: 'pending_review' }) });
    const page = await open('pages/topics/propose/propose');
    await submitProposal(page);
    expect(asked).toEqual([['t-ok', 't-open']]);
    expect(sentTo('POST', '/api/v1/topics')).toHaveLength(1);
  });
});

// --- photos held by the image check (after the consent suite, which keeps working before or after) ----

describe('topic photos held by the image check', () => {
  const photo = (id, screening) => ({ id, url: `/api/v1/media/${id}`, thumbnail_url: `/api/v1/media/${id}/thumbnail`, screening });
  const managed = (photos) => topic({ photos, viewer: viewer({ can_manage: true }) });
  // What each photo's tile says (its label, then its buttons); an element has no querySelector of its own.
  const tiles = (page) => page.querySelectorAll('.detail__photo-item').map((tile) => tile.dom.textContent.replace(/\s+/g, ''));
  const ACTIONS = '通过不予展示';
  /** Tap 通过 (`pass`) or 不予展示 (`reject`) under the n-th photo that still offers them. */
  const tapAction = (page, which, n) => page.querySelectorAll('.detail__photo-actions')[n]
    .querySelector(`.photo-actions__${which}`).querySelector('.t-button').dispatchEvent('tap');

  beforeEach(() => {
    mockApi.download.mockImplementation((url) => Promise.resolve(`/tmp${url}.jpg`));
  });

  test('each state has its label; a manager may decide the pending and the reviewed ones', async () => {
    serve({
      'GET /api/v1/topics/7': managed([photo(3, 'pass'), photo(4, 'pending'), photo(5, 'review'), photo(6, 'risky')]),
      'GET /api/v1/topics/7/comments': [],
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(page.querySelectorAll('.detail__photo')).toHaveLength(4);
    expect(tiles(page)).toEqual(['', `审核中${ACTIONS}`, `待人工审核${ACTIONS}`, '未通过审核（仅管理员可见）']);
    expect(page.querySelector('.detail__photos-hint').dom.textContent).toContain('居民暂时看不到');
    expect(page.data.photos[0]).toEqual({ id: 3, url: '/api/v1/media/3', src: '/tmp/api/v1/media/3/thumbnail.jpg' });
  });

  test('a manager passes one photo and keeps another from residents: one request each, labels updated in place', async () => {
    let finishPass;
    serve({
      'GET /api/v1/topics/7': managed([photo(4, 'pending'), photo(5, 'review')]),
      'GET /api/v1/topics/7/comments': [],
      'POST /api/v1/media/4/screening': () => new Promise((resolve) => { finishPass = resolve; }),
      'POST /api/v1/media/5/screening': { id: 5, screening: 'risky' },
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });

    modalAnswers.push({ confirm: false }); // thought better of it: nothing sent
    tapAction(page, 'pass', 0);
    await settle();
    expect(sentTo('POST', '/api/v1/media/4/screening')).toEqual([]);
    expect(page.data.deciding).toBeNull();

    tapAction(page, 'pass', 0);
    tapAction(page, 'pass', 0); // a double tap asks once and sends once
    await settle();
    page.instance.onDecidePhoto({ detail: { id: 4, decision: 'pass' } }); // even past the buttons
    page.instance.onDecidePhoto({ detail: { id: 5, decision: 'risky' } }); // one photo at a time
    await settle();
    expect(wx.showModal).toHaveBeenCalledTimes(2);
    expect(wx.showModal.mock.calls[1][0]).toEqual(expect.objectContaining({ confirmText: '通过' }));
    expect(page.data.deciding).toEqual({ id: 4, decision: 'pass' });
    finishPass({ id: 4, screening: 'pass' });
    await settle();
    expect(sentTo('POST', '/api/v1/media/4/screening').map((s) => s.data)).toEqual([{ decision: 'pass' }]);
    expect(tiles(page)).toEqual(['', `待人工审核${ACTIONS}`]);
    expect(toasts).toContain('照片已通过');

    tapAction(page, 'reject', 0); // photo 5's, the only one left to decide
    await settle();
    expect(wx.showModal.mock.calls[2][0]).toEqual(expect.objectContaining({ title: '不予展示', confirmText: '不予展示' }));
    expect(sentTo('POST', '/api/v1/media/5/screening').map((s) => s.data)).toEqual([{ decision: 'risky' }]);
    expect(tiles(page)).toEqual(['', '未通过审核（仅管理员可见）']);
    expect(toasts).toContain('已设为不予展示');
    expect(sentTo('GET', '/api/v1/topics/7')).toHaveLength(1); // updated in place, no reload
    expect(mockApi.download).toHaveBeenCalledTimes(2); // thumbnails kept
  });

  test('the uploader (a resident) sees the label and that neighbours see it once passed, and no actions', async () => {
    serve({
      'GET /api/v1/topics/7': topic({ photos: [photo(3, 'pass'), photo(4, 'pending'), photo(5, 'review')],
        viewer: viewer({ is_proposer: true }) }),
      'GET /api/v1/topics/7/comments': [],
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(tiles(page)).toEqual(['', '审核中', '待人工审核']);
    expect(page.querySelector('.detail__photos-hint').dom.textContent).toContain('审核通过后邻居才能看到');
    expect(page.querySelector('.detail__photo-actions')).toBeUndefined();
  });

  test('photos that all passed: no labels, no hint', async () => {
    serve({ 'GET /api/v1/topics/7': managed([photo(3, 'pass')]), 'GET /api/v1/topics/7/comments': [] });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    expect(tiles(page)).toEqual(['']);
    expect(page.querySelector('.detail__photos-hint')).toBeUndefined();
  });

  test('409: already decided elsewhere: the topic reloads and the message is shown', async () => {
    serve({
      'GET /api/v1/topics/7': managed([photo(4, 'review')]),
      'GET /api/v1/topics/7/comments': [],
      'POST /api/v1/media/4/screening': () => refused(409, 'invalid_transition', '这张照片已有审核结果'),
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    routes['GET /api/v1/topics/7'] = managed([photo(4, 'risky')]); // another manager kept it back
    tapAction(page, 'pass', 0);
    await settle();
    expect(sentTo('POST', '/api/v1/media/4/screening')).toHaveLength(1);
    expect(toasts).toEqual(['这张照片已有审核结果']);
    expect(sentTo('GET', '/api/v1/topics/7')).toHaveLength(2);
    expect(tiles(page)).toEqual(['未通过审核（仅管理员可见）']);
    expect(page.data.deciding).toBeNull();
  });

  test('a failure that is not a conflict says why and keeps the actions', async () => {
    serve({
      'GET /api/v1/topics/7': managed([photo(4, 'pending')]),
      'GET /api/v1/topics/7/comments': [],
      'POST /api/v1/media/4/screening': () => Promise.reject(Object.assign(new Error('网络不给力，请稍后重试'), { network: true })),
    });
    const page = await open('pages/topics/detail/detail', { id: '7' });
    tapAction(page, 'reject', 0);
    await settle();
    expect(toasts).toEqual(['网络不给力，请稍后重试']);
    expect(sentTo('GET', '/api/v1/topics/7')).toHaveLength(1);
    expect(tiles(page)).toEqual([`审核中${ACTIONS}`]);
  });
});
