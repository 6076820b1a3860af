/** The topic-* components in miniprogram-simulate: stance chips, ballot options, result bars, cards, comments. */
const { render, flush } = require('./support/simulate');

const texts = (comp, selector) => comp.querySelectorAll(selector).map((node) => node.dom.textContent.trim());

let toasts;
beforeEach(() => {
  toasts = [];
  jest.spyOn(wx, 'showToast').mockImplementation((options) => toasts.push(options));
});
afterEach(() => jest.restoreAllMocks());

describe('topic-stance-chip', () => {
  test('editable: three chips; a tap selects, a second tap clears, each emits change', async () => {
    const comp = render('components/topic-stance-chip/topic-stance-chip', { editable: true });
    await flush();
    expect(texts(comp, '.stance-chip')).toEqual(['支持', '反对', '中立']);
    const changes = [];
    comp.addEventListener('change', (event) => changes.push(event.detail.value));

    const against = comp.querySelectorAll('.stance-chip')[1];
    against.dispatchEvent('tap');
    await flush();
    expect(comp.data.value).toBe('against');
    expect(comp.querySelectorAll('.stance-chip--on').map((n) => n.dom.textContent.trim())).toEqual(['反对']);

    comp.querySelectorAll('.stance-chip')[0].dispatchEvent('tap');
    await flush();
    comp.querySelectorAll('.stance-chip')[0].dispatchEvent('tap');
    await flush();
    expect(changes).toEqual(['against', 'for', null]);
    expect(comp.querySelectorAll('.stance-chip--on')).toHaveLength(0);
  });

  test('disabled chips ignore taps; read-only shows only the chosen stance', async () => {
    const editable = render('components/topic-stance-chip/topic-stance-chip', { editable: true, disabled: true });
    await flush();
    const changes = [];
    editable.addEventListener('change', (event) => changes.push(event.detail.value));
    editable.querySelectorAll('.stance-chip')[2].dispatchEvent('tap');
    await flush();
    expect(changes).toEqual([]);

    const shown = render('components/topic-stance-chip/topic-stance-chip', { value: 'neutral' });
    await flush();
    expect(shown.dom.textContent.trim()).toBe('中立');
    const none = render('components/topic-stance-chip/topic-stance-chip', {});
    await flush();
    expect(none.dom.textContent.trim()).toBe('');
  });
});

describe('topic-ballot-options', () => {
  const options = [{ id: 11, label: '3 幢旁' }, { id: 12, label: '5 幢旁' }, { id: 13, label: '北门' }];

  test('single choice: a tap replaces the choice', async () => {
    const comp = render('components/topic-ballot-options/topic-ballot-options', { options, maxChoices: 1 });
    await flush();
    expect(texts(comp, '.ballot-option')).toEqual(['3 幢旁', '5 幢旁', '北门']);
    expect(comp.dom.textContent).not.toContain('多选');
    const changes = [];
    comp.addEventListener('change', (event) => changes.push(event.detail.value));
    comp.querySelectorAll('.ballot-option')[0].dispatchEvent('tap');
    await flush();
    comp.querySelectorAll('.ballot-option')[2].dispatchEvent('tap');
    await flush();
    expect(changes).toEqual([[11], [13]]);
    expect(texts(comp, '.ballot-option--checked')).toEqual(['北门']);
  });

  test('multiple choice: toggles up to the maximum, and says so beyond it', async () => {
    const comp = render('components/topic-ballot-options/topic-ballot-options', { options, maxChoices: 2 });
    await flush();
    expect(comp.dom.textContent).toContain('多选，最多可选 2 项');
    const rows = () => comp.querySelectorAll('.ballot-option');
    rows()[0].dispatchEvent('tap');
    await flush();
    rows()[1].dispatchEvent('tap');
    await flush();
    rows()[2].dispatchEvent('tap'); // a third: refused
    await flush();
    expect(comp.data.value).toEqual([11, 12]);
    expect(toasts).toEqual([{ title: '最多可选 2 项', icon: 'none' }]);
    rows()[0].dispatchEvent('tap'); // untick
    await flush();
    expect(comp.data.value).toEqual([12]);
  });

  test('disabled options do not change', async () => {
    const comp = render('components/topic-ballot-options/topic-ballot-options', { options, maxChoices: 1, disabled: true });
    await flush();
    comp.querySelectorAll('.ballot-option')[0].dispatchEvent('tap');
    await flush();
    expect(comp.data.value).toEqual([]);
  });
});

describe('topic-result-bars', () => {
  const counted = [
    { id: 1, label: '赞成', count: 2, percent: 66.7, winner: true },
    { id: 2, label: '反对', count: 1, percent: 33.3, winner: false },
    { id: 3, label: '弃权', count: 0, percent: 0, winner: false },
  ];

  test('shows counts, percentages, bar widths and the winner', async () => {
    const comp = render('components/topic-result-bars/topic-result-bars', { options: counted });
    await flush();
    const text = comp.dom.textContent;
    expect(text).toContain('2 票 · 66.7%');
    expect(text).toContain('1 票 · 33.3%');
    expect(text).toContain('0 票 · 0%');
    expect(texts(comp, '.result-bar__winner')).toEqual(['胜出']);
    expect(comp.querySelectorAll('.result-bar__fill').map((n) => n.dom.getAttribute('style'))).toEqual(
      ['width: 66.7%;', 'width: 33.3%;', 'width: 0%;']);
    expect(text).not.toContain('投票结束后公布');
  });

  test('hidden counts: options only, no numbers and no bars, with a note', async () => {
    const hidden = counted.map((o) => ({ ...o, count: null, percent: null, winner: false }));
    const comp = render('components/topic-result-bars/topic-result-bars', { options: hidden, countsHidden: true });
    await flush();
    const text = comp.dom.textContent;
    expect(texts(comp, '.result-bar__label')).toEqual(['赞成', '反对', '弃权']);
    expect(text).not.toMatch(/\d+ 票/);
    expect(text).not.toContain('%');
    expect(comp.querySelectorAll('.result-bar__track')).toHaveLength(0);
    expect(text).toContain('本议题设置为投票结束后公布票数');
  });
});

