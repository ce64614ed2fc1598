// Run by scripts/version-site.mjs before it versions the site: shrinks the engine's WebAssembly with
// wasm-opt (binaryen, installed by scripts/setup.sh from npm, tools/package.json: Debian's
// binaryen 108 breaks what wasm-bindgen writes). The features are those the Rust compiler and
// wasm-bindgen use; wasm-opt must be told them or it refuses the module.
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const WASM_OPT = fileURLToPath(new URL('../tools/node_modules/.bin/wasm-opt', import.meta.url));
const FEATURES = ['--enable-reference-types', '--enable-bulk-memory', '--enable-nontrapping-float-to-int',
  '--enable-sign-ext', '--enable-multivalue', '--enable-mutable-globals'];

/** Runs wasm-opt on every .wasm file in `dir`, in place. */
export async function optimizeWasm(dir) {
  try {
    await stat(WASM_OPT);
  } catch {
    throw new Error('wasm-opt is not installed: run bash scripts/setup.sh');
  }
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.wasm'))) {
    const path = join(dir, name);
    const before = (await stat(path)).size;
    await promisify(execFile)(WASM_OPT, ['-Oz', ...FEATURES, path, '-o', path]);
    console.log(`wasm-opt ${name}: ${before} -> ${(await stat(path)).size} bytes`);
  }
}
