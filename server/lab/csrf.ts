// What the CSRF scenario attacks, and the two switches that let it through (docs/attacks.md#csrf).
//  - Follows: the one piece of data a logged-in user changes, on both flows, with a body-less
//    POST — the shape a cross-site form can send. Kept per viewer and flow, so no viewer sees
//    another's (the demo accounts are shared).
//  - SameSite: with the viewer's `sameSite: 'none'`, every cookie the lab sets for that viewer is
//    rewritten to SameSite=None; Secure. Chromium requires Secure with None and, on
//    http://127.0.0.1 and http://localhost, accepts Secure cookies over plain HTTP.
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { CookiePolicy } from '../cookies.js';
import { setLabCookie } from '../cookies.js';
import { BoundedMap } from '../bounded-map.js';
import { HttpError } from '../errors.js';
import { methodNotAllowed } from '../http.js';
import type { Flow } from '../protocol.js';
import type { LabSettingsStore } from './settings.js';

const NAME = /^[a-z][a-z0-9_-]{0,19}$/;
const MAX_FOLLOWS = 20;

export class Follows {
  private readonly byKey = new BoundedMap<string, string[]>(10_000);

  list(viewerId: string | null, flow: Flow, userId: number): string[] {
    return this.byKey.get(`${viewerId ?? '-'}:${flow}:${userId}`) ?? [];
  }

  add(viewerId: string | null, flow: Flow, userId: number, name: string): string[] {
    const next = [...new Set([...this.list(viewerId, flow, userId), name])].slice(-MAX_FOLLOWS);
    this.byKey.set(`${viewerId ?? '-'}:${flow}:${userId}`, next);
    return next;
  }
}

/** Mounted after a flow's router, which has set req.user from that flow's cookie. */
export function createFollowRouter(flow: Flow, follows: Follows): Router {
  const router = Router();

  // GET /api/<flow>/following
  router.get('/following', (req: Request, res: Response) => {
    if (!req.user) throw new HttpError(401, `You are not logged in on the ${flow} flow.`);
    res.json({ following: follows.list(req.viewerId, flow, req.user.id) });
  });

  // POST /api/<flow>/follow/:name
  // Follows someone. No body, like a one-click button — and like a cross-site form (CSRF).
  router.post('/follow/:name', (req: Request, res: Response) => {
    if (!req.user) throw new HttpError(401, `You are not logged in on the ${flow} flow.`);
    const name = String(req.params.name);
    if (!NAME.test(name)) throw new HttpError(400, 'A name to follow is 1 to 20 lowercase letters, digits, - or _, starting with a letter.');
    follows.add(req.viewerId, flow, req.user.id, name);
    res.status(204).end();
  });

  router.all('/following', methodNotAllowed('GET'));
  router.all('/follow/:name', methodNotAllowed('POST'));
  return router;
}

/** Rewrites this response's cookies to SameSite=None; Secure when the viewer asked for it. */
export function applyViewerSameSite(settings: LabSettingsStore, policy: CookiePolicy) {
  return (req: Request, res: Response, next: NextFunction): void => {
    // PUT /api/lab may change the setting: re-issue the lab cookie so it follows (its SameSite
    // decides whether a cross-site request is still traced to this viewer).
    const changing = req.method === 'PUT' && req.path === '/api/lab';
    if (changing && req.viewerId) setLabCookie(res, policy, req.viewerId);
    const viewer = req.viewerId ?? req.issuedViewerId ?? null;
    // Most requests come from viewers on the default (lax): leave their responses alone.
    if (!changing && settings.get(viewer).sameSite !== 'none') return next();
    const writeHead = res.writeHead;
    res.writeHead = function (this: Response, ...args: unknown[]) {
      if (!res.headersSent && settings.get(viewer).sameSite === 'none') {
        const header = res.getHeader('Set-Cookie');
        const lines = Array.isArray(header) ? header : typeof header === 'string' ? [header] : [];
        if (lines.length > 0) res.setHeader('Set-Cookie', lines.map(sameSiteNone));
      }
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as Response['writeHead'];
    next();
  };
}

function sameSiteNone(line: string): string {
  let relaxed = /;\s*SameSite=/i.test(line) ? line.replace(/;\s*SameSite=\w+/i, '; SameSite=None') : `${line}; SameSite=None`;
  if (!/;\s*Secure/i.test(relaxed)) relaxed += '; Secure';
  return relaxed;
}
