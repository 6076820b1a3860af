/**
 * 我的志愿 — hours (credited service hours and honour hours, always apart), star level, points balance,
 * record, history and the points ledger. Star notifications link here: pages/volunteer/me/me.
 */
const {
  api, formatHours, formatTime, nextStarText, pointsKindText,
} = require('../../../utils/volunteer');
const pagedList = require('../../../behaviors/paged-list');

function historyRow(entry) {
  const flags = [];
  if (entry.checkout_missing) flags.push('未签退，按班次结束计');
  if (entry.manual) flags.push('组织者代签到');
  return {
    honour: entry.kind === 'honour',
    title: entry.kind === 'honour' ? '荣誉时长' : entry.activity_title || '志愿服务',
    detail: entry.kind === 'honour' ? entry.reason : flags.join(' · '),
    when: formatTime(entry.shift_starts_at || entry.created_at),
    hours: formatHours(entry.hours),
  };
}

function pointsRow(entry) {
  return {
    id: entry.id,
    kind: pointsKindText(entry.kind),
    note: entry.note,
    when: formatTime(entry.created_at),
    amount: entry.amount > 0 ? `+${entry.amount}` : String(entry.amount),
    earning: entry.amount > 0,
  };
}

Component({
  behaviors: [pagedList], // the points ledger

  data: {
    summary: null,
    creditedHours: '0',
    honourHours: '0',
    nextStar: '',
    progress: 0,
    history: [],
    loading: true,
    error: '',
  },

  methods: {
    onShow() {
      this.load();
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    /** The summary, and the ledger's first page beside it. */
    load() {
      this.setData({ loading: !this.data.summary, error: '' });
      return Promise.all([api.myVolunteering(), this.reload()])
        .then(([summary]) => {
          const next = summary.next_star;
          this.setData({
            summary,
            creditedHours: formatHours(summary.credited_hours),
            honourHours: formatHours(summary.honour_hours),
            nextStar: nextStarText(next),
            progress: next ? Math.min(100, Math.floor((summary.credited_hours / next.hours) * 100)) : 100,
            history: (summary.history || []).map(historyRow),
            loading: false,
          });
        })
        .catch((error) => this.setData({ loading: false, error: this.data.summary ? '' : error.message }));
    },

    fetchPage(page) {
      return api.myPoints({ page }, { withHeaders: true });
    },

    listItem: pointsRow,

    onRetry() {
      this.load();
    },

    goShop() {
      wx.navigateTo({ url: '/pages/volunteer/shop/shop' });
    },

    goPickups() {
      wx.navigateTo({ url: '/pages/volunteer/pickups/pickups' });
    },
  },
});
