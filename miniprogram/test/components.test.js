/** Custom components rendered in miniprogram-simulate. */
const { render, flush } = require('./support/simulate');

describe('role-badge', () => {
  test('names a staff role with its scope', async () => {
    const comp = render('components/role-badge/role-badge', { role: 'grid_worker', scopeName: '锦华苑一网格' });
    await flush();
    expect(comp.data.label).toBe('网格员 · 锦华苑一网格');
    expect(comp.data.theme).toBe('primary');
    expect(comp.dom.textContent).toContain('网格员 · 锦华苑一网格');
  });

  test('shows 居民 without a role and follows property changes', async () => {
    const comp = render('components/role-badge/role-badge', {});
    await flush();
    expect(comp.dom.textContent.trim()).toBe('居民');
    comp.setData({ role: 'committee', scopeName: '锦华社区' });
    await flush();
    expect(comp.dom.textContent.trim()).toBe('社区两委 · 锦华社区');
    comp.setData({ role: 'new_role_from_backend', scopeName: '' });
    await flush();
    expect(comp.dom.textContent.trim()).toBe('new_role_from_backend');
  });
});

describe('household-card', () => {
  const household = { id: 7, address: '锦华苑 3 栋 2 单元 501', building: '3 栋', grid_code: 'G-0101', grid_name: '锦华苑一网格' };

  test('shows the address, the grid and the verified badge', async () => {
    const comp = render('components/household-card/household-card', { household, verified: true });
    await flush();
    const text = comp.dom.textContent;
    expect(text).toContain('锦华苑 3 栋 2 单元 501');
    expect(text).not.toContain('501 3 栋'); // the building is already in the address
    expect(text).toContain('所属网格：锦华苑一网格');
    expect(text).toContain('已认证');
    expect(text).not.toContain('待认证');
  });

  test('an unverified member sees 待认证; no household shows how to join', async () => {
    const comp = render('components/household-card/household-card', { household: { ...household, building: '' }, verified: false });
    await flush();
    expect(comp.dom.textContent).toContain('待认证');
    comp.setData({ household: null });
    await flush();
    expect(comp.dom.textContent).toContain('尚未加入家庭');
    expect(comp.dom.textContent).not.toContain('所属网格');
  });

  test('a tap emits open with the household id', async () => {
    const comp = render('components/household-card/household-card', { household, verified: true });
    await flush();
    const opened = [];
    comp.addEventListener('open', (event) => opened.push(event.detail));
    comp.querySelector('.household-card').dispatchEvent('tap');
    await flush();
    expect(opened).toEqual([{ householdId: 7 }]);
  });
});
