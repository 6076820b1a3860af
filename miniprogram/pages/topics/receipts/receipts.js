/**
 * My receipts — 我的投票回执: the receipts kept on this phone, each copyable and checkable against the
 * server (counted? same choices?). Only this phone has them: the server never links a voter to a ballot.
 */
const {
  confirmAction, formatTime, listReceipts, forgetReceipt, verifyReceipt,
} = require('../../../utils/topics');

const entry = (stored) => Object.assign({}, stored, {
  castText: formatTime(stored.cast_at),
  choicesText: (stored.choices || []).join('、'),
  check: null,
});

Component({
  data: {
    receipts: [],
    checking: '',
  },

  methods: {
    onShow() {
      this.setData({ receipts: listReceipts().map(entry) });
    },

    find(e) {
      return this.data.receipts.find((r) => r.receipt === e.currentTarget.dataset.receipt);
    },

    onCopy(e) {
      const stored = this.find(e);
      if (stored) wx.setClipboardData({ data: stored.receipt });
    },

    onCheck(e) {
      const stored = this.find(e);
      if (!stored || this.data.checking) return Promise.resolve();
      this.setData({ checking: stored.receipt });
      return verifyReceipt(stored)
        .then((check) => this.setData({
          receipts: this.data.receipts.map((r) => (r.receipt === stored.receipt ? Object.assign({}, r, { check }) : r)),
        }))
        .catch(() => {}) // the request module shows the server's words (e.g. receipt not found)
        .then(() => this.setData({ checking: '' }));
    },

    onOpenTopic(e) {
      const stored = this.find(e);
      if (stored) wx.navigateTo({ url: `/pages/topics/detail/detail?id=${stored.topic_id}` });
    },

    onForget(e) {
      const stored = this.find(e);
      if (!stored) return Promise.resolve();
      return confirmAction({
        title: '删除本机记录',
        content: '删除后无法再找回这张回执（服务器也不保存），确定删除吗？',
        confirmText: '删除',
        confirmColor: '#d54941',
      }).then((confirmed) => {
        if (!confirmed) return;
        forgetReceipt(stored.receipt);
        this.setData({ receipts: this.data.receipts.filter((r) => r.receipt !== stored.receipt) });
      });
    },
  },
});
