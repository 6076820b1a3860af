/**
 * Case detail — 办理进度 (`?id=<id>`, the page notifications link to; `&submitted=1` right after
 * submitting): the case, its timeline, and what the resident may do now — confirm or reopen a
 * resolution, rate a closed case, cancel before acceptance, follow or unfollow someone else's.
 */
const { get, post, del } = require('../../../utils/request');
const { formatTime, actionSet, RESIDENT_TEMPLATE_KINDS } = require('../../../utils/cases');
const { askConsent, loadTemplates } = require('../../../utils/consent');

const ROUTING_CHECKS = 3; // after submitting, look again a few times until the case is assigned
const ROUTING_CHECK_MS = 3000;
const SUCCESS_TEXT = {
  confirm: '已确认，感谢你的反馈',
  reopen: '已退回网格员继续处理',
  rate: '感谢你的评价',
  cancel: '已撤销',
  follow: '已关注，有进展会通知你',
};

Component({
  data: {
    loadState: 'loading', // loading | ready | error
    errorText: '',
    submitted: false,
    item: null,
    can: {},
    createdText: '',
    confirmDueText: '',
    handler: '',
    acting: '', // the action being sent
    panel: '', // '' | reopen | rate
    reopenNote: '',
    score: 5,
    scoreTexts: ['很不满意', '不满意', '一般', '满意', '非常满意'],
    comment: '',
    formError: '',
  },

  lifetimes: {
    detached() {
      clearTimeout(this.routingTimer);
    },
  },

  methods: {
    onLoad(options = {}) {
      this.caseId = Number(options.id);
      this.routingChecks = 0;
      this.templates = {};
      loadTemplates().then((templates) => { this.templates = templates; });
      this.setData({ submitted: options.submitted === '1' });
      return this.load();
    },

    onUnload() {
      clearTimeout(this.routingTimer);
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    load() {
      if (!this.caseId) {
        this.setData({ loadState: 'error', errorText: '链接有误，未找到该工单' });
        return Promise.resolve();
      }
      if (!this.data.item) this.setData({ loadState: 'loading' });
      return get(`/api/v1/cases/${this.caseId}`, undefined, { silent: true }).then(
        (item) => this.showCase(item),
        (error) => {
          if (this.data.item) wx.showToast({ title: error.message, icon: 'none' }); // keep what is shown
          else this.setData({ loadState: 'error', errorText: error.status === 404 ? '工单不存在，或你无权查看' : error.message });
        },
      );
    },

    showCase(item) {
      const assignee = item.assignee;
      this.setData({
        loadState: 'ready',
        item,
        can: actionSet(item.actions),
        createdText: formatTime(item.created_at),
        confirmDueText: item.confirm_due_at ? `请于 ${formatTime(item.confirm_due_at)} 前确认，逾期将自动结案` : '',
        handler: assignee ? `${assignee.role_text || ''}${assignee.name}` : '',
      });
      clearTimeout(this.routingTimer);
      if (item.status === 'submitted' && this.data.submitted && this.routingChecks < ROUTING_CHECKS) {
        this.routingChecks += 1;
        this.routingTimer = setTimeout(() => this.load(), ROUTING_CHECK_MS);
      }
    },

    /** Send one action; on 409 the case moved on meanwhile, so show its current state. */
    act(action, body) {
      if (this.data.acting) return Promise.resolve();
      this.setData({ acting: action, formError: '' });
      return post(`/api/v1/cases/${this.caseId}/${action}`, body)
        .then((item) => {
          this.setData({ acting: '', panel: action === 'confirm' ? 'rate' : '' });
          this.showCase(item);
          wx.showToast({ title: SUCCESS_TEXT[action] || '已提交', icon: 'none' });
        })
        .catch((error) => {
          this.setData({ acting: '' });
          if (error.status === 409) return this.load();
          return null;
        });
    },

    onConfirm() {
      wx.showModal({
        title: '确认问题已解决？',
        content: '确认后工单将结案，你可以为本次办理评价。',
        confirmText: '已解决',
        success: (res) => { if (res.confirm) this.act('confirm'); },
      });
    },

    onCancel() {
      wx.showModal({
        title: '撤销这条反映？',
        content: '撤销后网格员将不再处理。',
        confirmText: '撤销',
        confirmColor: '#d54941',
        success: (res) => { if (res.confirm) this.act('cancel', { note: '' }); },
      });
    },

    onFollow() {
      askConsent(this.templates, RESIDENT_TEMPLATE_KINDS); // must run inside the tap
      return this.act('follow');
    },

    onUnfollow() {
      if (this.data.acting) return Promise.resolve();
      this.setData({ acting: 'unfollow' });
      return del(`/api/v1/cases/${this.caseId}/follow`)
        .then(() => { wx.showToast({ title: '已取消关注', icon: 'none' }); })
        .catch(() => {})
        .then(() => { this.setData({ acting: '' }); return this.load(); });
    },

    openPanel(e) {
      this.setData({ panel: e.currentTarget.dataset.panel, formError: '' });
    },

    closePanel() {
      this.setData({ panel: '', formError: '' });
    },

    onReopenNote(e) {
      this.setData({ reopenNote: e.detail.value, formError: '' });
    },

    onReopen() {
      const note = this.data.reopenNote.trim();
      if (note.length < 2) {
        this.setData({ formError: '请说明哪里还没有解决（至少 2 个字）' });
        return Promise.resolve();
      }
      return this.act('reopen', { note });
    },

    onScore(e) {
      this.setData({ score: Number(e.currentTarget.dataset.score) });
    },

    onComment(e) {
      this.setData({ comment: e.detail.value });
    },

    onRate() {
      return this.act('rate', { score: this.data.score, comment: this.data.comment.trim() });
    },

    goMine() {
      wx.redirectTo({ url: '/pages/cases/mine/mine' });
    },
  },
});
