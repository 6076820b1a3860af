/**
 * Stats — 我的统计: response, resolution and satisfaction rates (响应率/解决率/满意率) over the last
 * 30 days for me and the grids I cover, and my routing state (接单中 / 暂停接单).
 */
const { get, request } = require('../../../utils/request');
const { spanText } = require('../../../utils/cases');

function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${Math.round(rate * 1000) / 10}%`;
}

function describeRow(row) {
  return {
    key: `${row.id}-${row.name}`,
    name: row.name,
    cases: row.cases,
    response: percent(row.response_rate),
    resolution: percent(row.resolution_rate),
    satisfaction: percent(row.satisfaction_rate),
    acceptTime: row.median_accept_minutes === null ? '—' : spanText(row.median_accept_minutes),
    resolveTime: row.median_resolve_hours === null ? '—' : spanText(row.median_resolve_hours * 60),
    rated: row.rated,
  };
}

Component({
  data: {
    loadState: 'loading', // loading | ready | error
    workers: [],
    grids: [],
    availability: null,
    switching: false,
  },

  methods: {
    onLoad() {
      return this.load();
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    load() {
      if (this.data.loadState !== 'ready') this.setData({ loadState: 'loading' });
      get('/api/v1/cases/availability', undefined, { silent: true })
        .then((availability) => this.setData({ availability }), () => {});
      return get('/api/v1/cases/stats', undefined, { silent: true }).then(
        (stats) => this.setData({
          loadState: 'ready',
          workers: stats.workers.map(describeRow),
          grids: stats.grids.map(describeRow),
        }),
        () => this.setData({ loadState: 'error' }),
      );
    },

    onAvailabilityChange(e) {
      if (this.data.switching) return Promise.resolve();
      const away = !e.detail.value; // the switch reads 接单中
      this.setData({ switching: true });
      return request({ url: '/api/v1/cases/availability', method: 'PUT', data: { away } })
        .then((availability) => {
          this.setData({ availability });
          wx.showToast({ title: away ? '已暂停接单' : '已恢复接单', icon: 'none' });
        })
        .catch(() => {})
        .then(() => this.setData({ switching: false }));
    },
  },
});
