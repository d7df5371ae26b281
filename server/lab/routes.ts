// /api/lab: this viewer's lab settings, and what its browser's cookies hold.
import { Router, type Request, type Response } from 'express';
import type { CookiePolicy } from '../cookies.js';
import { HttpError } from '../errors.js';
import { methodNotAllowed } from '../http.js';
import { parseCookies, type CapturedCookies } from './replay.js';
import { parseSettingsPatch, type LabSettingsStore } from './settings.js';

export interface LabRoutesDeps {
  settings: LabSettingsStore;
  captured: CapturedCookies;
  policy: CookiePolicy;
  store: string; // which session store this server runs: shown on the dashboard
}

export function createLabRouter({ settings, captured, policy, store }: LabRoutesDeps): Router {
  const router = Router();

  // GET /api/lab
  // This viewer's settings (the defaults until it changes one) and the session store in use.
  router.get('/', (req: Request, res: Response) => {
    res.json({ settings: settings.get(req.viewerId), store });
  });

  // PUT /api/lab
  // Changes any subset of the settings; they apply to this viewer's next requests.
  router.put('/', (req: Request, res: Response) => {
    const parsed = parseSettingsPatch(req.body);
    if (!parsed.ok) throw new HttpError(400, parsed.error);
    const viewerId = req.viewerId ?? req.issuedViewerId;
    if (!viewerId) throw new HttpError(400, 'This request has no lab cookie; load the dashboard first.');
    res.json({ settings: settings.update(viewerId, parsed.patch), store });
  });

  // GET /api/lab/cookies
  // The page cannot read HttpOnly cookies, so the server describes what the browser sent: the
  // session ID (shortened) and the JWT's decoded header and claims. Signatures and full IDs are cut
  // short so this route cannot hand a usable credential to a script in the page.
  router.get('/cookies', (req: Request, res: Response) => {
    const cookies = parseCookies(req.headers.cookie);
    res.json({
      session: describeSessionCookie(cookies[policy.names.session]),
      jwt: describeTokenCookie(cookies[policy.names.token]),
      captured: {
        session: captured.get(req.viewerId, 'session') !== undefined,
        jwt: captured.get(req.viewerId, 'jwt') !== undefined,
      },
    });
  });

  router.all('/', methodNotAllowed('GET, PUT'));
  router.all('/cookies', methodNotAllowed('GET'));
  return router;
}

function describeSessionCookie(value: string | undefined) {
  if (!value) return { present: false, id: null, signed: false };
  const signed = value.startsWith('s:');
  const id = signed ? value.slice(2, value.lastIndexOf('.')) : value;
  return { present: true, id: `${id.slice(0, 6)}…`, signed, bytes: value.length };
}

function describeTokenCookie(value: string | undefined) {
  if (!value) return { present: false, header: null, payload: null, signature: null, raw: null };
  const [header = '', payload = '', signature = ''] = value.split('.');
  return {
    present: true,
    header: decodePart(header),
    payload: decodePart(payload),
    signature: signature ? `…${signature.slice(-6)}` : '',
    raw: { header, payload },
    bytes: value.length,
  };
}

function decodePart(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
}
