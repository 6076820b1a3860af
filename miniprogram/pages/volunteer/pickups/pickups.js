/** 我的取货码 — my redemptions with their pickup codes; an uncollected one can be cancelled (points back). */
const {
  api, confirm, formatTime, formatPickupCode, redemptionStatusText,
} = require('../../../utils/volunteer');
const pagedList = require('../../../behaviors/paged-list');

function row(r) {
  return Object.assign({}, r, {
    code: formatPickupCode(r.pickup_code),
    statusText: redemptionStatusText(r.status),
    when: formatTime(r.created_at),
    collectedWhen: formatTime(r.collected_at),
  });
}

Component({
  behaviors: [pagedList],

  data: {
    busyId: null,
  },

  methods: {
    onShow() {
      this.reload();
    },

    fetchPage(page) {
      return api.myRedemptions({ page }, { withHeaders: true });
    },

    listItem: row,

    onCancel(e) {
      const { id, name, points } = e.currentTarget.dataset;
      if (this.data.busyId) return Promise.resolve();
      return confirm({ title: '取消兑换', content: `取消「${name}」的兑换后，${points} 积分将退回。确定取消吗？`,
        confirmText: '确定取消', cancelText: '再想想' }).then((ok) => {
        if (!ok) return null;
        this.setData({ busyId: id });
        return api.cancelRedemption(id)
          .then(() => wx.showToast({ title: '已取消，积分已退回', icon: 'none' }), () => {})
          .then(() => this.reload())
          .then(() => this.setData({ busyId: null }));
      });
    },

    goShop() {
      wx.navigateTo({ url: '/pages/volunteer/shop/shop' });
    },
  },
});
