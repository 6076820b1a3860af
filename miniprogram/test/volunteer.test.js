/** Volunteering: the display rules of utils/volunteer.js and the volunteer-* components in miniprogram-simulate. */
const { render, tapButton, flush } = require('./support/simulate');
const v = require('../utils/volunteer');

const HOUR = 3600 * 1000;

/** The text of a TDesign button or tag whose host has `selector` (the text is in its inner element). */
function label(comp, selector) {
  const host = comp.querySelector(selector);
  const inner = host && (host.querySelector('.t-button') || host.querySelector('.t-tag'));
  return inner ? inner.dom.textContent.trim() : undefined;
}
const iso = (ms) => new Date(ms).toISOString();

/** A shift as GET /api/v1/activities/{id} returns it, `starts_in` ms from now. */
function shift(overrides = {}, startsIn = 48 * HOUR) {
  const start = Date.now() + startsIn;
  return {
    id: 7,
    activity_id: 3,
    starts_at: iso(start),
    ends_at: iso(start + 2 * HOUR),
    place: '长桥新村广场',
    lat: 31.305,
    lng: 120.605,
    capacity: 20,
    confirmed: 17,
    places_left: 3,
    waitlist: true,
    waitlist_length: 0,
    skills: ['清洁'],
    min_age: null,
    signup_deadline: iso(start),
    cancel_cutoff: iso(start - 24 * HOUR),
    status: 'open',
    my_signup: null,
    ...overrides,
  };
}

describe('times', () => {
  test('API times with offsets and microseconds parse to the right instant', () => {
    expect(v.parseTime('2026-11-29T05:27:55.574501+00:00').toISOString()).toBe('2026-11-29T05:27:55.575Z');
    expect(v.parseTime('2026-11-30T09:00:00+08:00').toISOString()).toBe('2026-11-30T01:00:00.000Z');
    expect(v.parseTime('2026-11-30T01:00:00Z').toISOString()).toBe('2026-11-30T01:00:00.000Z');
    expect(v.parseTime('2026-11-30T01:00:00-0230').toISOString()).toBe('2026-11-30T03:30:00.000Z');
    expect(v.parseTime('')).toBeNull();
    expect(v.parseTime('next tuesday')).toBeNull();
  });

  test('ranges show the local day, weekday and clock; across days both dates', () => {
    const start = new Date(2026, 10, 30, 9, 0); // a Monday, local time
    expect(v.formatRange(start.toISOString(), new Date(2026, 10, 30, 11, 30).toISOString())).toBe('11月30日 周一 09:00–11:30');
    expect(v.formatRange(start.toISOString(), new Date(2026, 11, 1, 8, 5).toISOString())).toBe('11月30日 09:00 – 12月1日 08:05');
    expect(v.formatTime(start.toISOString())).toBe('11月30日 09:00');
    expect(v.formatClock(start.toISOString())).toBe('09:00');
  });

  test('check-in is open from an hour before the start to two hours after the end', () => {
    const start = Date.now() + 30 * 60 * 1000;
    const open = (offset) => v.checkinOpen(iso(start), iso(start + HOUR), new Date(start + offset));
    expect(open(-61 * 60 * 1000)).toBe(false);
    expect(open(-59 * 60 * 1000)).toBe(true);
    expect(open(3 * HOUR - 60 * 1000)).toBe(true);
    expect(open(3 * HOUR + 60 * 1000)).toBe(false);
  });
});

describe('display rules', () => {
  test('a scanned mini-program code carries the check-in code as its scene', () => {
    expect(v.codeFromScan({ result: ' 1.abc.ABCDEFGHJKLM ', scanType: 'QR_CODE' })).toBe('1.abc.ABCDEFGHJKLM');
    expect(v.codeFromScan({ result: 'x', path: 'pages/volunteer/checkin/checkin?scene=1.abc.ABCDEFGHJKLM' })).toBe('1.abc.ABCDEFGHJKLM');
    expect(v.codeFromScan({ path: 'pages/volunteer/checkin/checkin?a=1&scene=7.k%2Ez' })).toBe('7.k.z');
  });

  test('sign-up statuses, attendance and pickup codes read as a resident would say them', () => {
    expect(v.signupStatusText({ status: 'waitlisted', position: 2 })).toBe('候补第 2 位');
    expect(v.signupStatusText({ status: 'cancelled', cancel_kind: 'late' })).toBe('截止后取消');
    expect(v.signupStatusText({ status: 'confirmed' })).toBe('已报名');
    const checkedIn = new Date(2026, 10, 30, 9, 2).toISOString();
    expect(v.attendanceText({ checked_in_at: checkedIn, closed_at: null, checkin_method: 'manual' })).toBe('已签到 09:02 · 组织者代签到');
    expect(v.attendanceText({ checked_in_at: checkedIn, checked_out_at: null, closed_at: checkedIn, checkout_missing: true, hours: 2, points: 20, checkin_method: 'scan' }))
      .toBe('未签退，按班次结束计 · 2 小时 · 20 积分');
    expect(v.formatPickupCode('K7P2QX9M')).toBe('K7P2 QX9M');
    expect(v.nextStarText({ level: 2, hours: 300, hours_to_go: 12.25 })).toBe('再服务 12.3 小时可成为 2 星志愿者');
    expect(v.nextStarText(null)).toBe('已达最高星级，感谢您的长期付出');
  });

  test('a reward can be redeemed only with stock, on sale and with enough points', () => {
    const reward = { id: 1, name: '大米', points: 30, stock: 2, active: true };
    expect(v.rewardAction(reward, 30)).toEqual({ label: '兑换', disabled: false });
    expect(v.rewardAction(reward, 29)).toEqual({ label: '积分不足', disabled: true });
    expect(v.rewardAction({ ...reward, stock: 0 }, 100)).toEqual({ label: '已兑完', disabled: true });
    expect(v.rewardAction({ ...reward, active: false }, 100)).toEqual({ label: '已下架', disabled: true });
    expect(v.rewardAction(reward, null)).toEqual({ label: '兑换', disabled: false });
  });
});

