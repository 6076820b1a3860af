/**
 * Checks WXML and WXSS with WeChat's own compilers (wcc / wcsc from miniprogram-compiler).
 *
 * The binaries are called directly: the package's wxss wrapper returns its error instead of throwing
 * it. Both compilers resolve imports only among the files they are given, so a WXML file is compiled
 * together with every .wxs module, and a WXSS file together with the files it @imports.
 */
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const SKIPPED_DIRS = new Set(['node_modules', 'miniprogram_npm', 'coverage']);

function compilerPath(name) {
  const pkgDir = path.dirname(require.resolve('miniprogram-compiler/package.json'));
  const platform = { darwin: 'mac', linux: 'linux', win32: 'windows' }[process.platform];
  if (!platform) throw new Error(`miniprogram-compiler has no ${name} binary for ${process.platform}`);
  const binary = path.join(pkgDir, 'bin', platform, process.platform === 'win32' ? `${name}.exe` : name);
  // npm installs the binaries without the execute bit.
  if (process.platform !== 'win32') fs.chmodSync(binary, 0o755);
  return binary;
}

/** Every .wxml, .wxss and .wxs file under root (posix paths relative to root), skipping build output. */
function listSources(root) {
  const found = { wxml: [], wxss: [], wxs: [] };
  (function walk(dir) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(full);
        continue;
      }
      const ext = path.extname(entry.name).slice(1);
      if (found[ext]) found[ext].push(path.relative(root, full).split(path.sep).join('/'));
    }
  })(root);
  Object.values(found).forEach((list) => list.sort());
  return found;
}

function run(binary, args, cwd) {
  const result = spawnSync(binary, args, { cwd, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  const stderr = result.stderr.toString().trim();
  const ok = result.status === 0 && !/^ERR/m.test(stderr);
  return { ok, error: ok ? '' : stderr || `exit status ${result.status}` };
}

/** Compile one WXML file (relative to root); returns {ok, error}. */
function compileWxml(root, file, wxsFiles = listSources(root).wxs) {
  return run(compilerPath('wcc'), ['-d', '-cc', '0', file, ...wxsFiles, '-gn', '$gwx'], root);
}

/** The .wxss files `file` imports, directly or not (root-relative). */
function wxssImports(root, file, seen = new Set()) {
  const source = fs.readFileSync(path.join(root, file), 'utf8');
  const pattern = /@import\s+(?:url\()?\s*['"]([^'"]+)['"]/g;
  let match;
  while ((match = pattern.exec(source))) {
    const target = match[1].startsWith('/')
      ? match[1].slice(1)
      : path.posix.normalize(path.posix.join(path.posix.dirname(file), match[1]));
    if (!seen.has(target) && fs.existsSync(path.join(root, target))) {
      seen.add(target);
      wxssImports(root, target, seen);
    }
  }
  return [...seen];
}

/** Compile one WXSS file (relative to root) with what it imports; returns {ok, error}. */
function compileWxss(root, file) {
  return run(compilerPath('wcsc'), ['-db', '-js', file, ...wxssImports(root, file)], root);
}

module.exports = { listSources, compileWxml, compileWxss };
