// The one place that decides cookie names and options, for all three cookies.
import type { CookieOptions, Response } from 'express';

export interface CookiePolicy {
  names: { session: string; token: string; lab: string };
  /** Options every cookie of the lab shares. */
  base: CookieOptions;
}

/** Over HTTPS the cookies are Secure and take the __Host- prefix: no subdomain or plain-HTTP page can set them. */
export function createCookiePolicy(secure: boolean): CookiePolicy {
  const prefix = secure ? '__Host-' : '';
  return {
    names: { session: `${prefix}sid`, token: `${prefix}token`, lab: `${prefix}lab` },
    base: {
      httpOnly: true, // page scripts cannot read them, so an XSS cannot copy them out
      sameSite: 'lax', // not sent on cross-site subrequests (fetch, forms POSTed from another site)
      path: '/',
      secure,
    },
  };
}

export function setTokenCookie(res: Response, policy: CookiePolicy, token: string, maxAgeMs: number): void {
  res.cookie(policy.names.token, token, { ...policy.base, maxAge: maxAgeMs });
}

/** Expires the cookie in the browser; a copy kept elsewhere is untouched (that is the JWT lesson). */
export function clearCookie(res: Response, policy: CookiePolicy, name: string): void {
  res.clearCookie(name, policy.base);
}

export function setLabCookie(res: Response, policy: CookiePolicy, viewerId: string): void {
  res.cookie(policy.names.lab, viewerId, { ...policy.base, maxAge: 365 * 24 * 3600 * 1000 });
}