describe('volunteer-shift-card: the sign-up button', () => {
  async function card(props) {
    const comp = render('components/volunteer-shift-card/volunteer-shift-card', props);
    await flush();
    const events = [];
    ['signup', 'cancel', 'checkin'].forEach((name) => comp.addEventListener(name, (e) => events.push([name, e.detail])));
    return { comp, events, button: () => comp.querySelector('.shift-card__action') };
  }

  test('open: 报名 with the places left; a tap asks to sign up', async () => {
    const { comp, events } = await card({ shift: shift() });
    expect(comp.dom.textContent).toContain('剩余 3/20 个名额');
    expect(label(comp, '.shift-card__action')).toBe('报名');
    expect(comp.dom.textContent).toContain('需要：清洁');
    tapButton(comp, '.shift-card__action');
    await flush();
    expect(events).toEqual([['signup', { shiftId: 7 }]]);
  });

  test('full with a waitlist: 候补报名 and the waitlist length', async () => {
    const { comp, events } = await card({ shift: shift({ status: 'waitlist', confirmed: 20, places_left: 0, waitlist_length: 4 }) });
    expect(comp.dom.textContent).toContain('名额已满 · 候补 4 人');
    expect(comp.data.action).toEqual(expect.objectContaining({ label: '候补报名', action: 'signup', disabled: false }));
    tapButton(comp, '.shift-card__action');
    await flush();
    expect(events).toEqual([['signup', { shiftId: 7 }]]);
  });

  test('full without a waitlist: 已报满, disabled, a tap does nothing', async () => {
    const { comp, events } = await card({ shift: shift({ status: 'full', waitlist: false, confirmed: 20, places_left: 0 }) });
    expect(comp.dom.textContent).toContain('名额已满（20 人）');
    expect(comp.data.action).toEqual(expect.objectContaining({ label: '已报满', disabled: true, action: null }));
    expect(comp.querySelector('.shift-card__action').querySelector('.t-button--disabled')).toBeDefined();
    tapButton(comp, '.shift-card__action');
    await flush();
    expect(events).toEqual([]);
  });

  test('signed up: 已报名 and 取消报名; cancelling before the cutoff is not late', async () => {
    const { comp, events } = await card({ shift: shift({ my_signup: { id: 41, status: 'confirmed', position: null } }) });
    expect(label(comp, '.shift-card__badge')).toBe('已报名');
    expect(label(comp, '.shift-card__action')).toBe('取消报名');
    expect(comp.dom.textContent).toContain('取消截止');
    expect(comp.querySelector('.shift-card__checkin')).toBeUndefined(); // two days away: not yet
    tapButton(comp, '.shift-card__action');
    await flush();
    expect(events).toEqual([['cancel', { shiftId: 7, signupId: 41, late: false }]]);
  });

  test('signed up, after the cutoff and within the check-in window: late cancel and 扫码签到', async () => {
    const soon = shift({ my_signup: { id: 41, status: 'confirmed', position: null } }, 30 * 60 * 1000);
    const { comp, events } = await card({ shift: soon });
    tapButton(comp, '.shift-card__action');
    tapButton(comp, '.shift-card__checkin');
    await flush();
    expect(events).toEqual([['cancel', { shiftId: 7, signupId: 41, late: true }], ['checkin', { shiftId: 7 }]]);
  });

  test('waitlisted: the position, and 取消候补 (never counted late)', async () => {
    const { comp, events } = await card({
      shift: shift({ status: 'waitlist', places_left: 0, waitlist_length: 3, my_signup: { id: 42, status: 'waitlisted', position: 2 } }, HOUR),
    });
    expect(label(comp, '.shift-card__badge')).toBe('候补第 2 位');
    expect(label(comp, '.shift-card__action')).toBe('取消候补');
    tapButton(comp, '.shift-card__action');
    await flush();
    expect(events).toEqual([['cancel', { shiftId: 7, signupId: 42, late: false }]]);
  });

  test('while the page is busy with this shift the button sends nothing', async () => {
    const { comp, events } = await card({ shift: shift(), busy: true });
    tapButton(comp, '.shift-card__action');
    await flush();
    expect(events).toEqual([]);
  });

  test.each([
    ['closed', '报名已截止'], ['started', '进行中'], ['ended', '已结束'], ['cancelled', '已取消'],
  ])('%s: %s, disabled', async (status, label) => {
    const { comp, events } = await card({ shift: shift({ status }) });
    expect(comp.data.action).toEqual(expect.objectContaining({ label, disabled: true }));
    tapButton(comp, '.shift-card__action');
    await flush();
    expect(events).toEqual([]);
  });
});

