/**
 * @jest-environment node
 *
 * Volunteering end to end: the UNMODIFIED utils/request.js and the pages' own utils/volunteer.js,
 * through the Node `wx` shim (plus scanCode and getLocation), against the REAL Flask app seeded by
 * tests/volunteering/e2e_seed.py. Nothing is faked: the organiser's session fetches the rotating code
 * and the volunteer's "camera" reads exactly that text.
 *
 * The tests share one seeded world and run in order; each uses its own shifts or people.
 */
const { startBackend } = require('./support/backend-server');
const { loadVolunteerSession } = require('./support/volunteer-shim');

let server;
let seeded;
beforeAll(async () => {
  server = await startBackend({ seeds: ['tests.volunteering.e2e_seed:seed'] });
  seeded = server.seeded.volunteering;
}, 40000);
afterAll(async () => {
  if (server) await server.stop();
});

const session = (openid) => loadVolunteerSession({ apiBase: server.url, loginCode: `dev:${openid}` });
const callsTo = (wx, path) => wx.calls.filter((call) => call.path === path);
const FAR_AWAY = { latitude: 31.35, longitude: 120.65 }; // about 6.6 km from the seeded place

/** What the organiser's phone shows now. */
const currentCode = (organiser, shiftId) => organiser.act(({ vol }) => vol.api.checkinCode(shiftId));

/** The volunteer scans `code` the way the check-in page does: camera, then location, then POST. */
const scanAndCheckIn = (person, code, shiftId) => person.act(async ({ wx, vol }) => {
  wx.queueScan(code);
  const scanned = await vol.scanCheckinCode();
  return vol.checkInWithCode(scanned, shiftId);
});

