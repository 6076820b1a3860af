/**
 * @jest-environment node
 *
 * utils/topics.js: choice rules, result rows, the committee's voting form, and the receipts kept on the phone.
 */
const mockRequest = { get: jest.fn(), post: jest.fn(), upload: jest.fn(), ACCESS_TOKEN_KEY: 'access_token' };
jest.mock('../utils/request', () => mockRequest);

const topics = require('../utils/topics');

let storage;
beforeEach(() => {
  storage = {};
  global.wx = {
    getStorageSync: (key) => (key in storage ? storage[key] : ''),
    setStorageSync: (key, value) => { storage[key] = value; },
  };
  jest.clearAllMocks();
});

describe('choices', () => {
  test('single choice replaces; multiple toggles up to the maximum', () => {
    expect(topics.toggleChoice([], 3, 1)).toEqual([3]);
    expect(topics.toggleChoice([3], 4, 1)).toEqual([4]);
    expect(topics.toggleChoice([3], 3, 1)).toEqual([]);
    expect(topics.toggleChoice([3], 4, 2)).toEqual([3, 4]);
    expect(topics.toggleChoice([3, 4], 5, 2)).toBeNull();
    expect(topics.toggleChoice([3, 4], 3, 2)).toEqual([4]);
  });
});

describe('results', () => {
  test('rows carry counts, percentages and widths, or nothing while hidden', () => {
    const options = [{ id: 1, label: '赞成', count: 2, percent: 66.7, winner: true }, { id: 2, label: '反对', count: 1, percent: 33.3 }];
    expect(topics.resultRows(options, false)).toEqual([
      { id: 1, label: '赞成', winner: true, hidden: false, countText: '2 票', percentText: '66.7%', width: '66.7%' },
      { id: 2, label: '反对', winner: false, hidden: false, countText: '1 票', percentText: '33.3%', width: '33.3%' },
    ]);
    expect(topics.resultRows(options.map((o) => ({ ...o, count: null, percent: null })), true).map((r) => [r.hidden, r.countText]))
      .toEqual([[true, ''], [true, '']]);
  });

  test('describeResults: outcome, turnout by person or household, quorum met or not', () => {
    const base = { final: true, counts_hidden: false, outcome: 'no_quorum', turnout_percent: 20, cast: 2, eligible: 10,
      per: 'household', quorum_percent: 30, quorum_met: false, pass_rule: 'majority_eligible', chain_hash: 'ff' };
    const view = topics.describeResults(base);
    expect(view.outcomeLabel).toBe('未达到法定投票人数');
    expect(view.turnoutText).toBe('20%（2 / 10 户）');
    expect(view.quorumText).toBe('法定投票率 30%，未达到');
    expect(view.passRuleText).toBe('过半数通过（按应投票人数）');
    expect(view.unitText).toBe('一户一票（户代表）');
    expect(topics.describeResults({ ...base, quorum_percent: 0, quorum_met: true }).quorumText).toBe('不设法定投票率，已达到');
  });
});