describe('volunteer-reward-card', () => {
  const rice = { id: 5, name: '大米 5kg', description: '东北大米', points: 30, stock: 4, active: true };

  test('enough points: 兑换 emits redeem; busy sends nothing', async () => {
    const comp = render('components/volunteer-reward-card/volunteer-reward-card', { reward: rice, balance: 100 });
    await flush();
    const events = [];
    comp.addEventListener('redeem', (e) => events.push(e.detail));
    expect(comp.dom.textContent).toContain('库存 4');
    tapButton(comp, '.reward-card__redeem');
    await flush();
    comp.setData({ busy: true });
    await flush();
    tapButton(comp, '.reward-card__redeem');
    await flush();
    expect(events).toEqual([{ rewardId: 5 }]);
  });

  test('not enough points: 积分不足, and the balance arriving later updates it', async () => {
    const comp = render('components/volunteer-reward-card/volunteer-reward-card', { reward: rice, balance: 10 });
    await flush();
    expect(label(comp, '.reward-card__redeem')).toBe('积分不足');
    comp.setData({ balance: 30 });
    await flush();
    expect(label(comp, '.reward-card__redeem')).toBe('兑换');
  });
});

describe('volunteer-activity-card, volunteer-stars, volunteer-state', () => {
  test('an activity card shows when, who and places, and opens on tap', async () => {
    const start = Date.now() + 48 * HOUR;
    const comp = render('components/volunteer-activity-card/volunteer-activity-card', {
      activity: { id: 9, title: '社区清洁日', community_name: '测试社区', team_name: '长桥志愿队', status: 'published',
        starts_at: iso(start), ends_at: iso(start + 2 * HOUR), shift_count: 2, places_left: 0 },
    });
    await flush();
    expect(comp.dom.textContent).toContain('测试社区 · 长桥志愿队');
    expect(comp.dom.textContent).toContain('名额已满，可报名候补');
    expect(comp.dom.textContent).toContain('共 2 个班次');
    const opened = [];
    comp.addEventListener('open', (e) => opened.push(e.detail));
    comp.querySelector('.activity-card').dispatchEvent('tap');
    await flush();
    expect(opened).toEqual([{ id: 9 }]);
  });

  test('stars: as many filled as the level', async () => {
    const comp = render('components/volunteer-stars/volunteer-stars', { level: 3 });
    await flush();
    expect(comp.data.stars.map((s) => s.filled)).toEqual([true, true, true, false, false]);
  });

  test('state: loading, then an error with retry, then empty', async () => {
    const comp = render('components/volunteer-state/volunteer-state', { loading: true });
    await flush();
    expect(comp.dom.textContent).toContain('加载中');
    const retries = [];
    comp.addEventListener('retry', () => retries.push(1));
    comp.setData({ loading: false, error: '网络不给力，请稍后重试' });
    await flush();
    expect(comp.dom.textContent).toContain('网络不给力，请稍后重试');
    tapButton(comp, '.volunteer-state__retry');
    await flush();
    expect(retries).toEqual([1]);
    comp.setData({ error: '', empty: true, emptyText: '还没有报名的班次' });
    await flush();
    expect(comp.dom.textContent).toContain('还没有报名的班次');
  });
});

describe('app.json', () => {
  const fs = require('fs');
  const path = require('path');
  const ROOT = path.resolve(__dirname, '..');
  const app = JSON.parse(fs.readFileSync(path.join(ROOT, 'app.json'), 'utf8'));
  const organizer = (app.subPackages || []).find((p) => p.root === 'organizer');
  const all = app.pages.concat(organizer ? organizer.pages.map((p) => `organizer/${p}`) : []);

  test('lists the volunteering pages and the organizer sub-package, each with its four files', () => {
    expect(organizer).toBeDefined();
    const ours = all.filter((p) => p.startsWith('pages/volunteer/') || p.startsWith('organizer/'));
    expect(ours).toHaveLength(12);
    const missing = ours.flatMap((page) => ['js', 'json', 'wxml', 'wxss'].map((ext) => `${page}.${ext}`))
      .filter((file) => !fs.existsSync(path.join(ROOT, file)));
    expect(missing).toEqual([]);
  });

  test('the pages the backend links to exist: notifications, the star message, the mini-program code', () => {
    // backend/volunteering: signups.activity_link, ledger.ME_PAGE, checkins.CHECKIN_PAGE
    expect(all).toEqual(expect.arrayContaining([
      'pages/volunteer/activity/activity', 'pages/volunteer/me/me', 'pages/volunteer/checkin/checkin']));
  });
});
