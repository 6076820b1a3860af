/**
 * CasePhotos — 照片: thumbnails of case photos (which need the bearer token, so they are downloaded
 * first); a tap opens the full-size photos, a tap on a failed one tries again.
 */
const { photoPath } = require('../../utils/cases');

Component({
  properties: {
    photos: { type: Array, value: [] }, // [{id, url, thumbnail_url}]
    size: { type: String, value: 'normal' }, // normal | small
  },

  data: {
    items: [], // [{id, path, state: loading | ready | failed}]
  },

  observers: {
    photos(photos) {
      this.generation = (this.generation || 0) + 1;
      const list = photos || [];
      this.setData({ items: list.map((photo) => ({ id: photo.id, path: '', state: 'loading' })) });
      list.forEach((photo, index) => this.loadThumbnail(photo, index));
    },
  },

  methods: {
    loadThumbnail(photo, index) {
      const generation = this.generation;
      return photoPath(photo.thumbnail_url || photo.url).then(
        (path) => this.showItem(generation, index, { path, state: 'ready' }),
        () => this.showItem(generation, index, { path: '', state: 'failed' }),
      );
    },

    showItem(generation, index, values) {
      if (generation !== this.generation) return; // the photos changed meanwhile
      this.setData({ [`items[${index}].path`]: values.path, [`items[${index}].state`]: values.state });
    },

    onTap(e) {
      const { index } = e.currentTarget.dataset;
      const photos = this.data.photos || [];
      const item = this.data.items[index];
      if (!item) return Promise.resolve();
      if (item.state === 'failed') {
        this.setData({ [`items[${index}].state`]: 'loading' });
        return this.loadThumbnail(photos[index], index);
      }
      wx.showLoading({ title: '加载中' });
      return Promise.all(photos.map((photo) => photoPath(photo.url)))
        .then((paths) => {
          wx.hideLoading();
          wx.previewImage({ current: paths[index], urls: paths });
        })
        .catch(() => {
          wx.hideLoading();
          wx.showToast({ title: '图片加载失败，请稍后重试', icon: 'none' });
        });
    },
  },
});
