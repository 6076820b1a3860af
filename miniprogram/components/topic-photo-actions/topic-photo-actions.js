/**
 * TopicPhotoActions — 照片审核按钮: 通过 and 不予展示 for a photo the image check held, shown to its managers.
 *
 * Emits `decide` with {id, decision: 'pass' | 'risky'}; `behaviors/photo-decisions` asks and sends.
 * While `deciding` ({id, decision}) is set, both buttons are disabled and the one in flight spins.
 */
Component({
  properties: {
    photoId: { type: Number, value: 0 },
    deciding: { type: Object, value: null },
  },

  methods: {
    onTap(e) {
      this.triggerEvent('decide', { id: this.data.photoId, decision: e.currentTarget.dataset.decision });
    },
  },
});
