/**
 * Moderation — 内容审核 (`committee/pages/moderation/moderation`): everything waiting for a human, oldest
 * first. Comments held by the content check and comments residents reported: the committee restores
 * or hides each one, saying why, and the author is told. Topic photos the image check held for review
 * (or never answered for): the committee passes them or keeps them from residents, as on the topic
 * page. A reviewed comment or a decided photo leaves the queue.
 */
const {
  api, formatTime, labelOf, photoScreening, REPORT_REASONS,
} = require('../../../utils/topics');
const pagedList = require('../../../behaviors/paged-list');
const photoDecisions = require('../../../behaviors/photo-decisions');

const STATUS = {
  held: { label: '待审核', theme: 'warning' },
  hidden: { label: '已隐藏', theme: 'danger' },
  visible: { label: '被举报', theme: 'primary' },
};

const keyOf = (kind, id) => `${kind}-${id}`;

function describeComment(item) {
  const { comment } = item;
  const reports = Object.keys(item.reports || {}).map((reason) => `${labelOf(REPORT_REASONS, reason) || reason} ×${item.reports[reason]}`);
  const status = STATUS[comment.status] || { label: comment.status, theme: 'default' };
  return {
    kind: 'comment',
    key: keyOf('comment', comment.id),
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

function describePhoto(item) {
  const { photo } = item;
  const held = photoScreening(photo, true) || { label: '', theme: 'default', decidable: false };
  return {
    kind: 'photo',
    key: keyOf('photo', photo.id),
    id: photo.id,
    topicId: photo.topic_id,
    topicTitle: item.topic_title,
    photos: [{ id: photo.id, url: photo.url, thumbnail_url: photo.thumbnail_url }],
    author: photo.uploader ? photo.uploader.nickname : '',
    time: formatTime(photo.uploaded_at),
    statusLabel: held.label,
    statusTheme: held.theme,
    decidable: held.decidable,
  };
}

Component({
  behaviors: [pagedList, photoDecisions],

  data: {
    active: null, // {id, action} while a reason for a comment is being written
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

    listItem(item) {
      return item.kind === 'photo' ? describePhoto(item) : describeComment(item);
    },

    /** Take an item off the list: it no longer waits for anyone. */
    dropItem(kind, id) {
      this.setData({ 'list.items': this.data.list.items.filter((item) => item.key !== keyOf(kind, id)) });
    },

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
          this.dropItem('comment', active.id);
          this.setData({ active: null, reason: '' });
          wx.showToast({ title: active.action === 'hide' ? '已隐藏' : '已恢复显示', icon: 'none' });
        })
        .catch(() => {}) // keep the reason; the request module has said why
        .then(() => this.setData({ busy: false }));
    },

    /** `behaviors/photo-decisions`: a decided photo leaves the queue… */
    photoDecided(photo) {
      this.dropItem('photo', photo.id);
    },

    /** …and so does one another manager decided first. */
    photoAlreadyDecided(id) {
      this.dropItem('photo', id);
    },

    goTopic(e) {
      wx.navigateTo({ url: `/pages/topics/detail/detail?id=${e.currentTarget.dataset.topic}` });
    },
  },
});
