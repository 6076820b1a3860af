/**
 * VolunteerRewardCard — 爱心超市商品: name, price in points, stock, and 兑换 (or why not: 积分不足,
 * 已兑完, 已下架). Emits `redeem` ({rewardId}); `busy` disables it while the page redeems.
 */
const { rewardAction } = require('../../utils/volunteer');

Component({
  properties: {
    reward: { type: Object, value: null }, // an item of GET /api/v1/rewards
    balance: { type: null, value: null }, // my points balance, null while unknown
    busy: { type: Boolean, value: false },
  },

  data: {
    action: { label: '兑换', disabled: true },
  },

  observers: {
    'reward, balance': function describe(reward, balance) {
      if (reward) this.setData({ action: rewardAction(reward, balance) });
    },
  },

  methods: {
    onRedeem() {
      if (this.data.busy || this.data.action.disabled) return;
      this.triggerEvent('redeem', { rewardId: this.data.reward.id });
    },
  },
});
