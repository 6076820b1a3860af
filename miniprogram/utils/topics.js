/**
 * 协商议事 — topics, discussion and secret ballots: the API calls the pages make (through the one
 * request module), the words shown for the backend's codes, and the receipts kept on this phone.
 *
 * Receipts live only in local storage: the server never links a voter to a ballot, so a lost
 * receipt cannot be recovered from it.
 */
const { get, post, upload } = require('./request');
const { pickerParts, isoFromPicker } = require('./format');

const RECEIPTS_KEY = 'topic_receipts';
const MAX_RECEIPTS = 200;

const PHASES = {
  pending_review: { label: '待审核', theme: 'warning' },
  discussion: { label: '讨论中', theme: 'primary' },
  voting: { label: '投票中', theme: 'success' },
  closed: { label: '已结束', theme: 'default' },
  rejected: { label: '未通过审核', theme: 'danger' },
  withdrawn: { label: '已撤回', theme: 'default' },
};

const STANCES = [
  { value: 'for', label: '支持' },
  { value: 'against', label: '反对' },
  { value: 'neutral', label: '中立' },
];

const REPORT_REASONS = [
  { value: 'spam', label: '垃圾广告' },
  { value: 'abuse', label: '辱骂攻击' },
  { value: 'off_topic', label: '与议题无关' },
  { value: 'privacy', label: '泄露隐私' },
];

const BALLOT_TYPES = [
  { value: 'yes_no_abstain', label: '赞成 / 反对 / 弃权' },
  { value: 'single', label: '单选' },
  { value: 'multiple', label: '多选' },
];

const PASS_RULES = [
  { value: 'majority_cast', label: '过半数通过（按实际投票数）' },
  { value: 'two_thirds_cast', label: '三分之二通过（按实际投票数）' },
  { value: 'majority_eligible', label: '过半数通过（按应投票人数）' },
];

const VOTE_UNITS = [
  { value: 'person', label: '一人一票' },
  { value: 'household', label: '一户一票（户代表）' },
];

const OUTCOMES = {
  passed: { label: '通过', theme: 'success' },
  rejected: { label: '未通过', theme: 'danger' },
  no_quorum: { label: '未达到法定投票人数', theme: 'warning' },
};

const MODERATION_ACTIONS = {
  hide: '隐藏',
  restore: '恢复显示',
  lock: '锁定讨论串',
  unlock: '解除锁定',
  pin: '置顶',
  unpin: '取消置顶',
};

// Subscribe messages a resident is asked to allow (inside the tap, as WeChat requires; three at most):
// a supporter hears when voting opens and when it ends, a commenter when someone replies, a proposer
// how the review went and when voting opens.
const CONSENT_KINDS = {
  support: ['voting_opened', 'topic_closed'],
  comment: ['comment_replied'],
  propose: ['topic_approved', 'topic_rejected', 'voting_opened'],
};

/** Why the viewer cannot vote or support, in words (the backend's `reason` codes). */
const REFUSALS = {
  already_voted: '您已投票，每人只能投一次',
  household_already_voted: '您家已有成员投票（按户投票，每户一票）',
  voting_closed: '投票已结束',
  voting_not_open: '投票尚未开始',
  not_verified: '认证居民才能参与，请先在“我的”页面用邀请码加入家庭',
  not_eligible: '您的住址不在本议题的范围内',
  already_supported: '您已附议',
  own_topic: '不能附议自己发起的议题',
  invalid_transition: '当前阶段不能附议',
};

// WeChat's image check of a topic's photos. Only the uploader and the topic's managers receive a photo
// that has not passed (a risky one, the managers only), so the label is all the page adds.
const PHOTO_SCREENING = {
  pending: { label: '审核中', theme: 'warning' },
  review: { label: '待人工审核', theme: 'warning' },
  risky: { label: '未通过审核（仅管理员可见）', theme: 'danger' },
};
const DECIDABLE_SCREENING = ['pending', 'review'];

/** A manager's decision on a held photo: the question asked first, and the toast after. */
const PHOTO_DECISIONS = {
  pass: {
    title: '通过这张照片', content: '通过后，能看到本议题的居民都能看到这张照片。', confirmText: '通过', done: '照片已通过',
  },
  risky: {
    title: '不予展示', content: '这张照片将不向居民展示，上传人会收到通知。确定吗？', confirmText: '不予展示',
    confirmColor: '#d54941', done: '已设为不予展示',
  },
};

