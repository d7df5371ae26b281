// Same-origin checks: for unsafe API methods (CSRF) and for socket.io handshakes.
import type { IncomingMessage } from 'node:http';

/** The origin this server is reached at: PUBLIC_URL when set, else the request's own Host. */
export function expectedOrigin(req: IncomingMessage, publicOrigin: string | null): string | null {
  if (publicOrigin) return publicOrigin;
  const host = req.headers.host;
  if (!host) return null;
  const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
  return `${secure ? 'https' : 'http'}://${host}`;
}

/**
 * True when the browser says the request comes from another origin: an Origin header that is not
 * ours, or Sec-Fetch-Site other than same-origin/none. A request with neither header (curl, tests)
 * is not a browser's cross-site request.
 */
export function isCrossOrigin(req: IncomingMessage, publicOrigin: string | null): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  return origin !== expectedOrigin(req, publicOrigin);
}
