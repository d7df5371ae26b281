// Small HTTP helpers the routers share.
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors.js';

/** 405 with an Allow header: e.g. GET /api/jwt/login. */
export function methodNotAllowed(allowed: string): RequestHandler {
  return (req: Request, res: Response) => {
    res.setHeader('Allow', allowed);
    throw new HttpError(405, `Use ${allowed} for this route, not ${req.method}.`);
  };
}