test('sign up → check in → check out by scanning the organiser\'s code → points → redeem', async () => {
  const organiser = session(seeded.organiser_openid);
  const volunteer = session(seeded.volunteer_openid);
  volunteer.wx.location = { latitude: seeded.place.lat, longitude: seeded.place.lng };

  // The list (read as the list page reads it, with the X-Pagination header) shows the activity with its
  // places; the detail offers 报名.
  const { listed, activity: detail } = await volunteer.act(async ({ vol: v }) => ({
    listed: await v.api.activities({}, { withHeaders: true }),
    activity: await v.api.activity(seeded.soon_activity_id),
  }));
  expect(listed.data.map((a) => a.id)).toContain(seeded.soon_activity_id);
  expect(JSON.parse(listed.headers['x-pagination'])).toEqual(expect.objectContaining({ page: 1, total: listed.data.length }));
  const [shift] = detail.shifts;
  expect(shift).toEqual(expect.objectContaining({ id: seeded.soon_shift_id, status: 'open', places_left: 5, my_signup: null }));
  expect(volunteer.vol.shiftAction(shift)).toEqual(expect.objectContaining({ key: 'open', label: '报名', action: 'signup' }));

  // Sign up: confirmed, one place fewer, and the card now offers 取消报名 and (check-in is open) 扫码签到.
  const signup = await volunteer.act(({ vol: v }) => v.api.signUp(shift.id));
  expect(signup).toEqual(expect.objectContaining({ shift_id: shift.id, status: 'confirmed', position: null }));
  const [signupCall] = callsTo(volunteer.wx, `/api/v1/shifts/${shift.id}/signups`);
  expect(signupCall.header['Idempotency-Key']).toEqual(expect.any(String));
  const after = await volunteer.act(({ vol: v }) => v.api.activity(seeded.soon_activity_id));
  expect(after.shifts[0]).toEqual(expect.objectContaining({ places_left: 4, my_signup: expect.objectContaining({ id: signup.id, status: 'confirmed' }) }));
  expect(volunteer.vol.shiftAction(after.shifts[0])).toEqual(expect.objectContaining({ key: 'confirmed', badge: '已报名', action: 'cancel' }));
  expect(volunteer.vol.checkinOpen(after.shifts[0].starts_at, after.shifts[0].ends_at)).toBe(true);

  // Check in: the organiser's phone shows a code, the volunteer's camera reads it, the location goes along.
  const shown = await currentCode(organiser, shift.id);
  expect(shown).toEqual(expect.objectContaining({ shift_id: shift.id, code: expect.any(String), image: null }));
  const checkedIn = await scanAndCheckIn(volunteer, shown.code, shift.id);
  expect(checkedIn).toEqual(expect.objectContaining({ action: 'checked_in', shift_id: shift.id, activity_title: '垃圾分类宣传' }));
  expect(checkedIn.attendance).toEqual(expect.objectContaining({ checkin_method: 'scan', closed_at: null }));
  const [checkinCall] = callsTo(volunteer.wx, '/api/v1/checkins');
  expect(checkinCall.data).toEqual({ code: shown.code, lat: seeded.place.lat, lng: seeded.place.lng, shift_id: shift.id });

  // Check out with the next code: the attendance closes (before the start, so no service time yet).
  const checkedOut = await scanAndCheckIn(volunteer, (await currentCode(organiser, shift.id)).code, shift.id);
  expect(checkedOut.action).toBe('checked_out');
  expect(checkedOut.attendance).toEqual(expect.objectContaining({ closed_at: expect.any(String), hours: 0, points: 0 }));
  expect(volunteer.vol.attendanceText(checkedOut.attendance)).toMatch(/^已签退 \d\d:\d\d · 0 小时$/);

  // A third scan is refused: the hours are recorded.
  const replay = await scanAndCheckIn(volunteer, (await currentCode(organiser, shift.id)).code, shift.id).catch((e) => e);
  expect(replay).toEqual(expect.objectContaining({ status: 409, reason: 'already_checked_out' }));

  // Points: the hours record shows the shift; the balance is the seeded 100 bonus points.
  const summary = await volunteer.act(({ vol: v }) => v.api.myVolunteering());
  expect(summary).toEqual(expect.objectContaining({ credited_hours: 0, honour_hours: 0, points_balance: 100, star_level: 0 }));
  expect(summary.history[0]).toEqual(expect.objectContaining({ kind: 'service', activity_title: '垃圾分类宣传' }));
  expect(volunteer.vol.nextStarText(summary.next_star)).toBe('再服务 100 小时可成为 1 星志愿者');

  // Redeem: the shop's item, with the pickup code; the balance and the ledger follow.
  const rewards = await volunteer.act(({ vol: v }) => v.api.rewards({ communityId: seeded.community_id }));
  const rice = rewards.find((r) => r.id === seeded.reward_id);
  expect(volunteer.vol.rewardAction(rice, summary.points_balance)).toEqual({ label: '兑换', disabled: false });
  const redemption = await volunteer.act(({ vol: v }) => v.api.redeem(rice.id));
  expect(redemption).toEqual(expect.objectContaining({ reward_name: '大米 5kg', points: 30, status: 'pending', pickup_code: expect.stringMatching(/^[2-9A-Z]{8}$/) }));
  const [mine, points, stockAfter, balanceAfter] = await volunteer.act(({ vol: v }) => Promise.all([
    v.api.myRedemptions(), v.api.myPoints(), v.api.rewards({ communityId: seeded.community_id }), v.api.myVolunteering()]));
  expect(mine[0]).toEqual(expect.objectContaining({ id: redemption.id, pickup_code: redemption.pickup_code }));
  expect(points.map((p) => [p.kind, p.amount])).toEqual([['redemption', -30], ['bonus', 100]]);
  expect(stockAfter.find((r) => r.id === rice.id).stock).toBe(rice.stock - 1);
  expect(balanceAfter.points_balance).toBe(70);

  // The 500-point item is out of reach, and the server says so too.
  const expensive = stockAfter.find((r) => r.id === seeded.expensive_reward_id);
  expect(volunteer.vol.rewardAction(expensive, 70)).toEqual({ label: '积分不足', disabled: true });
  const refused = await volunteer.act(({ vol: v }) => v.api.redeem(expensive.id)).catch((e) => e);
  expect(refused).toEqual(expect.objectContaining({ status: 409, reason: 'insufficient_points' }));
  expect(volunteer.wx.toasts).toEqual([{ title: refused.message, icon: 'none' }]);
});

