/**
 * TopicComment — 一条评论: author, stance, text, and what the viewer may do with it. Hidden and
 * deleted comments stay as placeholders so replies keep their place; a held one (awaiting review)
 * is shown to its author with a note. Emits `reply`, `report` and `moderate` with {id, comment}.
 */
const { formatTime } = require('../../utils/topics');

const PLACEHOLDERS = {
  hidden: '该评论已被隐藏',
  deleted: '该评论已删除',
};

Component({
  properties: {
    comment: { type: Object, value: null }, // a TopicComment from the comments endpoint
    reply: { type: Boolean, value: false }, // shown under a top-level comment
    canReply: { type: Boolean, value: false }, // the discussion is open to the viewer
    canModerate: { type: Boolean, value: false },
  },

  data: {
    view: null,
  },

  observers: {
    'comment, reply, canReply': function describe(comment, reply, canReply) {
      if (!comment) {
        this.setData({ view: null });
        return;
      }
      const visible = comment.status === 'visible';
      this.setData({
        view: {
          id: comment.id,
          author: comment.author ? comment.author.nickname || '居民' : '',
          stance: comment.stance || '',
          body: comment.body,
          placeholder: comment.body ? '' : PLACEHOLDERS[comment.status] || '',
          held: comment.status === 'held',
          moderatedNote: comment.body && comment.status === 'hidden' ? '已隐藏（仅管理员可见）' : '',
          pinned: !!comment.pinned,
          locked: !!comment.locked,
          edited: !!comment.edited,
          time: formatTime(comment.created_at),
          showReply: canReply && !reply && visible && !comment.locked,
          showReport: visible && !comment.mine,
        },
      });
    },
  },

  methods: {
    emit(name) {
      this.triggerEvent(name, { id: this.data.comment.id, comment: this.data.comment });
    },
    onReply() { this.emit('reply'); },
    onReport() { this.emit('report'); },
    onModerate() { this.emit('moderate'); },
  },
});
