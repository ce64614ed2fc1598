// A plain static file server for the built site, as any static host would serve it, under
// a path prefix ('/' or '/movieclassifier/'), on a free loopback port.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.postcard': 'application/octet-stream',
  '.json': 'application/json',
};

export async function serve(root, prefix = '/') {
  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://localhost');
    if (!pathname.startsWith(prefix)) {
      response.writeHead(404).end();
      return;
    }
    let path = normalize(decodeURIComponent(pathname.slice(prefix.length)));
    if (path === '.' || path.endsWith('/')) path = join(path, 'index.html');
    if (path.startsWith('..')) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(join(root, path));
      response.writeHead(200, {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  return { url, close: () => new Promise((resolve) => server.close(resolve)) };
}