describe('topic-card', () => {
  const summary = {
    id: 7, title: '在 3 幢旁新建非机动车棚', phase: 'discussion', support_count: 3, support_threshold: 20,
    on_agenda: false, closes_at: null, outcome: null, response_overdue: false, created_at: '2026-11-29T05:35:41+00:00',
  };

  test('a topic in discussion shows its supports toward the threshold; a tap opens it', async () => {
    const comp = render('components/topic-card/topic-card', { topic: summary });
    await flush();
    const text = comp.dom.textContent;
    expect(text).toContain('讨论中');
    expect(text).toContain('在 3 幢旁新建非机动车棚');
    expect(text).toContain('已附议 3 / 20');
    expect(comp.querySelector('.topic-card__fill').dom.getAttribute('style')).toBe('width: 15%;');
    const opened = [];
    comp.addEventListener('open', (event) => opened.push(event.detail));
    comp.querySelector('.topic-card').dispatchEvent('tap');
    await flush();
    expect(opened).toEqual([{ id: 7 }]);
  });

  test('closed topics show the outcome and an overdue response', async () => {
    const comp = render('components/topic-card/topic-card', {
      topic: { ...summary, phase: 'closed', outcome: 'no_quorum', response_overdue: true },
    });
    await flush();
    const text = comp.dom.textContent;
    expect(text).toContain('已结束');
    expect(text).toContain('表决结果：未达到法定投票人数');
    expect(text).toContain('答复已逾期');
    expect(text).not.toContain('已附议');
  });
});

describe('topic-comment', () => {
  const comment = {
    id: 5, topic_id: 7, parent_id: null, status: 'visible', body: '支持，早该建了', stance: 'for',
    author: { id: 4, nickname: '邻居2' }, mine: false, pinned: true, locked: false, edited: false,
    created_at: '2026-11-29T05:35:42+00:00',
  };

  test('shows author, stance and text; reply and report emit with the comment', async () => {
    const comp = render('components/topic-comment/topic-comment', { comment, canReply: true });
    await flush();
    const text = comp.dom.textContent;
    expect(text).toContain('邻居2');
    expect(text).toContain('支持');
    expect(text).toContain('支持，早该建了');
    expect(text).toContain('置顶');
    expect(comp.querySelector('.topic-comment__moderate')).toBeUndefined();
    const events = [];
    comp.addEventListener('reply', (event) => events.push(['reply', event.detail.id]));
    comp.addEventListener('report', (event) => events.push(['report', event.detail.id]));
    comp.querySelector('.topic-comment__reply').dispatchEvent('tap');
    comp.querySelector('.topic-comment__report').dispatchEvent('tap');
    await flush();
    expect(events).toEqual([['reply', 5], ['report', 5]]);
  });

  test('no reply under a reply or on a locked thread; no report of my own comment', async () => {
    const reply = render('components/topic-comment/topic-comment', { comment: { ...comment, parent_id: 1 }, reply: true, canReply: true });
    await flush();
    expect(reply.querySelector('.topic-comment__reply')).toBeUndefined();
    const locked = render('components/topic-comment/topic-comment', { comment: { ...comment, locked: true }, canReply: true });
    await flush();
    expect(locked.querySelector('.topic-comment__reply')).toBeUndefined();
    expect(locked.dom.textContent).toContain('已锁定');
    const mine = render('components/topic-comment/topic-comment', { comment: { ...comment, mine: true }, canReply: true });
    await flush();
    expect(mine.querySelector('.topic-comment__report')).toBeUndefined();
  });

  test('hidden and deleted comments are placeholders; a held one tells its author', async () => {
    const hidden = render('components/topic-comment/topic-comment', {
      comment: { ...comment, status: 'hidden', body: '', stance: null, author: null }, canReply: true,
    });
    await flush();
    expect(hidden.dom.textContent).toContain('该评论已被隐藏');
    expect(hidden.querySelector('.topic-comment__reply')).toBeUndefined();
    expect(hidden.querySelector('.topic-comment__report')).toBeUndefined();
    const deleted = render('components/topic-comment/topic-comment', { comment: { ...comment, status: 'deleted', body: '', author: null } });
    await flush();
    expect(deleted.dom.textContent).toContain('该评论已删除');
    const held = render('components/topic-comment/topic-comment', { comment: { ...comment, status: 'held', mine: true } });
    await flush();
    expect(held.dom.textContent).toContain('审核中，仅你自己可见');
  });

  test('moderators see a 管理 action, and the text of a hidden comment', async () => {
    const comp = render('components/topic-comment/topic-comment', {
      comment: { ...comment, status: 'hidden' }, canModerate: true,
    });
    await flush();
    expect(comp.dom.textContent).toContain('支持，早该建了');
    expect(comp.dom.textContent).toContain('已隐藏（仅管理员可见）');
    const events = [];
    comp.addEventListener('moderate', (event) => events.push(event.detail.comment.id));
    comp.querySelector('.topic-comment__moderate').dispatchEvent('tap');
    await flush();
    expect(events).toEqual([5]);
  });
});
