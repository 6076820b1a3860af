/**
 * Photo decisions — 照片审核: a topic's manager passes a photo the image check held (通过) or keeps it
 * from residents (不予展示), after a confirmation, one photo at a time. The topic page and the
 * committee's moderation queue use it with the `topic-photo-actions` buttons (`bind:decide="onDecidePhoto"`).
 *
 * The page defines `photoDecided(photo)`, called with the server's {id, screening} once decided, and
 * `photoAlreadyDecided(id)`, called on a 409 (decided meanwhile, by another manager). Either may
 * return a promise. Data: `deciding`, {id, decision} while one is asked or in flight.
 */
const { api, confirmAction, PHOTO_DECISIONS } = require('../utils/topics');

module.exports = Behavior({
  data: {
    deciding: null,
  },

  methods: {
    onDecidePhoto(e) {
      const id = Number(e.detail.id);
      const { decision } = e.detail;
      const ask = PHOTO_DECISIONS[decision];
      if (this.data.deciding || !ask) return Promise.resolve();
      this.setData({ deciding: { id, decision } }); // before the question: a second tap asks nothing
      return confirmAction(ask)
        .then((confirmed) => confirmed && api.decidePhoto(id, decision, { silent: true })
          .then((photo) => {
            wx.showToast({ title: ask.done, icon: 'none' });
            return this.photoDecided(photo);
          })
          .catch((error) => {
            wx.showToast({ title: error.message, icon: 'none' });
            return error.status === 409 ? this.photoAlreadyDecided(id) : null;
          }))
        .then(() => this.setData({ deciding: null }));
    },
  },
});
