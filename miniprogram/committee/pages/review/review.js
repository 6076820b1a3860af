/**
 * Committee — 议事管理 (`committee/pages/review/review`, the page a new proposal's notice opens):
 * proposals waiting for review first, then the topics in each phase and the overdue responses.
 */
const { get } = require('../../../utils/request');
const { api, PAGE_SIZE, committeeCommunityIds } = require('../../../utils/topics');

const TABS = [
  { key: 'pending_review', label: '待审核', query: { phase: 'pending_review' }, empty: '没有待审核的议题' },
  { key: 'discussion', label: '讨论中', query: { phase: 'discussion' }, empty: '没有讨论中的议题' },
  { key: 'voting', label: '投票中', query: { phase: 'voting' }, empty: '没有投票中的议题' },
  { key: 'closed', label: '已结束', query: { phase: 'closed' }, empty: '没有已结束的议题' },
  { key: 'overdue', label: '答复逾期', query: { overdue: true }, empty: '没有逾期未答复的议题' },
];

Component({
  data: {
    tabs: TABS,
    active: 'pending_review',
    topics: [],
    page: 0,
    hasMore: false,
    loading: false,
    error: '',
    communityId: 0, // where this member may publish topics directly
  },

  methods: {
    onLoad(query) {
      if (TABS.some((t) => t.key === (query && query.tab))) this.setData({ active: query.tab });
      get('/api/v1/me', undefined, { silent: true })
        .then((me) => this.setData({ communityId: committeeCommunityIds(me)[0] || 0 }))
        .catch(() => {});
    },

    onShow() {
      return this.loadPage(1);
    },

    onPullDownRefresh() {
      return this.loadPage(1).then(() => wx.stopPullDownRefresh());
    },

    onReachBottom() {
      if (this.data.hasMore && !this.data.loading) return this.loadPage(this.data.page + 1);
      return Promise.resolve();
    },

    onTabTap(e) {
      const { key } = e.currentTarget.dataset;
      if (key === this.data.active) return Promise.resolve();
      this.setData({ active: key, topics: [] });
      return this.loadPage(1);
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
          if (seq !== this.seq) return;
          this.setData({
            topics: page === 1 ? topics : this.data.topics.concat(topics),
            page,
            hasMore: topics.length === PAGE_SIZE,
            loading: false,
          });
        })
        .catch((error) => {
          if (seq !== this.seq) return;
          this.setData({ loading: false, error: error.status === 403 ? '只有社区两委和街道管理人员可以使用此页面' : error.message || '加载失败' });
        });
    },

    onOpen(e) {
      wx.navigateTo({ url: `/committee/pages/topic/topic?id=${e.detail.id}` });
    },

    goModeration() {
      wx.navigateTo({ url: '/committee/pages/moderation/moderation' });
    },

    goCreate() {
      wx.navigateTo({ url: `/pages/topics/propose/propose?community_id=${this.data.communityId}` });
    },
  },
});
