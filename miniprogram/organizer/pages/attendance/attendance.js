/**
 * 组织者 · 签到名单 — a shift's roster: confirmed volunteers, then the waitlist in order; who checked in
 * and out; no-shows. Check a volunteer in or out by hand (for those without a phone); the backend records
 * it as manual.
 */
const {
  api, confirm, signupStatusText, attendanceText,
} = require('../../../utils/volunteer');
const pagedList = require('../../../behaviors/paged-list');

function row(entry) {
  const v = entry.volunteer || {};
  const a = entry.attendance;
  return Object.assign({}, entry, {
    name: v.real_name || v.nickname || '志愿者',
    phone: v.phone || '',
    statusText: signupStatusText(entry),
    attendanceText: attendanceText(a),
    canCheckIn: entry.status === 'confirmed' && !a,
    canCheckOut: !!a && !a.closed_at,
  });
}

function counts(items) {
  const confirmed = items.filter((r) => r.status === 'confirmed');
  return {
    confirmed: confirmed.length,
    checkedIn: confirmed.filter((r) => r.attendance).length,
    waitlisted: items.filter((r) => r.status === 'waitlisted').length,
  };
}

Component({
  behaviors: [pagedList],

  data: {
    shiftId: null,
    counts: { confirmed: 0, checkedIn: 0, waitlisted: 0 },
    notFound: false,
    busyId: null,
  },

  observers: {
    'list.items.**': function countRoster(items) {
      this.setData({ counts: counts(items) });
    },
  },

  methods: {
    onLoad(query) {
      this.setData({ shiftId: Number(query.shift) || null });
    },

    onShow() {
      if (this.data.shiftId) this.reload();
      else this.setData({ notFound: true, 'list.loading': false });
    },

    fetchPage(page) {
      return api.roster(this.data.shiftId, { page }, { withHeaders: true });
    },

    listItem: row,

    onManual(e) {
      const { id, name, action } = e.currentTarget.dataset;
      if (this.data.busyId) return Promise.resolve();
      const checkIn = action === 'in';
      const content = checkIn
        ? `确认「${name}」已到场？将记录为组织者代签到。`
        : `为「${name}」签退？服务时长计算到现在。`;
      return confirm({ title: checkIn ? '手动签到' : '手动签退', content }).then((ok) => {
        if (!ok) return null;
        this.setData({ busyId: id });
        return (checkIn ? api.manualCheckIn(id) : api.manualCheckOut(id))
          .then(() => wx.showToast({ title: checkIn ? '已签到' : '已签退', icon: 'success' }), () => {})
          .then(() => this.reload())
          .then(() => this.setData({ busyId: null }));
      });
    },
  },
});