const labelOf = (list, value) => (list.find((item) => item.value === value) || {}).label || '';

function pad(n) {
  return n < 10 ? `0${n}` : String(n);
}

/** An ISO time as '2026-11-29 13:35' in the phone's time zone; '' for none. */
function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function phaseOf(phase) {
  return PHASES[phase] || { label: phase || '', theme: 'default' };
}

/** A topic summary (or detail) with the words and flags its card shows. */
function describeTopic(topic) {
  const phase = phaseOf(topic.phase);
  const outcome = topic.outcome ? OUTCOMES[topic.outcome] : null;
  const threshold = topic.support_threshold || 0;
  return {
    id: topic.id,
    title: topic.title,
    phase: topic.phase,
    phaseLabel: phase.label,
    phaseTheme: phase.theme,
    onAgenda: !!topic.on_agenda,
    supportText: topic.phase === 'discussion' && threshold ? `已附议 ${topic.support_count} / ${threshold}` : '',
    supportPercent: threshold ? Math.min(100, Math.round((topic.support_count * 100) / threshold)) : 0,
    closesText: topic.phase === 'voting' && topic.closes_at ? `${formatTime(topic.closes_at)} 截止` : '',
    outcomeLabel: outcome ? outcome.label : '',
    outcomeTheme: outcome ? outcome.theme : 'default',
    responseOverdue: !!topic.response_overdue,
    createdText: formatTime(topic.created_at),
  };
}

/**
 * The choices after tapping `optionId`: single-choice ballots replace, multiple-choice ones toggle.
 * Returns null when the tap would go over `maxChoices`.
 */
function toggleChoice(selected, optionId, maxChoices) {
  if (selected.indexOf(optionId) !== -1) return selected.filter((id) => id !== optionId);
  if (!maxChoices || maxChoices <= 1) return [optionId];
  if (selected.length >= maxChoices) return null;
  return selected.concat(optionId);
}

/** Result rows for the bars: counts and widths, or nothing to show while counts are hidden. */
function resultRows(options, countsHidden) {
  return (options || []).map((option) => {
    const hidden = countsHidden || option.count === null || option.count === undefined;
    const percent = hidden ? 0 : Number(option.percent || 0);
    return {
      id: option.id,
      label: option.label,
      winner: !!option.winner,
      hidden,
      countText: hidden ? '' : `${option.count} 票`,
      percentText: hidden ? '' : `${percent}%`,
      width: `${Math.max(0, Math.min(100, percent))}%`,
    };
  });
}

/** The words of a results answer (or a topic's `result`): outcome, turnout, quorum, rule, unit. */
function describeResults(results) {
  const outcome = results.outcome ? OUTCOMES[results.outcome] : null;
  const turnout = results.turnout_percent;
  let quorumText = results.quorum_percent ? `法定投票率 ${results.quorum_percent}%` : '不设法定投票率';
  if (results.quorum_met === true) quorumText += '，已达到';
  if (results.quorum_met === false) quorumText += '，未达到';
  return {
    final: !!results.final,
    countsHidden: !!results.counts_hidden,
    outcomeLabel: outcome ? outcome.label : '',
    outcomeTheme: outcome ? outcome.theme : 'default',
    turnoutText: turnout === null || turnout === undefined
      ? '' : `${turnout}%（${results.cast} / ${results.eligible}${results.per === 'household' ? ' 户' : ' 人'}）`,
    quorumText,
    passRuleText: labelOf(PASS_RULES, results.pass_rule),
    unitText: labelOf(VOTE_UNITS, results.per),
    chainHash: results.chain_hash || '',
    ballotsCounted: results.ballots_counted,
    talliedText: formatTime(results.tallied_at),
    closesText: formatTime(results.closes_at),
  };
}

/**
 * The body of POST /topics/{id}/open-voting from the committee's form, or {error} saying what to fix.
 * form: {type, options: [labels], maxChoices, per, quorumPercent, passRule, hideCounts,
 *        scheduled, opensDate, opensTime, closesDate, closesTime}
 */
