/**
 * Topic — 议题详情 (`pages/topics/detail/detail?id=`, the page notifications open): the proposal,
 * supports (附议), the vote and its result, the committee's response, and the discussion with
 * stances, one level of replies, reports (举报) and, for the committee, moderation. Photos the image
 * check has not passed carry a label; a manager passes them or keeps them from residents here.
 */
const { download } = require('../../../utils/request');
const { askConsent, loadTemplates } = require('../../../utils/consent');
const {
  api, confirmAction, describeResults, describeResponse, describeTopic, formatTime, heldPhotosHint, labelOf, photoScreening,
  receiptsFor, CONSENT_KINDS, MODERATION_ACTIONS, REFUSALS, REPORT_REASONS, VOTE_UNITS,
} = require('../../../utils/topics');
const pagedList = require('../../../behaviors/paged-list');
const photoDecisions = require('../../../behaviors/photo-decisions');

const COMMENTABLE = ['discussion', 'voting'];

function describe(topic) {
  const card = describeTopic(topic);
  const viewer = topic.viewer || {};
  const ballot = topic.ballot;
  const fixed = !!(ballot && ballot.fixed);
  let scope = '全社区';
  if (topic.scope && !topic.scope.whole_community) {
    const buildings = topic.scope.buildings.length;
    scope = buildings ? `部分楼栋（${buildings} 个）` : `部分网格（${topic.scope.grid_ids.length} 个）`;
  }
  return {
    phase: topic.phase,
    phaseLabel: card.phaseLabel,
    phaseTheme: card.phaseTheme,
    title: topic.title,
    body: topic.body,
    community: topic.community_name,
    proposer: topic.origin === 'committee' ? '社区两委' : (topic.proposer && topic.proposer.nickname) || '居民',
    created: card.createdText,
    scope,
    onAgenda: card.onAgenda,
    pendingReview: topic.phase === 'pending_review',
    rejectionReason: topic.phase === 'rejected' ? topic.rejection_reason || '' : '',
    support: topic.phase === 'discussion' && !fixed ? {
      count: topic.support_count,
      threshold: topic.support_threshold || 0,
      percent: card.supportPercent,
      can: !!viewer.can_support,
      supported: !!viewer.supported,
      refusal: viewer.can_support ? '' : REFUSALS[viewer.support_refusal] || '',
    } : null,
    vote: fixed && ['discussion', 'voting'].indexOf(topic.phase) !== -1 ? {
      scheduled: topic.phase === 'discussion',
      opens: formatTime(ballot.opens_at),
      closes: formatTime(ballot.closes_at),
      unit: labelOf(VOTE_UNITS, ballot.per),
      can: !!viewer.can_vote,
      voted: !!viewer.voted || !!viewer.household_voted,
      refusal: viewer.can_vote ? '' : REFUSALS[viewer.vote_refusal] || '',
      turnout: ballot.cast !== null && ballot.eligible ? `已投 ${ballot.cast} / ${ballot.eligible}` : '',
    } : null,
    result: topic.result ? describeResults(topic.result) : null,
    response: describeResponse(topic.response),
    canManage: !!viewer.can_manage,
    photosHint: heldPhotosHint(topic.photos, viewer.can_manage),
    canWithdraw: !!viewer.is_proposer && ['pending_review', 'discussion'].indexOf(topic.phase) !== -1 && !fixed,
    commentable: COMMENTABLE.indexOf(topic.phase) !== -1,
  };
}

/** A photo as its tile shows it: the downloaded thumbnail, and `held` (its label) unless it passed. */
function photoItem(photo, src, canManage) {
  const item = { id: photo.id, url: photo.url, src };
  const held = photoScreening(photo, canManage);
  if (held) item.held = held;
  return item;
}

/** The topic with one photo's screening as the server now has it. */
function withScreening(topic, decided) {
  const photos = (topic.photos || []).map((p) => (p.id === decided.id ? Object.assign({}, p, { screening: decided.screening }) : p));
  return Object.assign({}, topic, { photos });
}

/** The threads with `updated` put in place of the comment with its id (top-level or reply). */
function replaceComment(threads, updated) {
  return threads.map((thread) => {
    if (thread.id === updated.id) return Object.assign({}, updated, { replies: thread.replies });
    if (!thread.replies.some((r) => r.id === updated.id)) return thread;
    return Object.assign({}, thread, { replies: thread.replies.map((r) => (r.id === updated.id ? updated : r)) });
  });
}

/** The index the user taps in an action sheet, or -1 when cancelled. */
function pick(itemList, alertText) {
  return new Promise((resolve) => {
    wx.showActionSheet({ alertText, itemList, success: (res) => resolve(res.tapIndex), fail: () => resolve(-1) });
  });
}