describe('the committee\'s voting form', () => {
  const form = (overrides) => ({
    type: 'yes_no_abstain', options: ['', ''], maxChoices: 2, per: 'person', quorumPercent: '0', passRule: 'majority_cast',
    hideCounts: false, scheduled: false, opensDate: '', opensTime: '', closesDate: '2030-01-05', closesTime: '20:00', ...overrides,
  });
  const now = new Date(2030, 0, 1, 9, 0);

  test('yes/no/abstain sends no options; times become ISO UTC', () => {
    expect(topics.openVotingRequest(form(), now)).toEqual({
      body: {
        closes_at: new Date(2030, 0, 5, 20, 0).toISOString(),
        opens_at: null,
        ballot: { type: 'yes_no_abstain', options: [], max_choices: 1, per: 'person', quorum_percent: 0,
          pass_rule: 'majority_cast', hide_counts_until_close: false },
      },
    });
  });

  test('a scheduled multiple-choice ballot', () => {
    const { body } = topics.openVotingRequest(form({
      type: 'multiple', options: [' 3 幢旁 ', '5 幢旁', '北门'], maxChoices: 2, scheduled: true, opensDate: '2030-01-02',
      opensTime: '08:00', quorumPercent: '25', per: 'household', hideCounts: true,
    }), now);
    expect(body.opens_at).toBe(new Date(2030, 0, 2, 8, 0).toISOString());
    expect(body.ballot).toEqual({ type: 'multiple', options: ['3 幢旁', '5 幢旁', '北门'], max_choices: 2, per: 'household',
      quorum_percent: 25, pass_rule: 'majority_cast', hide_counts_until_close: true });
  });

  test.each([
    [{ type: 'single', options: ['甲', ''] }, '请填写至少两个选项，且不能留空'],
    [{ type: 'single', options: ['甲', '甲'] }, '选项不能重复'],
    [{ type: 'multiple', options: ['甲', '乙'], maxChoices: 3 }, '最多可选项数应在 1 到选项数之间'],
    [{ quorumPercent: '101' }, '法定投票率应为 0 到 100 的整数'],
    [{ quorumPercent: '2.5' }, '法定投票率应为 0 到 100 的整数'],
    [{ closesDate: '' }, '请选择投票截止时间'],
    [{ closesDate: '2029-12-31' }, '截止时间应晚于开始时间'],
    [{ scheduled: true, opensDate: '2030-01-06', opensTime: '08:00' }, '截止时间应晚于开始时间'],
  ])('refuses %j', (overrides, error) => {
    expect(topics.openVotingRequest(form(overrides), now)).toEqual({ error });
  });
});

describe('receipts on this phone', () => {
  test('kept newest first, once each, per topic, and forgotten on request', () => {
    topics.saveReceipt({ topicId: 7, title: '车棚', receipt: 'A', choices: ['赞成'] });
    topics.saveReceipt({ topicId: 8, title: '电梯', receipt: 'B', choices: ['反对'] });
    topics.saveReceipt({ topicId: 7, title: '车棚', receipt: 'A', choices: ['赞成'] });
    expect(topics.listReceipts().map((r) => r.receipt)).toEqual(['A', 'B']);
    expect(topics.receiptsFor(8)).toEqual([expect.objectContaining({ receipt: 'B', choices: ['反对'], cast_at: expect.any(String) })]);
    topics.forgetReceipt('A');
    expect(topics.listReceipts().map((r) => r.receipt)).toEqual(['B']);
  });

  test('verifyReceipt compares the server\'s choices with what this phone remembers', async () => {
    const stored = { topic_id: 7, receipt: 'ABCDE-FGHJK', choices: ['乙', '甲'] };
    mockRequest.get.mockResolvedValue({ final: true, choices: [{ id: 1, label: '甲' }, { id: 2, label: '乙' }] });
    await expect(topics.verifyReceipt(stored)).resolves.toEqual({ ok: true, text: '已计入最终计票，内容与本机记录一致', choices: '甲、乙' });
    expect(mockRequest.get).toHaveBeenCalledWith('/api/v1/topics/7/receipts/ABCDE-FGHJK');
    mockRequest.get.mockResolvedValue({ final: false, choices: [{ id: 1, label: '甲' }] });
    await expect(topics.verifyReceipt(stored)).resolves.toEqual(expect.objectContaining({ ok: false }));
  });
});

describe('times', () => {
  test('picker values round-trip to ISO and back', () => {
    const iso = topics.isoFromPicker('2030-01-05', '20:30');
    expect(topics.formatTime(iso)).toBe('2030-01-05 20:30');
    expect(topics.pickerParts(new Date(iso))).toEqual({ date: '2030-01-05', time: '20:30' });
    expect(topics.isoFromPicker('', '20:30')).toBe('');
    expect(topics.formatTime(null)).toBe('');
  });
});
