/** Topics — 协商议事: the community's topics by phase, my proposals, and the way to propose one. */
const { get } = require('../../utils/request');
const { api, managesTopics } = require('../../utils/topics');
const pagedList = require('../../behaviors/paged-list');

const TABS = [
  { key: 'discussion', label: '讨论中', query: { phase: 'discussion' } },
  { key: 'voting', label: '投票中', query: { phase: 'voting' } },
  { key: 'closed', label: '已结束', query: { phase: 'closed' } },
  { key: 'mine', label: '我发起的', query: { view: 'mine' } },
];

Component({
  behaviors: [pagedList],

  data: {
    tabs: TABS,
    active: 'discussion',
    manager: false,
  },

  methods: {
    onLoad(query) {
      const tab = TABS.find((t) => t.key === (query && query.tab));
      if (tab) this.setData({ active: tab.key });
    },

    onShow() {
      this.loadManager();
      return this.reload();
    },

    loadManager() {
      return get('/api/v1/me', undefined, { silent: true })
        .then((me) => this.setData({ manager: managesTopics(me) }))
        .catch(() => {});
    },

    onTabTap(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.active) return Promise.resolve();
      this.setData({ active: key });
      return this.reload({ clear: true });
    },

    fetchPage(page) {
      const tab = TABS.find((t) => t.key === this.data.active);
      return api.list(Object.assign({ page }, tab.query), { silent: true, withHeaders: true });
    },

    onOpen(e) {
      wx.navigateTo({ url: `/pages/topics/detail/detail?id=${e.detail.id}` });
    },

    goPropose() {
      wx.navigateTo({ url: '/pages/topics/propose/propose' });
    },

    goReceipts() {
      wx.navigateTo({ url: '/pages/topics/receipts/receipts' });
    },

    goCommittee() {
      wx.navigateTo({ url: '/committee/pages/review/review' });
    },
  },
});