function openVotingRequest(form, now) {
  const options = form.type === 'yes_no_abstain' ? [] : form.options.map((o) => (o || '').trim());
  if (form.type !== 'yes_no_abstain') {
    if (options.length < 2 || options.some((o) => !o)) return { error: '请填写至少两个选项，且不能留空' };
    if (options.some((o) => o.length > 60)) return { error: '每个选项不超过 60 个字' };
    if (new Set(options).size !== options.length) return { error: '选项不能重复' };
  }
  const maxChoices = form.type === 'multiple' ? Number(form.maxChoices) : 1;
  if (form.type === 'multiple' && !(maxChoices >= 1 && maxChoices <= options.length)) {
    return { error: '最多可选项数应在 1 到选项数之间' };
  }
  const quorum = Number(form.quorumPercent || 0);
  if (!Number.isInteger(quorum) || quorum < 0 || quorum > 100) return { error: '法定投票率应为 0 到 100 的整数' };
  const closesAt = isoFromPicker(form.closesDate, form.closesTime);
  const opensAt = form.scheduled ? isoFromPicker(form.opensDate, form.opensTime) : null;
  if (!closesAt) return { error: '请选择投票截止时间' };
  if (form.scheduled && !opensAt) return { error: '请选择投票开始时间' };
  const start = opensAt ? new Date(opensAt) : (now || new Date());
  if (new Date(closesAt) <= start) return { error: '截止时间应晚于开始时间' };
  return {
    body: {
      closes_at: closesAt,
      opens_at: opensAt,
      ballot: {
        type: form.type,
        options,
        max_choices: maxChoices,
        per: form.per,
        quorum_percent: quorum,
        pass_rule: form.passRule,
        hide_counts_until_close: !!form.hideCounts,
      },
    },
  };
}

/** The committee's response (处理结果), or when it is due: {text, respondedText, dueText, overdue}. */
function describeResponse(response) {
  if (!response) return null;
  return {
    text: response.text || '',
    respondedText: formatTime(response.responded_at),
    dueText: formatTime(response.due_at),
    overdue: !!response.overdue,
  };
}

/**
 * The label of a photo the image check has not passed, or null for a passed one:
 * {label, theme, decidable} — `decidable` when a manager may still pass or reject it.
 */
function photoScreening(photo, canManage) {
  const state = PHOTO_SCREENING[photo.screening];
  if (!state) return null; // pass (or a server without the check)
  return Object.assign({ decidable: !!canManage && DECIDABLE_SCREENING.indexOf(photo.screening) !== -1 }, state);
}

/** What the viewer is told under photos with labels: why residents do not see them yet. */
function heldPhotosHint(photos, canManage) {
  if (!(photos || []).some((photo) => PHOTO_SCREENING[photo.screening])) return '';
  return canManage ? '带标记的照片居民暂时看不到，审核通过后才会展示' : '带标记的照片审核通过后邻居才能看到';
}

/** Community ids where this person (GET /me) is on the committee, which may create topics directly. */
function committeeCommunityIds(me) {
  return ((me && me.roles) || []).filter((r) => r.role === 'committee').map((r) => r.scope_id);
}

/** Whether this person manages topics anywhere (committee, street or district admin). */
function managesTopics(me) {
  return ((me && me.roles) || []).some((r) => ['committee', 'street_admin', 'district_admin'].indexOf(r.role) !== -1);
}

/** Ask before an action that cannot be undone; resolves true when confirmed. */
function confirmAction({ title, content, confirmText, confirmColor }) {
  return new Promise((resolve) => {
    wx.showModal({
      title, content, confirmText, confirmColor, success: (res) => resolve(!!res.confirm), fail: () => resolve(false),
    });
  });
}

// --- receipts on this phone -------------------------------------------------------------------------

function listReceipts() {
  const stored = wx.getStorageSync(RECEIPTS_KEY);
  return Array.isArray(stored) ? stored : [];
}

/** Keep a receipt (newest first); `choices` are the option labels the voter chose. */
function saveReceipt({ topicId, title, receipt, choices }) {
  const kept = listReceipts().filter((r) => r.receipt !== receipt);
  kept.unshift({ topic_id: topicId, title, receipt, choices: choices || [], cast_at: new Date().toISOString() });
  wx.setStorageSync(RECEIPTS_KEY, kept.slice(0, MAX_RECEIPTS));
  return kept[0];
}

function receiptsFor(topicId) {
  return listReceipts().filter((r) => r.topic_id === topicId);
}

