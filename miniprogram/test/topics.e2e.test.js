/**
 * @jest-environment node
 *
 * 协商议事 end to end: propose (resident) → approve (committee) → support → discuss → open voting
 * (committee) → vote (residents, receipts, a second vote refused) → close (committee) → results →
 * response, through utils/topics.js and the UNMODIFIED utils/request.js against the REAL Flask app
 * (`python -m backend.testserver --seed tests.deliberations.e2e_seed:seed`).
 *
 * The seed sets the community's support threshold to one and lets this server accept a voting window
 * of seconds instead of ten minutes, so the vote can close within the test. The tests run in order
 * and share the topic.
 */
const crypto = require('crypto');
const { startBackend } = require('./support/backend-server');
const { loadTopicsSession } = require('./support/topics-shim');

const VOTING_SECONDS = 5;
const RECEIPT_PATTERN = /^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/;

jest.setTimeout(30000);

let server;
let seeded;
const people = {};

beforeAll(async () => {
  server = await startBackend({ seeds: ['tests.deliberations.e2e_seed:seed'] });
  seeded = server.seeded.topics;
  const session = (openid) => loadTopicsSession({ apiBase: server.url, openid });
  people.proposer = session(seeded.proposer_openid);
  people.committee = session(seeded.committee_openid);
  people.neighbours = seeded.neighbour_openids.map(session);
  people.unverified = session(seeded.unverified_openid);
}, 40000);
afterAll(async () => {
  if (server) await server.stop();
});

/**
 * Run `fn(topics, session)` as `who` (`topics` is utils/topics.js, `session.request` utils/request.js). request.js uses the global `wx` (its storage holds the
 * tokens), so one person's calls finish before the next person's start.
 */
async function as(who, fn) {
  who.use();
  return fn(who.topics, who);
}
const failure = (promise) => promise.then(() => { throw new Error('expected a refusal'); }, (error) => error);
const sha256 = (text) => crypto.createHash('sha256').update(text).digest('hex');

let topicId;
let options; // {赞成: id, 反对: id, 弃权: id}
let closesAt;

test('a verified resident proposes a topic; it waits for review, unseen by neighbours', async () => {
  const proposed = await as(people.proposer, ({ api }) => api.propose({
    title: '在 3 幢旁新建非机动车棚', body: '3 幢与 4 幢之间的空地闲置，建议新建非机动车棚，解决电动车乱停问题。',
    photo_ids: [], grid_ids: [], buildings: [],
  }));
  expect(proposed).toEqual(expect.objectContaining({ phase: 'pending_review', origin: 'resident', screening: 'pass' }));
  expect(proposed.viewer.is_proposer).toBe(true);
  topicId = proposed.id;

  const visible = await as(people.neighbours[0], ({ api }) => api.list({ phase: 'discussion' }));
  expect(visible.map((t) => t.id)).not.toContain(topicId);

  const refusal = await as(people.unverified, ({ api }) => failure(api.propose({ title: '加装充电桩', body: '建议在车棚加装充电桩。' })));
  expect(refusal.status).toBe(403);
  expect(refusal.reason).toBe('not_verified');
  expect(people.unverified.wx.toasts).toEqual([{ title: refusal.message, icon: 'none' }]);
});

test('the committee finds it in the review queue and approves it into discussion', async () => {
  const approved = await as(people.committee, async ({ api }) => {
    const queue = await api.list({ phase: 'pending_review' });
    expect(queue.map((t) => t.id)).toContain(topicId);
    return api.approve(topicId);
  });
  expect(approved.phase).toBe('discussion');
  expect(approved.support_threshold).toBe(seeded.support_threshold);
  expect(approved.viewer.can_manage).toBe(true);

  const again = await as(people.committee, ({ api }) => failure(api.approve(topicId)));
  expect(again.status).toBe(409);
  expect(again.reason).toBe('invalid_transition');
});

