/**
 * @jest-environment node
 *
 * Every WXML and WXSS file of the project compiles with WeChat's own compilers.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { listSources, compileWxml, compileWxss } = require('./support/wx-compile');

const ROOT = path.resolve(__dirname, '..');
const sources = listSources(ROOT);

test('the checker sees the project sources and skips build output', () => {
  expect(sources.wxml).toEqual(expect.arrayContaining([
    'pages/home/home.wxml', 'pages/profile/profile.wxml', 'components/role-badge/role-badge.wxml']));
  expect(sources.wxss).toEqual(expect.arrayContaining(['app.wxss', 'pages/home/home.wxss']));
  const all = [...sources.wxml, ...sources.wxss, ...sources.wxs];
  expect(all.filter((f) => /(^|\/)(node_modules|miniprogram_npm)\//.test(f))).toEqual([]);
});

test.each(sources.wxml)('wcc compiles %s', (file) => {
  expect(compileWxml(ROOT, file, sources.wxs)).toEqual({ ok: true, error: '' });
});

test.each(sources.wxss)('wcsc compiles %s', (file) => {
  expect(compileWxss(ROOT, file)).toEqual({ ok: true, error: '' });
});

describe('the checker rejects broken files', () => {
  let dir;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linli-compile-'));
    const files = {
      'good.wxml': '<view class="a">{{title}}</view>\n<t-button bind:tap="go">好</t-button>\n',
      'unclosed.wxml': '<view>\n  <text>少了结束标签</view>\n',
      'bad-expression.wxml': '<view>{{count + }}</view>\n',
      'good.wxss': '@import "./shared.wxss";\n.a { color: red; padding: 10rpx; }\n',
      'shared.wxss': '.b { margin: 0; }\n',
      'broken.wxss': '.a { color: red;\n.b {{ margin: 0; }\n',
      'missing-import.wxss': '@import "./nowhere.wxss";\n.a { color: red; }\n',
    };
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('valid files pass', () => {
    expect(compileWxml(dir, 'good.wxml', [])).toEqual({ ok: true, error: '' });
    expect(compileWxss(dir, 'good.wxss')).toEqual({ ok: true, error: '' });
  });

  test('a WXML tag left open fails with file and position', () => {
    const result = compileWxml(dir, 'unclosed.wxml', []);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/unclosed\.wxml:2:\d+: expect end-tag `text`/);
  });

  test('a broken WXML expression fails', () => {
    const result = compileWxml(dir, 'bad-expression.wxml', []);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/bad-expression\.wxml:1:\d+: Bad value/);
  });

  test('a WXSS syntax error fails with file and position', () => {
    const result = compileWxss(dir, 'broken.wxss');
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/broken\.wxss\(2:\d+\)/);
  });

  test('a WXSS import of a missing file fails', () => {
    const result = compileWxss(dir, 'missing-import.wxss');
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/nowhere\.wxss` not found/);
  });
});
