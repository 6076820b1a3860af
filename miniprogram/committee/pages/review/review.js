/**
 * Committee — 议事管理 (`committee/pages/review/review`, the page a new proposal's notice opens):
 * proposals waiting for review first, then the topics in each phase and the overdue responses.
 */
const { get } = require('../../../utils/request');
const { api, committeeCommunityIds } = require('../../../utils/topics');
const pagedList = require('../../../behaviors/paged-list');

const TABS = [
  { key: 'pending_review', label: '待审核', query: { phase: 'pending_review' }, empty: '没有待审核的议题' },
  { key: 'discussion', label: '讨论中', query: { phase: 'discussion' }, empty: '没有讨论中的议题' },
  { key: 'voting', label: '投票中', query: { phase: 'voting' }, empty: '没有投票中的议题' },
  { key: 'closed', label: '已结束', query: { phase: 'closed' }, empty: '没有已结束的议题' },
  { key: 'overdue', label: '答复逾期', query: { overdue: true }, empty: '没有逾期未答复的议题' },
];

Component({
  behaviors: [pagedList],

  data: {
    tabs: TABS,
    active: 'pending_review',
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
      return this.reload();
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
