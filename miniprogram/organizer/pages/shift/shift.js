/**
 * 组织者 · 修改班次 (?activity=<id>&shift=<id>) — move a shift or change its place until it starts.
 * The server tells everyone signed up (confirmed and waitlisted) and moves their reminders.
 */
const { api, confirm, formatRange, parseTime } = require('../../../utils/volunteer');
const { pickerParts, isoFromPicker } = require('../../../utils/format');

const CLOSED = ['started', 'ended', 'cancelled']; // the server refuses edits from the start on

/** The moment a date and time picker pair names, in ms. */
const pickedAt = (date, time) => new Date(isoFromPicker(date, time)).getTime();

/** The form of a shift: local picker values of its start and end, and its place. */
function formOf(shift) {
  const start = pickerParts(parseTime(shift.starts_at));
  const end = pickerParts(parseTime(shift.ends_at));
  return {
    startDate: start.date, startTime: start.time, endDate: end.date, endTime: end.time, place: shift.place || '',
  };
}

/** Only what the organiser changed, as PATCH /shifts/{id} takes it (pickers show whole minutes). */
function changesOf(shift, form) {
  const changes = {};
  const was = formOf(shift);
  if (form.startDate !== was.startDate || form.startTime !== was.startTime) {
    changes.starts_at = isoFromPicker(form.startDate, form.startTime);
  }
  if (form.endDate !== was.endDate || form.endTime !== was.endTime) changes.ends_at = isoFromPicker(form.endDate, form.endTime);
  const place = form.place.trim();
  if (place !== (shift.place || '')) changes.place = place;
  return changes;
}

Component({
  data: {
    activityId: null,
    shiftId: null,
    shift: null,
    form: null,
    when: '',
    editable: false,
    today: '',
    loading: true,
    error: '',
    saving: false,
  },

  methods: {
    onLoad(query) {
      this.setData({ activityId: Number(query.activity) || null, shiftId: Number(query.shift) || null });
    },

    onShow() {
      if (this.data.activityId && this.data.shiftId) this.load();
      else this.setData({ loading: false, error: '未找到该班次' });
    },

    load() {
      this.setData({ loading: true, error: '' });
      return api.activity(this.data.activityId)
        .then((activity) => {
          const shift = activity.can_manage && activity.shifts.find((s) => s.id === this.data.shiftId);
          if (!shift) {
            this.setData({ loading: false, error: activity.can_manage ? '未找到该班次' : '您不是该活动的组织者' });
            return;
          }
          this.setData({
            shift,
            form: formOf(shift),
            when: formatRange(shift.starts_at, shift.ends_at),
            editable: CLOSED.indexOf(shift.status) === -1,
            today: pickerParts(new Date()).date,
            loading: false,
          });
        })
        .catch((error) => this.setData({ loading: false, error: error.message }));
    },

    /** A date or time picker: moving the start moves the end with it (the shift keeps its length). */
    onPickerChange(e) {
      const { field } = e.currentTarget.dataset;
      const form = Object.assign({}, this.data.form, { [field]: e.detail.value });
      if (field === 'startDate' || field === 'startTime') {
        const was = this.data.form;
        const length = pickedAt(was.endDate, was.endTime) - pickedAt(was.startDate, was.startTime);
        const end = pickerParts(new Date(pickedAt(form.startDate, form.startTime) + length));
        form.endDate = end.date;
        form.endTime = end.time;
      }
      this.setData({ form });
    },

    onPlaceChange(e) {
      this.setData({ 'form.place': e.detail.value });
    },

    onSave() {
      const { shift, form, saving } = this.data;
      if (saving || !this.data.editable) return Promise.resolve();
      const changes = changesOf(shift, form);
      if (!Object.keys(changes).length) {
        wx.showToast({ title: '没有修改', icon: 'none' });
        return Promise.resolve();
      }
      const told = shift.confirmed + (shift.waitlist_length || 0);
      const content = told
        ? `保存后将通知已报名的 ${told} 位志愿者（含候补），提醒也会按新的时间发送。`
        : '目前还没有人报名，保存后立即生效。';
      return confirm({ title: '修改班次', content, confirmText: '保存并通知' }).then((ok) => {
        if (!ok) return null;
        this.setData({ saving: true });
        return api.updateShift(shift.id, changes)
          .then(() => {
            wx.showToast({ title: told ? '已保存并通知' : '已保存', icon: 'success' });
            wx.navigateBack();
          })
          .catch((error) => { // the request module has shown the server's message
            if (error.reason === 'invalid_transition' || error.reason === 'activity_cancelled') this.load();
          })
          .then(() => this.setData({ saving: false }));
      });
    },

    onRetry() {
      this.load();
    },
  },
});