function forgetReceipt(receipt) {
  wx.setStorageSync(RECEIPTS_KEY, listReceipts().filter((r) => r.receipt !== receipt));
}

/** Whether the server's answer for a receipt has the same choices this phone remembers. */
function sameChoices(check, stored) {
  const server = (check.choices || []).map((c) => c.label).sort();
  const local = (stored.choices || []).slice().sort();
  return server.length === local.length && server.every((label, i) => label === local[i]);
}

/**
 * Ask the server about a stored receipt: {ok, text, choices}. `ok` is false when the ballot it
 * holds differs from what this phone remembers choosing. A receipt it does not know rejects (404).
 */
function verifyReceipt(stored) {
  return api.checkReceipt(stored.topic_id, stored.receipt).then((check) => {
    const known = (stored.choices || []).length > 0;
    const ok = !known || sameChoices(check, stored);
    let text = check.final ? '已计入最终计票' : '已计入（投票进行中）';
    if (known) text += ok ? '，内容与本机记录一致' : '，但内容与本机记录不一致，请联系社区';
    return { ok, text, choices: (check.choices || []).map((c) => c.label).join('、') };
  });
}

// --- API ----------------------------------------------------------------------------------------------

const PAGE_SIZE = 20;

const api = {
  list: (params, options) => get('/api/v1/topics', Object.assign({ page_size: PAGE_SIZE }, params), options),
  topic: (id, options) => get(`/api/v1/topics/${id}`, undefined, options),
  propose: (data) => post('/api/v1/topics', data),
  support: (id) => post(`/api/v1/topics/${id}/support`),
  withdraw: (id) => post(`/api/v1/topics/${id}/withdraw`),
  comments: (id, page, options) => get(`/api/v1/topics/${id}/comments`, { page, page_size: PAGE_SIZE }, options),
  comment: (id, { body, stance, parentId }) => post(`/api/v1/topics/${id}/comments`,
    { body, stance: stance || null, parent_id: parentId || null }),
  report: (commentId, reason) => post(`/api/v1/comments/${commentId}/report`, { reason }),
  castBallot: (id, optionIds) => post(`/api/v1/topics/${id}/ballots`, { option_ids: optionIds }),
  results: (id, options) => get(`/api/v1/topics/${id}/results`, undefined, options),
  checkReceipt: (id, receipt) => get(`/api/v1/topics/${id}/receipts/${encodeURIComponent(receipt)}`),
  uploadPhoto: (filePath) => upload('/api/v1/uploads', filePath),
  // managers: pass or reject a photo the image check held → {id, screening}
  decidePhoto: (mediaId, decision, options) => post(`/api/v1/media/${mediaId}/screening`, { decision }, options),
  // committee
  approve: (id) => post(`/api/v1/topics/${id}/approve`, {}),
  reject: (id, reason) => post(`/api/v1/topics/${id}/reject`, { reason }),
  openVoting: (id, body) => post(`/api/v1/topics/${id}/open-voting`, body),
  close: (id) => post(`/api/v1/topics/${id}/close`),
  respond: (id, response) => post(`/api/v1/topics/${id}/respond`, { response }),
  moderationQueue: (page, options) => get('/api/v1/moderation/queue', { page, page_size: PAGE_SIZE }, options),
  moderate: (commentId, action, reason) => post(`/api/v1/comments/${commentId}/${action}`, { reason }),
};

module.exports = {
  api,
  PHASES,
  STANCES,
  REPORT_REASONS,
  BALLOT_TYPES,
  PASS_RULES,
  VOTE_UNITS,
  OUTCOMES,
  MODERATION_ACTIONS,
  PHOTO_SCREENING,
  PHOTO_DECISIONS,
  REFUSALS,
  CONSENT_KINDS,
  RECEIPTS_KEY,
  labelOf,
  formatTime,
  pickerParts,
  isoFromPicker,
  phaseOf,
  describeTopic,
  toggleChoice,
  resultRows,
  describeResults,
  describeResponse,
  photoScreening,
  heldPhotosHint,
  openVotingRequest,
  committeeCommunityIds,
  managesTopics,
  confirmAction,
  listReceipts,
  saveReceipt,
  receiptsFor,
  forgetReceipt,
  sameChoices,
  verifyReceipt,
};