test('a neighbour supports it (附议): at the threshold it goes on the agenda; nobody supports twice', async () => {
  const supported = await as(people.neighbours[0], ({ api }) => api.support(topicId));
  expect(supported).toEqual(expect.objectContaining({ support_count: 1, on_agenda: true }));
  expect(supported.viewer).toEqual(expect.objectContaining({ supported: true, can_support: false }));

  const twice = await as(people.neighbours[0], ({ api }) => failure(api.support(topicId)));
  expect([twice.status, twice.reason]).toEqual([409, 'already_supported']);
  const own = await as(people.proposer, ({ api }) => failure(api.support(topicId)));
  expect([own.status, own.reason]).toEqual([409, 'own_topic']);
});

test('the discussion: a stance, a reply, a report that reaches the moderation queue', async () => {
  const opinion = await as(people.neighbours[1], ({ api }) => api.comment(topicId, { body: '车棚会挡住一楼的采光，我反对。', stance: 'against' }));
  expect(opinion).toEqual(expect.objectContaining({ status: 'visible', stance: 'against', parent_id: null }));
  const reply = await as(people.neighbours[2], ({ api }) => api.comment(topicId, { body: '可以建在北侧，不挡光。', stance: 'for', parentId: opinion.id }));
  expect(reply.parent_id).toBe(opinion.id);

  const threads = await as(people.proposer, ({ api }) => api.comments(topicId, 1));
  expect(threads).toEqual([expect.objectContaining({
    id: opinion.id, stance: 'against', replies: [expect.objectContaining({ id: reply.id, body: '可以建在北侧，不挡光。' })],
  })]);

  const reported = await as(people.neighbours[0], ({ api }) => api.report(reply.id, 'off_topic'));
  expect(reported.id).toBe(reply.id);
  const queue = await as(people.committee, ({ api }) => api.moderationQueue(1));
  expect(queue).toEqual([expect.objectContaining({
    comment: expect.objectContaining({ id: reply.id, report_count: 1 }), reports: { off_topic: 1 },
  })]);
});

test('the committee opens voting from its form, counts hidden until the close', async () => {
  const opened = await as(people.committee, ({ api, openVotingRequest }) => {
    const { body, error } = openVotingRequest({
      type: 'yes_no_abstain', options: [], maxChoices: 1, per: 'person', quorumPercent: '50', passRule: 'majority_cast',
      hideCounts: true, scheduled: false, closesDate: '2099-12-31', closesTime: '23:59',
    }, new Date());
    expect(error).toBeUndefined();
    body.closes_at = new Date(Date.now() + VOTING_SECONDS * 1000).toISOString(); // the seed allows seconds
    return api.openVoting(topicId, body);
  });
  expect(opened.phase).toBe('voting');
  expect(opened.ballot).toEqual(expect.objectContaining({
    fixed: true, hide_counts_until_close: true, counts_visible: false, quorum_percent: 50, eligible: 4,
  }));
  expect(opened.ballot.options.map((o) => [o.label, o.count])).toEqual([['赞成', null], ['反对', null], ['弃权', null]]);
  options = Object.fromEntries(opened.ballot.options.map((o) => [o.label, o.id]));
  closesAt = new Date(opened.ballot.closes_at).getTime();
});

test('residents vote and keep their receipts; a second vote is refused with a toast', async () => {
  const votes = [[people.neighbours[0], '赞成'], [people.neighbours[1], '反对'], [people.neighbours[2], '赞成']];
  for (const [who, label] of votes) {
    const { receipt } = await as(who, async ({ api, saveReceipt }) => {
      const issued = await api.castBallot(topicId, [options[label]]);
      saveReceipt({ topicId, title: '在 3 幢旁新建非机动车棚', receipt: issued.receipt, choices: [label] });
      return issued;
    });
    expect(receipt).toMatch(RECEIPT_PATTERN);
    expect(who.wx.getStorageSync('topic_receipts')).toEqual([expect.objectContaining({ topic_id: topicId, receipt, choices: [label] })]);
  }

  const second = await as(people.neighbours[0], ({ api }) => failure(api.castBallot(topicId, [options['反对']])));
  expect([second.status, second.reason]).toEqual([409, 'already_voted']);
  expect(people.neighbours[0].wx.toasts).toContainEqual({ title: second.message, icon: 'none' });
  expect(second.message).toMatch(/已经投过票/);

  // Two ballots at once from one voter (a double tap that got past the page): exactly one counts.
  const both = await as(people.proposer, ({ api }) => Promise.allSettled([
    api.castBallot(topicId, [options['赞成']]), api.castBallot(topicId, [options['赞成']])]));
  expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(both.find((r) => r.status === 'rejected').reason.reason).toBe('already_voted');

  const unverified = await as(people.unverified, ({ api }) => failure(api.castBallot(topicId, [options['赞成']])));
  expect([unverified.status, unverified.reason]).toEqual([403, 'not_verified']);
});