test('a full shift waitlists with a position, and a cancellation promotes the first waiting', async () => {
  const first = session(seeded.volunteer_2_openid);
  const second = session(seeded.volunteer_openid);
  const shiftId = seeded.later_shift_id;

  const taken = await first.act(({ vol: v }) => v.api.signUp(shiftId));
  expect(taken.status).toBe('confirmed');
  const waiting = await second.act(({ vol: v }) => v.api.signUp(shiftId));
  expect(waiting).toEqual(expect.objectContaining({ status: 'waitlisted', position: 1 }));

  const seen = await second.act(({ vol: v }) => v.api.activity(seeded.later_activity_id));
  expect(seen.shifts[0]).toEqual(expect.objectContaining({ status: 'waitlist', places_left: 0, waitlist_length: 1 }));
  expect(second.vol.shiftAction(seen.shifts[0])).toEqual(expect.objectContaining({ key: 'waitlisted', badge: '候补第 1 位', label: '取消候补' }));
  const mine = await second.act(({ vol: v }) => v.api.mySignups());
  expect(second.vol.signupStatusText(mine.find((s) => s.id === waiting.id))).toBe('候补第 1 位');

  const cancelled = await first.act(({ vol: v }) => v.api.cancelSignup(taken.id));
  expect(cancelled).toEqual(expect.objectContaining({ status: 'cancelled', cancel_kind: 'self' }));
  const promoted = await second.act(({ vol: v }) => v.api.activity(seeded.later_activity_id));
  expect(promoted.shifts[0].my_signup).toEqual({ id: waiting.id, status: 'confirmed', position: null });
});

test('a full shift without a waitlist refuses with shift_full and the server\'s message', async () => {
  const first = session(seeded.volunteer_2_openid);
  const second = session(seeded.volunteer_openid);
  await first.act(({ vol: v }) => v.api.signUp(seeded.full_shift_id));
  const detail = await second.act(({ vol: v }) => v.api.activity(seeded.full_activity_id));
  expect(second.vol.shiftAction(detail.shifts[0])).toEqual(expect.objectContaining({ key: 'full', label: '已报满', disabled: true }));

  const error = await second.act(({ vol: v }) => v.api.signUp(seeded.full_shift_id)).catch((e) => e);
  expect(error).toEqual(expect.objectContaining({ status: 409, reason: 'shift_full' }));
  expect(error.message).toMatch(/[\u4e00-\u9fa5]/);
  expect(second.wx.toasts).toEqual([{ title: error.message, icon: 'none' }]);
});

test('check-in refusals reach the page as readable errors: not signed up, too far away', async () => {
  const organiser = session(seeded.organiser_openid);
  const stranger = session(seeded.volunteer_2_openid);
  const { code } = await currentCode(organiser, seeded.soon_shift_id);

  const notMine = await scanAndCheckIn(stranger, code, null).catch((e) => e);
  expect(notMine).toEqual(expect.objectContaining({ status: 409, reason: 'not_signed_up' }));
  expect(stranger.wx.toasts).toEqual([]); // check-in is silent: the page shows the message itself

  // The veteran is signed up to the running shift but stands 6 km away.
  const veteran = session(seeded.veteran_openid);
  veteran.wx.location = FAR_AWAY;
  const running = await currentCode(organiser, seeded.running_shift_id);
  const tooFar = await scanAndCheckIn(veteran, running.code, seeded.running_shift_id).catch((e) => e);
  expect(tooFar).toEqual(expect.objectContaining({ status: 409, reason: 'too_far' }));
  expect(tooFar.message).toMatch(/公里/);

  // Scanning the wrong shift's code is named as such.
  const wrong = await scanAndCheckIn(veteran, code, seeded.running_shift_id).catch((e) => e);
  expect(wrong).toEqual(expect.objectContaining({ status: 409, reason: 'wrong_shift' }));

  // A cancelled scan sends nothing.
  const cancelled = await veteran.act(({ vol: v }) => v.scanCheckinCode());
  expect(cancelled).toBeNull();
});

