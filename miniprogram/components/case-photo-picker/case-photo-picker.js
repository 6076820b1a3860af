/**
 * CasePhotoPicker — 上传照片: choose photos (camera or album) and upload each one right away, one at
 * a time so a weak connection is not flooded. A failed upload stays with 重试; emits `change` with
 * {ids, uploading, failed} whenever that changes, so the form knows what it may submit.
 */
const { upload } = require('../../utils/request');
const { MAX_PHOTOS, MAX_PHOTO_BYTES } = require('../../utils/cases');

let nextKey = 1;

Component({
  properties: {
    max: { type: Number, value: MAX_PHOTOS },
    disabled: { type: Boolean, value: false },
  },

  data: {
    items: [], // [{key, path, state: waiting | uploading | done | failed, id}]
  },

  methods: {
    onAdd() {
      const room = this.data.max - this.data.items.length;
      if (this.data.disabled || room <= 0) return;
      wx.chooseMedia({
        count: room,
        mediaType: ['image'],
        sourceType: ['album', 'camera'],
        sizeType: ['compressed'],
        success: (res) => this.addFiles(res.tempFiles || []),
        fail: () => {}, // cancelled
      });
    },

    addFiles(files) {
      const fitting = files.filter((file) => !file.size || file.size <= MAX_PHOTO_BYTES);
      if (fitting.length < files.length) wx.showToast({ title: '照片不能超过 5 MB', icon: 'none' });
      const added = fitting.slice(0, this.data.max - this.data.items.length).map((file) => {
        nextKey += 1;
        return { key: `p${nextKey}`, path: file.tempFilePath, state: 'waiting', id: null };
      });
      if (!added.length) return Promise.resolve();
      this.setData({ items: this.data.items.concat(added) });
      this.emitChange();
      return this.uploadNext();
    },

    uploadNext() {
      const { items } = this.data;
      if (items.some((item) => item.state === 'uploading')) return Promise.resolve();
      const index = items.findIndex((item) => item.state === 'waiting');
      if (index === -1) return Promise.resolve();
      const { key, path } = items[index];
      this.setItem(key, { state: 'uploading' });
      return upload('/api/v1/uploads', path, undefined, { silent: true })
        .then(
          (media) => this.setItem(key, { state: 'done', id: media.id }),
          (error) => {
            this.setItem(key, { state: 'failed' });
            wx.showToast({ title: error.message || '照片上传失败', icon: 'none' });
          },
        )
        .then(() => this.uploadNext());
    },

    setItem(key, values) {
      const index = this.data.items.findIndex((item) => item.key === key);
      if (index === -1) return; // removed while uploading
      const changes = {};
      Object.keys(values).forEach((name) => { changes[`items[${index}].${name}`] = values[name]; });
      this.setData(changes);
      this.emitChange();
    },

    emitChange() {
      const { items } = this.data;
      this.triggerEvent('change', {
        ids: items.filter((item) => item.state === 'done').map((item) => item.id),
        uploading: items.some((item) => item.state === 'waiting' || item.state === 'uploading'),
        failed: items.filter((item) => item.state === 'failed').length,
      });
    },

    onItemTap(e) {
      const index = Number(e.currentTarget.dataset.index);
      const item = this.data.items[index];
      if (!item) return Promise.resolve();
      if (item.state === 'failed') {
        this.setItem(item.key, { state: 'waiting' });
        return this.uploadNext();
      }
      wx.previewImage({ current: item.path, urls: this.data.items.map((each) => each.path) });
      return Promise.resolve();
    },

    onRemove(e) {
      if (this.data.disabled) return;
      const index = Number(e.currentTarget.dataset.index);
      this.setData({ items: this.data.items.filter((_, i) => i !== index) });
      this.emitChange();
    },
  },
});