test('while voting, counts stay hidden; a receipt shows the ballot is counted', async () => {
  const live = await as(people.neighbours[1], ({ api }) => api.results(topicId));
  expect(live).toEqual(expect.objectContaining({ final: false, counts_hidden: true, outcome: null, chain_hash: null }));
  expect(live.options.map((o) => o.count)).toEqual([null, null, null]);

  const check = await as(people.neighbours[1], ({ listReceipts, verifyReceipt }) => verifyReceipt(listReceipts()[0]));
  expect(check).toEqual({ ok: true, text: '已计入（投票进行中），内容与本机记录一致', choices: '反对' });
});

test('after the closing time the committee closes the vote; the results are published and checkable', async () => {
  await new Promise((resolve) => { setTimeout(resolve, Math.max(0, closesAt - Date.now()) + 300); });
  const closed = await as(people.committee, ({ api }) => api.close(topicId));
  expect(closed.phase).toBe('closed');
  expect(closed.response).toEqual(expect.objectContaining({ text: null, overdue: false }));

  const results = await as(people.neighbours[0], ({ api }) => api.results(topicId));
  expect(results).toEqual(expect.objectContaining({
    final: true, counts_hidden: false, eligible: 4, cast: 4, turnout_percent: 100, quorum_met: true, outcome: 'passed',
    ballots_counted: 4,
  }));
  expect(results.options.map((o) => [o.label, o.count, o.percent, o.winner])).toEqual([
    ['赞成', 3, 75, true], ['反对', 1, 25, false], ['弃权', 0, 0, false]]);
  expect(results.chain_hash).toMatch(/^[0-9a-f]{64}$/);

  // Anyone can recompute the published chain; each voter finds their receipt's hash in it.
  const published = await as(people.neighbours[0], (_, { request }) => request.get(`/api/v1/topics/${topicId}/ballots`, { page_size: 100 }));
  let link = sha256(`linli-ballots:v1:${topicId}`);
  for (const ballot of published) {
    link = sha256(`${link}|${ballot.receipt_hash}|${ballot.option_ids.join(',')}`);
    expect(ballot.chain_hash).toBe(link);
  }
  expect(published).toHaveLength(4);
  expect(link).toBe(results.chain_hash);

  const check = await as(people.neighbours[0], async ({ api, listReceipts, verifyReceipt }) => {
    const stored = listReceipts()[0];
    const raw = await api.checkReceipt(topicId, stored.receipt);
    expect(published.map((b) => b.receipt_hash)).toContain(raw.receipt_hash);
    return verifyReceipt(stored);
  });
  expect(check).toEqual({ ok: true, text: '已计入最终计票，内容与本机记录一致', choices: '赞成' });
});

test('the committee publishes its response once; residents see it on the topic', async () => {
  const responded = await as(people.committee, ({ api }) => api.respond(topicId, '表决通过。社区将于下月在 3 幢北侧动工新建车棚。'));
  expect(responded.response).toEqual(expect.objectContaining({ text: '表决通过。社区将于下月在 3 幢北侧动工新建车棚。' }));
  const again = await as(people.committee, ({ api }) => failure(api.respond(topicId, '再次发布')));
  expect([again.status, again.reason]).toEqual([409, 'invalid_transition']);

  const seen = await as(people.proposer, ({ api }) => api.topic(topicId));
  expect(seen).toEqual(expect.objectContaining({ phase: 'closed', outcome: 'passed' }));
  expect(seen.response.text).toMatch(/动工新建车棚/);
  expect(seen.viewer).toEqual(expect.objectContaining({ voted: true, can_vote: false, vote_refusal: 'voting_closed' }));
});
