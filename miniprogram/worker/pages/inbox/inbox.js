/**
 * Task inbox — 我的任务: the open cases assigned to me, overdue first (the server's order), with
 * counts, and a banner when routing has paused my tasks (三次超时未受理) with a way back.
 */
const { get, request } = require('../../../utils/request');

const MAX_TASKS = 100; // one page: a worker's open tasks, sorted overdue-first across all of them

function countTasks(items) {
  return {
    waiting: items.filter((item) => item.status === 'assigned').length,
    working: items.filter((item) => item.status === 'accepted' || item.status === 'in_progress').length,
    overdue: items.filter((item) => item.overdue).length,
  };
}

Component({
  data: {
    loadState: 'loading', // loading | ready | error
    items: [],
    counts: { waiting: 0, working: 0, overdue: 0 },
    away: false,
    resuming: false,
  },

  methods: {
    onShow() {
      return this.reload();
    },

    onPullDownRefresh() {
      return this.reload().then(() => wx.stopPullDownRefresh());
    },

    reload() {
      if (!this.data.items.length) this.setData({ loadState: 'loading' });
      get('/api/v1/cases/availability', undefined, { silent: true })
        .then((state) => this.setData({ away: !!state.away }), () => {});
      return get('/api/v1/cases', { view: 'assigned', open: true, page_size: MAX_TASKS }, { silent: true }).then(
        (items) => this.setData({ items, counts: countTasks(items), loadState: 'ready' }),
        (error) => {
          if (this.data.items.length) wx.showToast({ title: error.message, icon: 'none' });
          else this.setData({ loadState: 'error' });
        },
      );
    },

    onResume() {
      if (this.data.resuming) return Promise.resolve();
      this.setData({ resuming: true });
      return request({ url: '/api/v1/cases/availability', method: 'PUT', data: { away: false } })
        .then((state) => {
          this.setData({ away: !!state.away });
          wx.showToast({ title: '已恢复接单', icon: 'none' });
        })
        .catch(() => {})
        .then(() => this.setData({ resuming: false }));
    },

    onOpen(e) {
      wx.navigateTo({ url: `/worker/pages/task/task?id=${e.detail.id}` });
    },

    goGrid() {
      wx.navigateTo({ url: '/worker/pages/grid/grid' });
    },

    goStats() {
      wx.navigateTo({ url: '/worker/pages/stats/stats' });
    },
  },
});
