// Trunk's post-build step: builds the first-verdict engine (glance-engine.mjs), shrinks the
// WebAssembly (optimize-wasm.mjs), then makes the built site one immutable version.
//
// Every file the page loads, but index.html and the service worker, moves into
// v/<version>/, where <version> is a hash of all their contents, and index.html points there;
// the service worker is written with this version's file list and each file's SHA-256, so it
// installs a version whole or not at all and a page never mixes two versions' files. The file
// list is whatever trunk built: it is written nowhere else.
//
// Trunk runs it with TRUNK_STAGING_DIR set; by hand: node scripts/version-site.mjs DIR, on a
// folder laid out as trunk stages it (flat files, index.html, sw.js with its MANIFEST line)
// with the first-verdict engine already in it, as a built site's version folder has.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { buildGlance } from './glance-engine.mjs';
import { optimizeWasm } from './optimize-wasm.mjs';

const dir = process.argv[2] ?? process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('usage: node scripts/version-site.mjs DIR (or run by trunk, with TRUNK_STAGING_DIR)');
  process.exit(2);
}
if (process.env.TRUNK_STAGING_DIR) await buildGlance(dir);
await optimizeWasm(dir);

const ENTRY = 'index.html';
const SERVICE_WORKER = 'sw.js';
const MANIFEST_LINE = /^const MANIFEST = null;.*$/m;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/**
 * Adds a modulepreload link, after the page's module script, for every module that script
 * imports, directly or not (read from their one-line `import ... from './name.js';`
 * statements), so the browser fetches them all at once instead of a level at a time: on a
 * repeat visit with the CPU 4x slower, each level of the import graph cost about 100 ms.
 */
async function preloadModules(html, from) {
  const entry = html.match(/<script type="module" src="(?:\.\/)?([\w.-]+\.js)"><\/script>/);
  if (!entry) return html;
  const seen = new Set([entry[1]]);
  const queue = [entry[1]];
  while (queue.length) {
    const source = await readFile(join(from, queue.shift()), 'utf8');
    for (const [, name] of source.matchAll(/^import [^;]* from '\.\/([\w.-]+\.js)';$/gm)) {
      if (!seen.has(name)) {
        seen.add(name);
        queue.push(name);
      }
    }
  }
  const links = [...seen].slice(1).sort().map((name) => `\n  <link rel="modulepreload" href="./${name}">`);
  return html.replace(entry[0], entry[0] + links.join(''));
}

const names = (await readdir(dir, { withFileTypes: true }))
  .filter((entry) => entry.isFile() && entry.name !== ENTRY && entry.name !== SERVICE_WORKER)
  .map((entry) => entry.name)
  .sort();
const hashes = new Map();
for (const name of names) hashes.set(name, sha256(await readFile(join(dir, name))));
const version = sha256([...hashes].map(([name, hash]) => `${name} ${hash}\n`).join('')).slice(0, 12);
const folder = `v/${version}`;

await mkdir(join(dir, folder), { recursive: true });
for (const name of names) await rename(join(dir, name), join(dir, folder, name));

// index.html names each file it loads in an href or src attribute of its own.
let html = await readFile(join(dir, ENTRY), 'utf8');
html = await preloadModules(html, join(dir, folder));
for (const name of names) {
  html = html.replaceAll(new RegExp(`((?:href|src)=")(?:\\./)?${name.replace(/[.]/g, '\\.')}"`, 'g'), `$1./${folder}/${name}"`);
}
await writeFile(join(dir, ENTRY), html);

const files = { [ENTRY]: sha256(html) };
for (const name of names) files[`${folder}/${name}`] = hashes.get(name);
const template = await readFile(join(dir, SERVICE_WORKER), 'utf8');
if (!MANIFEST_LINE.test(template)) {
  console.error(`${SERVICE_WORKER} has no "const MANIFEST = null;" line to fill in`);
  process.exit(1);
}
const manifest = JSON.stringify({ version, files }, null, 2);
await writeFile(join(dir, SERVICE_WORKER), template.replace(MANIFEST_LINE, `const MANIFEST = ${manifest};`));
console.log(`version ${version}: ${names.length + 1} files`);
