/**
 * Services — 便民服务: the service catalogue by group, each with how soon someone responds; a tap
 * opens the request form with that service chosen.
 */
const { get } = require('../../../utils/request');
const { spanText } = require('../../../utils/cases');

function describeGroups(groups) {
  return groups
    .filter((group) => (group.children || []).length)
    .map((group) => ({
      code: group.code,
      name: group.name,
      services: group.children.map((child) => ({
        code: child.code,
        name: child.name,
        urgent: child.urgent,
        promise: `${spanText(child.accept_minutes)}内响应`,
      })),
    }));
}

Component({
  data: {
    loadState: 'loading', // loading | ready | error
    groups: [],
  },

  methods: {
    onLoad() {
      return this.load();
    },

    load() {
      this.setData({ loadState: 'loading' });
      return get('/api/v1/case-categories', { kind: 'service' }, { silent: true }).then(
        (groups) => this.setData({ groups: describeGroups(groups), loadState: 'ready' }),
        () => this.setData({ loadState: 'error' }),
      );
    },

    onServiceTap(e) {
      wx.navigateTo({ url: `/pages/cases/report/report?kind=service&category=${e.currentTarget.dataset.code}` });
    },

    goMine() {
      wx.navigateTo({ url: '/pages/cases/mine/mine' });
    },
  },
});
