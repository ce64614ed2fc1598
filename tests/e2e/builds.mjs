// A second build of the page, made from the first the way a deploy changes it: its engine's
// JavaScript glue and WebAssembly renamed one import together, so that either half works
// only with its own other half. It is versioned by the project's own post-build step.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The version folder name of a built site. */
export async function versionOf(dist) {
  const [version] = await readdir(join(dist, 'v'));
  return version;
}

export async function secondBuild(dist) {
  const version = await versionOf(dist);
  const staging = await mkdtemp(join(tmpdir(), 'movieclassifier-build-'));
  for (const name of await readdir(join(dist, 'v', version))) {
    await copyFile(join(dist, 'v', version, name), join(staging, name));
  }
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  await writeFile(join(staging, 'index.html'), html.replaceAll(`./v/${version}/`, './'));
  await copyFile(join(ROOT, 'www', 'sw.js'), join(staging, 'sw.js'));

  const glue = await readFile(join(staging, 'movieclassifier.js'), 'utf8');
  const [name] = glue.match(/__wbg_now_[0-9a-f]+/);
  const renamed = name.replace('now', 'NOW');
  await writeFile(join(staging, 'movieclassifier.js'), glue.replaceAll(name, renamed));
  const wasm = await readFile(join(staging, 'movieclassifier_bg.wasm'));
  const at = wasm.indexOf(name);
  if (at < 0) throw new Error(`${name} is not in the WebAssembly`);
  wasm.write(renamed, at, 'latin1');
  await writeFile(join(staging, 'movieclassifier_bg.wasm'), wasm);

  await promisify(execFile)('node', [join(ROOT, 'scripts', 'version-site.mjs'), staging]);
  return { dir: staging, version: await versionOf(staging) };
}
