/**
 * Moderation — 评论审核 (`committee/pages/moderation/moderation`): comments held by the content check
 * and comments residents reported, oldest first. The committee restores or hides each one, saying
 * why; the author is told. A reviewed comment leaves the queue.
 */
const { api, formatTime, labelOf, REPORT_REASONS } = require('../../../utils/topics');
const pagedList = require('../../../behaviors/paged-list');

const STATUS = {
  held: { label: '待审核', theme: 'warning' },
  hidden: { label: '已隐藏', theme: 'danger' },
  visible: { label: '被举报', theme: 'primary' },
};

function describe(item) {
  const { comment } = item;
  const reports = Object.keys(item.reports || {}).map((reason) => `${labelOf(REPORT_REASONS, reason) || reason} ×${item.reports[reason]}`);
  const status = STATUS[comment.status] || { label: comment.status, theme: 'default' };
  return {
    id: comment.id,
    topicId: comment.topic_id,
    topicTitle: item.topic_title,
    body: comment.body,
    author: comment.author ? comment.author.nickname : '',
    time: formatTime(comment.created_at),
    statusLabel: status.label,
    statusTheme: status.theme,
    reportsText: reports.join('，'),
    canHide: comment.status !== 'hidden',
  };
}

Component({
  behaviors: [pagedList],

  data: {
    active: null, // {id, action} while a reason is being written
    reason: '',
    busy: false,
  },

  methods: {
    onShow() {
      return this.reload();
    },

    fetchPage(page) {
      return api.moderationQueue(page, { silent: true, withHeaders: true });
    },

    listItem: describe,

    onStart(e) {
      const { id, action } = e.currentTarget.dataset;
      this.setData({ active: { id: Number(id), action }, reason: '' });
    },

    onCancel() {
      if (!this.data.busy) this.setData({ active: null, reason: '' });
    },

    onReasonInput(e) {
      this.setData({ reason: e.detail.value });
    },

    onConfirm() {
      const { active } = this.data;
      const reason = (this.data.reason || '').trim();
      if (!active || this.data.busy) return Promise.resolve();
      if (reason.length < 2) {
        wx.showToast({ title: '请填写原因（至少 2 个字），会告知评论作者', icon: 'none' });
        return Promise.resolve();
      }
      this.setData({ busy: true });
      return api.moderate(active.id, active.action, reason)
        .then(() => {
          this.setData({ 'list.items': this.data.list.items.filter((item) => item.id !== active.id), active: null, reason: '' });
          wx.showToast({ title: active.action === 'hide' ? '已隐藏' : '已恢复显示', icon: 'none' });
        })
        .catch(() => {}) // keep the reason; the request module has said why
        .then(() => this.setData({ busy: false }));
    },

    goTopic(e) {
      wx.navigateTo({ url: `/pages/topics/detail/detail?id=${e.currentTarget.dataset.topic}` });
    },
  },
});