test('checking out after an hour credits hours and points; the organiser\'s roster shows it', async () => {
  const organiser = session(seeded.organiser_openid);
  const veteran = session(seeded.veteran_openid); // checked in 65 minutes ago; shares no location
  const { code } = await currentCode(organiser, seeded.running_shift_id);
  const out = await scanAndCheckIn(veteran, code, seeded.running_shift_id);
  expect(out.action).toBe('checked_out');
  // 65 minutes clipped to the shift (started 70 minutes ago) = 1.1 h; 10 points an hour, rounded.
  expect(out.attendance).toEqual(expect.objectContaining({ hours: 1.1, points: 11 }));
  expect(callsTo(veteran.wx, '/api/v1/checkins')[0].data).toEqual({ code, lat: null, lng: null, shift_id: seeded.running_shift_id });

  const summary = await veteran.act(({ vol: v }) => v.api.myVolunteering());
  expect(summary).toEqual(expect.objectContaining({ credited_hours: 1.1, points_balance: 11, points_earned: 11 }));
  expect(veteran.vol.nextStarText(summary.next_star)).toBe('再服务 98.9 小时可成为 1 星志愿者');

  const roster = await organiser.act(({ vol: v }) => v.api.roster(seeded.running_shift_id));
  const row = roster.find((r) => r.volunteer.nickname === '老志愿者');
  expect(row).toEqual(expect.objectContaining({ status: 'confirmed', no_show: false }));
  expect(organiser.vol.attendanceText(row.attendance)).toMatch(/^已签退 \d\d:\d\d · 1\.1 小时 · 11 积分$/);
});

test('the organiser checks a volunteer in and out by hand, recorded as manual', async () => {
  const organiser = session(seeded.organiser_openid);
  const volunteer = session(seeded.volunteer_2_openid);
  const signup = await volunteer.act(({ vol: v }) => v.api.signUp(seeded.running_shift_id));

  const checkedIn = await organiser.act(({ vol: v }) => v.api.manualCheckIn(signup.id));
  expect(checkedIn).toEqual(expect.objectContaining({ signup_id: signup.id, checkin_method: 'manual', closed_at: null }));
  expect(organiser.vol.attendanceText(checkedIn)).toMatch(/^已签到 \d\d:\d\d · 组织者代签到$/);
  const checkedOut = await organiser.act(({ vol: v }) => v.api.manualCheckOut(signup.id));
  expect(checkedOut).toEqual(expect.objectContaining({ checkout_method: 'manual', closed_at: expect.any(String) }));

  // A volunteer cannot fetch the check-in code: that is the organiser's.
  const refused = await volunteer.act(({ vol: v }) => v.api.checkinCode(seeded.running_shift_id)).catch((e) => e);
  expect(refused.status).toBe(403);
});

test('a shift with a minimum age asks for the birth date; the organiser moves it and the volunteer is told', async () => {
  const organiser = session(seeded.organiser_openid);
  const volunteer = session(seeded.volunteer_2_openid);
  const refused = await volunteer.act(({ vol: v }) => v.api.signUp(seeded.aged_shift_id)).catch((e) => e);
  expect(refused).toEqual(expect.objectContaining({ status: 409, reason: 'birth_date_required' }));
  expect(refused.message).toBe('该班次要求年满 18 周岁，请先在「我的」页面填写出生日期');
  const me = await volunteer.act(({ request }) => request.patch('/api/v1/me', { birth_date: '2000-01-01' }));
  expect(me.birth_date).toBe('2000-01-01');
  expect((await volunteer.act(({ vol: v }) => v.api.signUp(seeded.aged_shift_id))).status).toBe('confirmed');

  // As the editing page sends it: the pickers' local date and time, a day later, and a new place.
  const { pickerParts, isoFromPicker } = require('../utils/format');
  const [shift] = (await organiser.act(({ vol: v }) => v.api.activity(seeded.aged_activity_id))).shifts;
  const start = pickerParts(new Date(new Date(shift.starts_at).getTime() + 24 * 3600 * 1000));
  const end = pickerParts(new Date(new Date(shift.ends_at).getTime() + 24 * 3600 * 1000));
  const changes = { starts_at: isoFromPicker(start.date, start.time), ends_at: isoFromPicker(end.date, end.time),
    place: '社区活动中心' };
  const moved = await organiser.act(({ vol: v }) => v.api.updateShift(seeded.aged_shift_id, changes));
  expect(new Date(moved.shifts[0].starts_at).getTime()).toBe(new Date(changes.starts_at).getTime());
  expect(moved.shifts[0]).toEqual(expect.objectContaining({ place: '社区活动中心', confirmed: 1 }));

  const inbox = await volunteer.act(({ request }) => request.get('/api/v1/notifications'));
  const told = inbox.filter((n) => n.kind === 'volunteer_shift_changed');
  expect(told).toHaveLength(1);
  expect(told[0].body).toContain('「夜间巡逻」调整为');
  expect(told[0].link).toBe(`pages/volunteer/activity/activity?id=${seeded.aged_activity_id}`);
});
