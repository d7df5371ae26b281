// The `lab` cookie: which dashboard is watching. A random 128-bit viewer ID, not a credential;
// a request's trace goes only to the sockets that connected with the same ID.
import { randomBytes } from 'node:crypto';
import cookie from 'cookie';
import type { NextFunction, Request, Response } from 'express';
import { setLabCookie, type CookiePolicy } from '../cookies.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The viewer this request's trace goes to; null when it came without a (valid) lab cookie. */
      viewerId: string | null;
      /** The viewer ID issued with this response, when the request had none. */
      issuedViewerId?: string;
    }
  }
}

const VIEWER_ID = /^[0-9a-f]{32}$/;

export function readViewerId(cookieHeader: string | undefined, policy: CookiePolicy): string | null {
  let value: string | undefined;
  try {
    value = cookie.parse(cookieHeader ?? '')[policy.names.lab];
  } catch {
    return null;
  }
  return value !== undefined && VIEWER_ID.test(value) ? value : null;
}

/** Reads the lab cookie; issues one to a client without it (that request itself is traced to no one). */
export function identifyViewer(policy: CookiePolicy) {
  return (req: Request, res: Response, next: NextFunction): void => {
    req.viewerId = readViewerId(req.headers.cookie, policy);
    if (!req.viewerId) {
      req.issuedViewerId = randomBytes(16).toString('hex');
      setLabCookie(res, policy, req.issuedViewerId);
    }
    next();
  };
}
