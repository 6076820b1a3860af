/**
 * Task — 工单处理 (`?id=<id>`, the page staff notifications link to): the case with the reporter's
 * contact, the place and the deadlines, and the assignee's next step — accept (受理) or return with a
 * reason, start, resolve with a note and after-photos. Others see it read-only.
 */
const { get, post } = require('../../../utils/request');
const {
  OPEN_STATUSES, RETURN_REASONS, WORKER_TEMPLATE_KINDS, formatTime, dueText, actionSet, wgs84ToGcj02,
} = require('../../../utils/cases');
const { askConsent, loadTemplates } = require('../../../utils/consent');

const SUCCESS_TEXT = { accept: '已受理', start: '已开始处理', resolve: '已提交办结，等待居民确认', return: '已退回，将重新派单' };

function deadlines(item) {
  const lines = [];
  if (item.status === 'assigned' && item.accept_due_at) {
    const due = dueText(item.accept_due_at);
    lines.push({ label: '受理时限', text: `${formatTime(item.accept_due_at)}（${due.text}）`, overdue: due.overdue });
  }
  if (OPEN_STATUSES.indexOf(item.status) !== -1 && item.resolve_due_at) {
    const due = dueText(item.resolve_due_at);
    lines.push({ label: '办结时限', text: `${formatTime(item.resolve_due_at)}（${due.text}）`, overdue: due.overdue });
  }
  return lines;
}

Component({
  data: {
    loadState: 'loading', // loading | ready | error
    errorText: '',
    item: null,
    can: {},
    deadlines: [],
    reporter: '',
    createdText: '',
    reasons: RETURN_REASONS,
    acting: '',
    panel: '', // '' | return | resolve
    returnReason: '',
    returnNote: '',
    resolveNote: '',
    photoIds: [],
    uploading: false,
    failedPhotos: 0,
    formError: '',
  },

  methods: {
    onLoad(options = {}) {
      this.caseId = Number(options.id);
      this.templates = {};
      loadTemplates().then((templates) => { this.templates = templates; });
      return this.load();
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
          if (this.data.item) wx.showToast({ title: error.message, icon: 'none' });
          else this.setData({ loadState: 'error', errorText: error.status === 404 ? '工单不存在，或不在你的网格' : error.message });
        },
      );
    },

    showCase(item) {
      const reporter = item.reporter;
      this.setData({
        loadState: 'ready',
        item,
        can: actionSet(item.actions),
        deadlines: deadlines(item),
        reporter: item.anonymous ? '匿名反映' : (reporter ? reporter.name : ''),
        createdText: formatTime(item.created_at),
      });
    },

    act(action, body) {
      if (this.data.acting) return Promise.resolve();
      this.setData({ acting: action, formError: '' });
      return post(`/api/v1/cases/${this.caseId}/${action}`, body)
        .then((item) => {
          this.setData({ acting: '', panel: '' });
          this.showCase(item);
          wx.showToast({ title: SUCCESS_TEXT[action], icon: 'none' });
          if (action === 'return') wx.navigateBack();
        })
        .catch((error) => {
          this.setData({ acting: '' });
          if (error.status === 409) return this.load(); // it moved on meanwhile (timed out, reassigned …)
          return null;
        });
    },

    onAccept() {
      askConsent(this.templates, WORKER_TEMPLATE_KINDS); // must run inside the tap: to hear of the next task
      return this.act('accept');
    },

    onStart() {
      return this.act('start');
    },

    openPanel(e) {
      this.setData({ panel: e.currentTarget.dataset.panel, formError: '' });
    },

    closePanel() {
      this.setData({ panel: '', formError: '' });
    },

    onReasonTap(e) {
      this.setData({ returnReason: e.currentTarget.dataset.value, formError: '' });
    },

    onReturnNote(e) {
      this.setData({ returnNote: e.detail.value });
    },

    onReturn() {
      const { returnReason, returnNote } = this.data;
      if (!returnReason) {
        this.setData({ formError: '请选择退回原因' });
        return Promise.resolve();
      }
      if (returnReason === 'other' && !returnNote.trim()) {
        this.setData({ formError: '请说明退回原因' });
        return Promise.resolve();
      }
      return this.act('return', { reason: returnReason, note: returnNote.trim() });
    },

    onResolveNote(e) {
      this.setData({ resolveNote: e.detail.value, formError: '' });
    },

    onPhotosChange(e) {
      const { ids, uploading, failed } = e.detail;
      this.setData({ photoIds: ids, uploading, failedPhotos: failed, formError: '' });
    },

    onResolve() {
      const { item, resolveNote, photoIds, uploading, failedPhotos } = this.data;
      let problem = '';
      if (resolveNote.trim().length < 2) problem = '请填写处理情况（至少 2 个字）';
      else if (uploading) problem = '照片还在上传，请稍候';
      else if (failedPhotos) problem = '有照片上传失败，请点击重试或删除';
      else if (item.kind === 'incident' && !photoIds.length) problem = '请上传至少一张处理后的照片';
      if (problem) {
        this.setData({ formError: problem });
        return Promise.resolve();
      }
      return this.act('resolve', { note: resolveNote.trim(), photo_ids: photoIds });
    },

    onCall() {
      const phone = this.data.item.reporter && this.data.item.reporter.phone;
      if (phone) wx.makePhoneCall({ phoneNumber: phone });
    },

    onNavigate() {
      const { item } = this.data;
      if (item.lat === null || item.lat === undefined) return;
      const place = wgs84ToGcj02({ lat: item.lat, lng: item.lng }); // the map expects GCJ-02
      wx.openLocation({
        latitude: place.lat, longitude: place.lng, name: item.category.name, address: item.address || '',
      });
    },
  },
});
