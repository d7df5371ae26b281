// "Replay my old cookie": the dashboard cannot read HttpOnly cookies, so the server keeps a copy of
// the cookie each viewer's browser sent when it logged out, and POST /api/<flow>/replay sends that
// copy again as GET /api/<flow>/me, through the flow's normal, traced path — exactly what an
// attacker who had copied the cookie would do.
import cookie from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import { BoundedMap } from '../bounded-map.js';
import { HttpError } from '../errors.js';
import type { Flow } from '../protocol.js';

export class CapturedCookies {
  private readonly byViewer = new BoundedMap<string, Partial<Record<Flow, string>>>(10_000);

  set(viewerId: string, flow: Flow, raw: string): void {
    const next = { ...this.byViewer.get(viewerId), [flow]: raw };
    this.byViewer.set(viewerId, next);
    for (const listener of this.listeners) listener(viewerId, next);
  }

  // Scaling out (server/cluster.ts): the logout and the replay may reach different workers, so a
  // capture made here is sent to the others, which `apply` it without sending it on again.
  private readonly listeners: ((viewerId: string, captured: Partial<Record<Flow, string>>) => void)[] = [];

  onUpdate(listener: (viewerId: string, captured: Partial<Record<Flow, string>>) => void): void {
    this.listeners.push(listener);
  }

  apply(viewerId: string, captured: Partial<Record<Flow, string>>): void {
    this.byViewer.set(viewerId, { ...captured });
  }

  get(viewerId: string | null, flow: Flow): string | undefined {
    return viewerId ? this.byViewer.get(viewerId)?.[flow] : undefined;
  }
}

/** The cookie's value exactly as the browser sent it (still URL-encoded, still signed). */
export function readRawCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function withCookie(header: string | undefined, name: string, raw: string): string {
  const others = (header ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && part.slice(0, part.indexOf('=')).trim() !== name);
  return [...others, `${name}=${raw}`].join('; ');
}

// POST /api/<flow>/replay
// Swaps the flow's cookie on this request for the captured copy and carries on as GET /me.
export function replayCapturedCookie(flow: Flow, cookieName: string, captured: CapturedCookies) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const raw = captured.get(req.viewerId, flow);
    if (!raw) {
      throw new HttpError(409, 'There is no captured cookie to replay yet: log in, then log out, and try again.');
    }
    req.headers.cookie = withCookie(req.headers.cookie, cookieName, raw);
    delete (req as { cookies?: unknown }).cookies; // parsed again downstream from the new header
    req.method = 'GET';
    req.url = '/me';
    next();
  };
}

/** The cookies a request carried, parsed leniently (never throws on bad encoding). */
export function parseCookies(header: string | undefined): Record<string, string | undefined> {
  return cookie.parse(header ?? '');
}
