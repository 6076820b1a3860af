/** 爱心超市 — items priced in points; redeeming asks for confirmation and gives a pickup code. */
const {
  api, confirm, myCommunityId, formatPickupCode,
} = require('../../../utils/volunteer');

Component({
  data: {
    balance: null,
    rewards: [],
    loading: true,
    error: '',
    busyId: null, // the reward being redeemed
  },

  methods: {
    onLoad() {
      this.community = myCommunityId(); // the shop of the resident's own community, when known
    },

    onShow() {
      this.load();
    },

    onPullDownRefresh() {
      return this.load().then(() => wx.stopPullDownRefresh());
    },

    load() {
      this.setData({ loading: !this.data.rewards.length, error: '' });
      const rewards = (this.community || Promise.resolve(null)).then((communityId) => api.rewards({ communityId }));
      return Promise.all([api.myVolunteering(), rewards])
        .then(([summary, items]) => this.setData({ balance: summary.points_balance, rewards: items, loading: false }))
        .catch((error) => this.setData({ loading: false, error: this.data.rewards.length ? '' : error.message }));
    },

    onRedeem(e) {
      const { rewardId } = e.detail;
      const reward = this.data.rewards.find((r) => r.id === rewardId);
      if (!reward || this.data.busyId || this.confirming) return Promise.resolve(); // one redemption per tap
      const content = `兑换「${reward.name}」将使用 ${reward.points} 积分（您现有 ${this.data.balance} 积分），兑换后凭取货码到社区爱心超市领取。`;
      this.confirming = true;
      return confirm({ title: '确认兑换', content, confirmText: '确认兑换' }).then((ok) => {
        this.confirming = false;
        if (!ok) return null;
        this.setData({ busyId: rewardId });
        return api.redeem(rewardId)
          .then((redemption) => this.showPickupCode(redemption), () => {}) // refusals are toasted by the request module
          .then(() => this.load())
          .then(() => this.setData({ busyId: null }));
      });
    },

    showPickupCode(redemption) {
      wx.showModal({
        title: '兑换成功',
        content: `取货码：${formatPickupCode(redemption.pickup_code)}\n请到社区爱心超市出示取货码领取「${redemption.reward_name}」。可在“我的取货码”中随时查看。`,
        showCancel: false,
        confirmText: '知道了',
      });
    },

    onRetry() {
      this.load();
    },

    goPickups() {
      wx.navigateTo({ url: '/pages/volunteer/pickups/pickups' });
    },
  },
});