/** A moderator's reason, typed in a modal; null when cancelled. */
function askReason(title) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      editable: true,
      placeholderText: '请填写原因（会告知评论作者）',
      success: (res) => resolve(res.confirm ? (res.content || '').trim() : null),
      fail: () => resolve(null),
    });
  });
}

/** What a moderator may do with this comment now. */
function moderationActions(comment) {
  const actions = [];
  const topLevel = !comment.parent_id;
  if (topLevel && comment.status === 'visible') actions.push(comment.pinned ? 'unpin' : 'pin');
  if (topLevel) actions.push(comment.locked ? 'unlock' : 'lock');
  if (comment.status === 'visible' || comment.status === 'held') actions.push('hide');
  if (comment.status === 'hidden' || comment.status === 'held') actions.push('restore');
  return actions;
}

Component({
  behaviors: [pagedList, photoDecisions], // the discussion's threads; a manager's photo decisions

  data: {
    id: 0,
    loading: true,
    error: '',
    topic: null,
    view: null,
    photos: [],
    receipts: [],
    supporting: false,
    withdrawing: false,
    draft: '',
    stance: '',
    replyTo: null, // {id, author}
    posting: false,
  },

  methods: {
    onLoad(query) {
      loadTemplates().then((templates) => { this.templates = templates; }); // ready before any tap
      this.setData({ id: Number(query && query.id) || 0 });
      if (!this.data.id) {
        this.setData({ loading: false, error: '未找到该议题' });
        return Promise.resolve();
      }
      return Promise.all([this.loadTopic(), this.reload()]);
    },

    onShow() {
      // Coming back from the vote page or the committee's pages: show the phase and votes as they are now.
      if (this.shownBefore && this.data.topic) this.loadTopic();
      this.shownBefore = true;
    },

    onPullDownRefresh() {
      return Promise.all([this.loadTopic(), this.reload()]).then(() => wx.stopPullDownRefresh());
    },

    loadTopic() {
      this.setData({ error: '' });
      return api.topic(this.data.id, { silent: true })
        .then((topic) => this.showTopic(topic))
        .catch((error) => this.setData({ loading: false, error: error.message || '加载失败' }));
    },

    showTopic(topic) {
      const firstTime = !this.data.topic;
      this.setData({ topic, view: describe(topic), loading: false, receipts: receiptsFor(topic.id) });
      if (firstTime) wx.setNavigationBarTitle({ title: topic.title });
      return this.loadPhotos(topic);
    },

    /**
     * The topic's photos with their labels, in its order. Each thumbnail is downloaded once per page
     * (one that failed, again next time); only the latest call's photos are shown.
     */
    loadPhotos(topic) {
      const canManage = !!(topic.viewer && topic.viewer.can_manage);
      const files = this.photoFiles || (this.photoFiles = {});
      const round = (this.photoRound || 0) + 1;
      this.photoRound = round;
      return Promise.all((topic.photos || []).map((photo) => {
        if (!files[photo.id]) {
          files[photo.id] = download(photo.thumbnail_url, { silent: true })
            .catch(() => { delete files[photo.id]; return null; });
        }
        return files[photo.id].then((src) => (src ? photoItem(photo, src, canManage) : null));
      })).then((items) => {
        if (round === this.photoRound) this.setData({ photos: items.filter(Boolean) });
      });
    },

    /** A manager's photo decision (`behaviors/photo-decisions`) is shown in place. */
    photoDecided(photo) {
      this.showTopic(withScreening(this.data.topic, photo));
    },

    /** Decided meanwhile: the topic as it is now. */
    photoAlreadyDecided() {
      return this.loadTopic();
    },

    onPreviewPhoto(e) {
      const photo = this.data.photos.find((p) => p.id === Number(e.currentTarget.dataset.id));
      if (!photo) return Promise.resolve();
      return download(photo.url, { silent: true })
        .then((full) => wx.previewImage({ current: full, urls: [full] }))
        .catch(() => wx.previewImage({ current: photo.src, urls: [photo.src] }));
    },

    retry() {
      this.setData({ loading: true });
      return Promise.all([this.loadTopic(), this.reload()]);
    },

    // --- support and withdraw ---------------------------------------------------------------------

    onSupport() {
      if (this.data.supporting || !this.data.view.support || !this.data.view.support.can) return Promise.resolve();
      askConsent(this.templates, CONSENT_KINDS.support); // must run inside the tap
      this.setData({ supporting: true });
      const wasOnAgenda = this.data.topic.on_agenda;
      return api.support(this.data.id)
        .then((topic) => {
          this.showTopic(topic);
          const title = topic.on_agenda && !wasOnAgenda ? '附议成功，议题已列入议程' : '附议成功';
          wx.showToast({ title, icon: 'none' });
        })
        .catch(() => this.loadTopic()) // the request module has said why; show the state as it is
        .then(() => this.setData({ supporting: false }));
    },

    onWithdraw() {
      if (this.data.withdrawing) return Promise.resolve();
      const question = { title: '撤回议题', content: '撤回后议题将不再讨论和附议，确定撤回吗？', confirmText: '撤回' };
      return confirmAction(question).then((confirmed) => {
        if (!confirmed) return null;
        this.setData({ withdrawing: true });
        return api.withdraw(this.data.id)
          .then((topic) => {
            this.showTopic(topic);
            wx.showToast({ title: '议题已撤回', icon: 'none' });
          })
          .catch(() => {})
          .then(() => this.setData({ withdrawing: false }));
      });
    },

    goVote() {
      wx.navigateTo({ url: `/pages/topics/vote/vote?id=${this.data.id}` });
    },

    goResults() {
      wx.navigateTo({ url: `/pages/topics/results/results?id=${this.data.id}` });
    },

    goReceipts() {
      wx.navigateTo({ url: '/pages/topics/receipts/receipts' });
    },

    goManage() {
      wx.navigateTo({ url: `/committee/pages/topic/topic?id=${this.data.id}` });
    },

    // --- discussion -------------------------------------------------------------------------------

    fetchPage(page) {
      return api.comments(this.data.id, page, { silent: true, withHeaders: true });
    },

    onDraftChange(e) {
      this.setData({ draft: e.detail.value });
    },

    onStanceChange(e) {
      this.setData({ stance: e.detail.value || '' });
    },

    onReply(e) {
      const { comment } = e.detail;
      this.setData({ replyTo: { id: comment.id, author: (comment.author && comment.author.nickname) || '居民' } });
    },

    cancelReply() {
      this.setData({ replyTo: null });
    },

    onPost() {
      const body = (this.data.draft || '').trim();
      if (!body) {
        wx.showToast({ title: '请写下你的意见', icon: 'none' });
        return Promise.resolve();
      }
      if (this.data.posting) return Promise.resolve();
      askConsent(this.templates, CONSENT_KINDS.comment); // must run inside the tap
      this.setData({ posting: true });
      const parentId = this.data.replyTo ? this.data.replyTo.id : null;
      return api.comment(this.data.id, { body, stance: this.data.stance, parentId })
        .then((comment) => {
          const shown = this.data.list.items;
          const threads = parentId
            ? shown.map((t) => (t.id === parentId ? Object.assign({}, t, { replies: t.replies.concat(comment) }) : t))
            : shown.concat(Object.assign({ replies: [] }, comment));
          this.setData({ 'list.items': threads, draft: '', stance: '', replyTo: null });
          wx.showToast({ title: comment.status === 'held' ? '已提交，审核通过后他人可见' : '发表成功', icon: 'none' });
        })
        .catch(() => {}) // keep the draft; the request module has said why
        .then(() => this.setData({ posting: false }));
    },

    onReport(e) {
      const { id } = e.detail;
      return pick(REPORT_REASONS.map((r) => r.label), '举报理由').then((index) => {
        if (index < 0) return null;
        return api.report(id, REPORT_REASONS[index].value)
          .then((comment) => {
            this.setData({ 'list.items': replaceComment(this.data.list.items, comment) });
            wx.showToast({ title: '已举报，感谢你的反馈', icon: 'none' });
          })
          .catch(() => {});
      });
    },

    /** Committee: pin, lock, hide or restore a comment, with a reason its author is told. */
    onModerate(e) {
      const { comment } = e.detail;
      const actions = moderationActions(comment);
      let action;
      return pick(actions.map((a) => MODERATION_ACTIONS[a]))
        .then((index) => {
          action = actions[index];
          return action ? askReason(MODERATION_ACTIONS[action]) : null;
        })
        .then((reason) => {
          if (reason === null) return null;
          if (reason.length < 2) {
            wx.showToast({ title: '请填写原因（至少 2 个字）', icon: 'none' });
            return null;
          }
          return api.moderate(comment.id, action, reason)
            .then((updated) => {
              this.setData({ 'list.items': replaceComment(this.data.list.items, updated) });
              wx.showToast({ title: `已${MODERATION_ACTIONS[action]}`, icon: 'none' });
            })
            .catch(() => {});
        });
    },
  },
});
