#!/usr/bin/env node
// Builds miniprogram_npm/ from package.json "dependencies", exactly as WeChat DevTools'
// "构建 npm" does. Uses miniprogram-ci's Node API: its CLI prints "done" but writes nothing.
const path = require('path');
const fs = require('fs');
const ci = require('miniprogram-ci');

const root = path.resolve(__dirname, '..');
const distDir = path.join(root, 'miniprogram_npm');

async function main() {
  fs.rmSync(distDir, { recursive: true, force: true });
  const result = await ci.packNpmManually({
    packageJsonPath: path.join(root, 'package.json'),
    miniprogramNpmDistDir: root,
  });
  if (result.warnList && result.warnList.length) {
    for (const w of result.warnList) console.warn(`[build:npm] ${w.jsPath || ''} ${w.msg || JSON.stringify(w)}`);
  }
  if (!fs.existsSync(path.join(distDir, 'tdesign-miniprogram', 'button', 'button.js'))) {
    throw new Error('miniprogram_npm/tdesign-miniprogram was not produced');
  }
  console.log(`[build:npm] miniprogram_npm/ built: ${result.miniProgramPackNum} mini-program package(s), ${result.otherNpmPackNum} other package(s)`);
}

main().catch((err) => {
  console.error(`[build:npm] failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
