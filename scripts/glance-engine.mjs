// Run by scripts/version-site.mjs before it versions the site: builds the first-verdict engine
// (src/wasm/glance.rs), this crate without its `engine` feature, as glance.js and
// glance_bg.wasm beside the whole engine trunk built. Trunk builds one WebAssembly per crate
// and feature set, so the second build is here. Cargo keeps both builds' artifacts, so each
// rebuild after the first only relinks.
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TARGET = 'wasm32-unknown-unknown';
const NAME = 'glance';

/** Builds the first-verdict engine into `dir`, in trunk's profile (TRUNK_PROFILE). */
export async function buildGlance(dir) {
  const release = (process.env.TRUNK_PROFILE ?? 'release') === 'release';
  const run = promisify(execFile);
  await run('cargo', ['build', '--lib', '--target', TARGET, '--no-default-features', ...(release ? ['--release'] : [])],
    { cwd: ROOT, maxBuffer: 1 << 24 });
  // Where cargo put it: CARGO_TARGET_DIR, as trunk's own build honours it (relative to the
  // crate, where cargo ran), or target/.
  const target = resolve(ROOT, process.env.CARGO_TARGET_DIR ?? 'target');
  const wasm = join(target, TARGET, release ? 'release' : 'debug', 'movieclassifier.wasm');
  await run('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-dir', dir, '--out-name', NAME, wasm]);
  console.log(`built the first-verdict engine: ${NAME}.js, ${NAME}_bg.wasm`);
}
