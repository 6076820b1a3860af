/** Topics — 协商议事: the community's topics by phase, my proposals, and the way to propose one. */
const { get } = require('../../utils/request');
const { api, PAGE_SIZE, managesTopics } = require('../../utils/topics');

const TABS = [
  { key: 'discussion', label: '讨论中', query: { phase: 'discussion' } },
  { key: 'voting', label: '投票中', query: { phase: 'voting' } },
  { key: 'closed', label: '已结束', query: { phase: 'closed' } },
  { key: 'mine', label: '我发起的', query: { view: 'mine' } },
];

Component({
  data: {
    tabs: TABS,
    active: 'discussion',
    topics: [],
    page: 0,
    hasMore: false,
    loading: false,
    error: '',
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

    onPullDownRefresh() {
      return this.reload().then(() => wx.stopPullDownRefresh());
    },

    onReachBottom() {
      if (this.data.hasMore && !this.data.loading) return this.loadPage(this.data.page + 1);
      return Promise.resolve();
    },

    loadManager() {
      return get('/api/v1/me', undefined, { silent: true })
        .then((me) => this.setData({ manager: managesTopics(me) }))
        .catch(() => {});
    },

    onTabTap(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.active) return Promise.resolve();
      this.setData({ active: key, topics: [] });
      return this.reload();
    },

    reload() {
      return this.loadPage(1);
    },

    loadPage(page) {
      const tab = TABS.find((t) => t.key === this.data.active);
      this.seq = (this.seq || 0) + 1;
      const seq = this.seq;
      this.setData({ loading: true, error: '' });
      return api.list(Object.assign({ page }, tab.query), { silent: true })
        .then((topics) => {
          if (seq !== this.seq) return; // a newer tab or refresh has taken over
          this.setData({
            topics: page === 1 ? topics : this.data.topics.concat(topics),
            page,
            hasMore: topics.length === PAGE_SIZE,
            loading: false,
          });
        })
        .catch((error) => {
          if (seq !== this.seq) return;
          this.setData({ loading: false, error: error.message || '加载失败' });
        });
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
