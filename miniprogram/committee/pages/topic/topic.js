/**
 * Committee topic — 议题管理 (`committee/pages/topic/topic?id=`, the page the committee's notices
 * open): approve or reject a proposal, set up and open the vote, close a discussion or a vote whose
 * time has come, and publish the response (处理结果), with its deadline and whether it is overdue.
 */
const {
  api, confirmAction, describeResults, describeResponse, describeTopic, formatTime, labelOf, BALLOT_TYPES, PASS_RULES, VOTE_UNITS,
} = require('../../../utils/topics');

function describe(topic) {
  const ballot = topic.ballot;
  const fixed = !!(ballot && ballot.fixed);
  const card = describeTopic(topic);
  return {
    phase: topic.phase,
    phaseLabel: card.phaseLabel,
    phaseTheme: card.phaseTheme,
    title: topic.title,
    body: topic.body,
    proposer: topic.origin === 'committee' ? '社区两委' : (topic.proposer && topic.proposer.nickname) || '居民',
    created: card.createdText,
    heldByScreening: topic.screening === 'review',
    rejectionReason: topic.rejection_reason || '',
    supportText: topic.support_threshold ? `已附议 ${topic.support_count} / ${topic.support_threshold}` : `已附议 ${topic.support_count}`,
    onAgenda: card.onAgenda,
    canReview: topic.phase === 'pending_review',
    canSetUpVote: topic.phase === 'discussion' && !fixed,
    canCloseDiscussion: topic.phase === 'discussion' && !fixed,
    ballot: ballot ? {
      type: labelOf(BALLOT_TYPES, ballot.type),
      options: ballot.options.map((o) => o.label).join('、'),
      unit: labelOf(VOTE_UNITS, ballot.per),
      quorum: ballot.quorum_percent ? `${ballot.quorum_percent}%` : '不设',
      rule: labelOf(PASS_RULES, ballot.pass_rule),
      hidden: ballot.hide_counts_until_close,
      opens: formatTime(ballot.opens_at),
      closes: formatTime(ballot.closes_at),
      turnout: ballot.eligible ? `${ballot.cast || 0} / ${ballot.eligible}` : '',
      fixed,
    } : null,
    // The server refuses to close before the closing time (409 voting_still_open) and says so.
    canCloseVote: topic.phase === 'voting',
    result: topic.result ? describeResults(topic.result) : null,
    response: describeResponse(topic.response),
    canRespond: topic.phase === 'closed' && !!topic.response && !topic.response.text,
  };
}

const confirm = (title, content, confirmText) => confirmAction({ title, content, confirmText });

Component({
  data: {
    id: 0,
    loading: true,
    error: '',
    topic: null,
    view: null,
    rejectReason: '',
    responseText: '',
    busy: '', // the action in flight: approve, reject, close, respond
  },

  methods: {
    onLoad(query) {
      this.setData({ id: Number(query && query.id) || 0 });
      return this.load();
    },

    onShow() {
      if (this.shownBefore && this.data.topic) this.load();
      this.shownBefore = true;
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    load() {
      if (!this.data.id) {
        this.setData({ loading: false, error: '未找到该议题' });
        return Promise.resolve();
      }
      this.setData({ error: '' });
      return api.topic(this.data.id, { silent: true })
        .then((topic) => this.show(topic))
        .catch((error) => this.setData({ loading: false, error: error.message || '加载失败' }));
    },

    show(topic) {
      if (topic.viewer && !topic.viewer.can_manage) {
        this.setData({ loading: false, error: '你不是该社区的管理人员' });
        return;
      }
      this.setData({ topic, view: describe(topic), loading: false });
    },

    /** Run one committee action once at a time; on success show the topic as the server returns it. */
    act(name, call, done) {
      if (this.data.busy) return Promise.resolve();
      this.setData({ busy: name });
      return call()
        .then((topic) => {
          this.show(topic);
          if (done) wx.showToast({ title: done, icon: 'none' });
          return topic;
        })
        .catch(() => null) // the request module has shown why; the form keeps what was typed
        .then((topic) => {
          this.setData({ busy: '' });
          return topic;
        });
    },

    onApprove() {
      return confirm('通过审核', '通过后议题进入讨论，居民可以附议和发表意见。', '通过').then((ok) => (ok
        ? this.act('approve', () => api.approve(this.data.id), '已通过，议题进入讨论') : null));
    },

    onRejectReasonChange(e) {
      this.setData({ rejectReason: e.detail.value });
    },

    onReject() {
      const reason = this.data.rejectReason.trim();
      if (reason.length < 2) {
        wx.showToast({ title: '请填写驳回理由（至少 2 个字），提议人会看到', icon: 'none' });
        return Promise.resolve();
      }
      return this.act('reject', () => api.reject(this.data.id, reason), '已驳回，提议人会收到通知')
        .then((topic) => { if (topic) this.setData({ rejectReason: '' }); });
    },

    goVoting() {
      wx.navigateTo({ url: `/committee/pages/voting/voting?id=${this.data.id}` });
    },

    onCloseDiscussion() {
      return confirm('结束讨论', '议题将不经投票直接结束，之后需要发布处理结果。确定结束吗？', '结束').then((ok) => (ok
        ? this.act('close', () => api.close(this.data.id), '讨论已结束') : null));
    },

    onCloseVote() {
      return this.act('close', () => api.close(this.data.id), '投票已结束并完成计票');
    },

    onResponseChange(e) {
      this.setData({ responseText: e.detail.value });
    },

    onRespond() {
      const text = this.data.responseText.trim();
      if (text.length < 2) {
        wx.showToast({ title: '请填写处理结果', icon: 'none' });
        return Promise.resolve();
      }
      return confirm('发布处理结果', '处理结果发布后不能修改，提议人和附议人会收到通知。', '发布').then((ok) => (ok
        ? this.act('respond', () => api.respond(this.data.id, text), '处理结果已发布')
          .then((topic) => { if (topic) this.setData({ responseText: '' }); })
        : null));
    },

    goDiscussion() {
      wx.navigateTo({ url: `/pages/topics/detail/detail?id=${this.data.id}` });
    },

    goResults() {
      wx.navigateTo({ url: `/pages/topics/results/results?id=${this.data.id}` });
    },
  },
});
