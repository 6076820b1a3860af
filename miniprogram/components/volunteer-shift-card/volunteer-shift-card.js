/**
 * VolunteerShiftCard — 班次: when, where, places left or the waitlist, my sign-up, and the one button
 * that fits (报名 / 候补报名 / 取消报名 / 取消候补, or why nothing can be done). Emits `signup`,
 * `cancel` ({shiftId, signupId, late}) and `checkin` ({shiftId}); `busy` disables the button while the
 * page's request for this shift is in flight, so a second tap sends nothing.
 */
const { shiftAction, formatRange, formatTime, checkinOpen, parseTime } = require('../../utils/volunteer');

Component({
  properties: {
    shift: { type: Object, value: null }, // a shift of GET /api/v1/activities/{id}
    busy: { type: Boolean, value: false },
  },

  data: {
    when: '',
    deadline: '',
    cutoff: '',
    action: null,
    canCheckIn: false,
  },

  observers: {
    shift(shift) {
      if (!shift) return;
      const action = shiftAction(shift);
      this.setData({
        when: formatRange(shift.starts_at, shift.ends_at),
        deadline: formatTime(shift.signup_deadline),
        cutoff: formatTime(shift.cancel_cutoff),
        action,
        canCheckIn: action.key === 'confirmed' && checkinOpen(shift.starts_at, shift.ends_at),
      });
    },
  },

  methods: {
    onAction() {
      const { shift, action, busy } = this.data;
      if (busy || !action || action.disabled || !action.action) return;
      if (action.action === 'signup') {
        this.triggerEvent('signup', { shiftId: shift.id });
        return;
      }
      const cutoff = parseTime(shift.cancel_cutoff);
      this.triggerEvent('cancel', {
        shiftId: shift.id,
        signupId: shift.my_signup.id,
        late: action.key === 'confirmed' && !!cutoff && Date.now() > cutoff.getTime(),
      });
    },

    onCheckIn() {
      this.triggerEvent('checkin', { shiftId: this.data.shift.id });
    },
  },
});
