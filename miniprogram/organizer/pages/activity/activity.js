/**
 * 组织者 · 活动 — an activity's shifts with their sign-up counts; open a shift's check-in code or roster,
 * or change its time and place until it starts.
 */
const { api, formatRange } = require('../../../utils/volunteer');

const SHIFT_STATUS = {
  open: '报名中', waitlist: '已满 · 候补中', full: '已报满', closed: '报名截止', started: '进行中', ended: '已结束',
  cancelled: '已取消',
};

function shiftRow(shift) {
  return Object.assign({}, shift, {
    when: formatRange(shift.starts_at, shift.ends_at),
    statusText: SHIFT_STATUS[shift.status] || shift.status,
    live: shift.status !== 'cancelled',
    editable: ['started', 'ended', 'cancelled'].indexOf(shift.status) === -1,
  });
}

Component({
  data: {
    id: null,
    activity: null,
    shifts: [],
    loading: true,
    error: '',
  },

  methods: {
    onLoad(query) {
      this.setData({ id: Number(query.id) || null });
    },

    onShow() {
      if (this.data.id) this.load();
      else this.setData({ loading: false, error: '未找到该活动' });
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    load() {
      this.setData({ loading: !this.data.activity, error: '' });
      return api.activity(this.data.id)
        .then((activity) => {
          if (!activity.can_manage) {
            this.setData({ loading: false, activity: null, error: '您不是该活动的组织者' });
            return;
          }
          this.setData({ activity, shifts: activity.shifts.map(shiftRow), loading: false });
        })
        .catch((error) => this.setData({ loading: false, error: this.data.activity ? '' : error.message }));
    },

    onCheckinCode(e) {
      wx.navigateTo({ url: `/organizer/pages/checkin/checkin?shift=${e.currentTarget.dataset.shift}` });
    },

    onEditShift(e) {
      wx.navigateTo({ url: `/organizer/pages/shift/shift?activity=${this.data.id}&shift=${e.currentTarget.dataset.shift}` });
    },

    onAttendance(e) {
      wx.navigateTo({ url: `/organizer/pages/attendance/attendance?shift=${e.currentTarget.dataset.shift}` });
    },

    onRetry() {
      this.load();
    },
  },
});
