/**
 * CaseCard — 工单卡片: one case in a list (category, status, overdue, description, place, time, first
 * photo). For staff it shows the deadline that matters now; for residents who is handling it.
 */
const { OPEN_STATUSES, formatTime, dueText, photoPath } = require('../../utils/cases');

/** The deadline a worker should see: accepting while assigned, resolving while open. */
function deadline(item) {
  if (item.status === 'assigned' && item.accept_due_at) {
    const due = dueText(item.accept_due_at);
    return { text: due.overdue ? `受理${due.text}` : `待受理 · ${due.text}`, overdue: due.overdue };
  }
  if (OPEN_STATUSES.indexOf(item.status) !== -1 && item.resolve_due_at) {
    const due = dueText(item.resolve_due_at);
    return { text: due.overdue ? `办结${due.text}` : `办结时限 · ${due.text}`, overdue: due.overdue };
  }
  return { text: '', overdue: false };
}

Component({
  properties: {
    item: { type: Object, value: null }, // a case summary from GET /api/v1/cases
    staff: { type: Boolean, value: false },
  },

  data: {
    title: '',
    time: '',
    handler: '',
    due: { text: '', overdue: false },
    thumbnail: '',
  },

  observers: {
    'item, staff': function describe(item, staff) {
      if (!item) return;
      const assignee = item.assignee;
      this.setData({
        title: item.category ? item.category.name : '',
        time: formatTime(item.created_at),
        handler: !staff && assignee ? `${assignee.role_text || ''}${assignee.name}` : '',
        due: staff ? deadline(item) : { text: '', overdue: false },
        thumbnail: '',
      });
      if (item.thumbnail_url) {
        const url = item.thumbnail_url;
        photoPath(url).then((path) => {
          if (this.data.item && this.data.item.thumbnail_url === url) this.setData({ thumbnail: path });
        }, () => {});
      }
    },
  },

  methods: {
    onTap() {
      if (this.data.item) this.triggerEvent('open', { id: this.data.item.id });
    },
  },
});
