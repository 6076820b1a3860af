/** 我的取货码 — my redemptions with their pickup codes; an uncollected one can be cancelled (points back). */
const {
  api, appendPage, toastError, confirm, formatTime, formatPickupCode, redemptionStatusText,
} = require('../../../utils/volunteer');

function row(r) {
  return Object.assign({}, r, {
    code: formatPickupCode(r.pickup_code),
    statusText: redemptionStatusText(r.status),
    when: formatTime(r.created_at),
    collectedWhen: formatTime(r.collected_at),
  });
}

Component({
  data: {
    items: [],
    page: 1,
    more: false,
    loading: true,
    loadingMore: false,
    error: '',
    busyId: null,
  },

  methods: {
    onShow() {
      this.load(1);
    },

    onPullDownRefresh() {
      return this.load(1).then(() => wx.stopPullDownRefresh());
    },

    onReachBottom() {
      if (this.data.more && !this.data.loadingMore && !this.data.loading) this.load(this.data.page + 1);
    },

    load(page) {
      this.setData(page === 1 ? { loading: !this.data.items.length, error: '' } : { loadingMore: true });
      return api.myRedemptions({ page })
        .then((rows) => {
          const { items, more } = appendPage(this.data.items, rows.map(row), page);
          this.setData({ items, more, page, loading: false, loadingMore: false });
        })
        .catch((error) => {
          const inPlace = page === 1 && !this.data.items.length;
          this.setData({ loading: false, loadingMore: false, error: inPlace ? error.message : '' });
          if (!inPlace) toastError(error);
        });
    },

    onCancel(e) {
      const { id, name, points } = e.currentTarget.dataset;
      if (this.data.busyId) return Promise.resolve();
      return confirm({ title: '取消兑换', content: `取消「${name}」的兑换后，${points} 积分将退回。确定取消吗？`,
        confirmText: '确定取消', cancelText: '再想想' }).then((ok) => {
        if (!ok) return null;
        this.setData({ busyId: id });
        return api.cancelRedemption(id)
          .then(() => wx.showToast({ title: '已取消，积分已退回', icon: 'none' }), () => {})
          .then(() => this.load(1))
          .then(() => this.setData({ busyId: null }));
      });
    },

    onRetry() {
      this.load(1);
    },

    goShop() {
      wx.navigateTo({ url: '/pages/volunteer/shop/shop' });
    },
  },
});
