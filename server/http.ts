// Small HTTP helpers the routers share.
import { STATUS_CODES, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request, RequestHandler, Response } from 'express';
import { HttpError } from './errors.js';

/** 405 with an Allow header: e.g. GET /api/jwt/login. */
export function methodNotAllowed(allowed: string): RequestHandler {
  return (req: Request, res: Response) => {
    res.setHeader('Allow', allowed);
    throw new HttpError(405, `Use ${allowed} for this route, not ${req.method}.`);
  };
}

/**
 * A request Node's HTTP parser refuses (headers over 16 KB, broken syntax) never reaches Express;
 * Node would answer with a bare status. Answer it as every other error: a status and one sentence.
 */
export function answerUnparsableRequests(server: HttpServer): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, message] = PARSE_ERRORS[err.code ?? ''] ?? [400, 'The request is not valid HTTP.'];
    const body = JSON.stringify({ error: message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

const PARSE_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are larger than the server accepts (16 KB); send fewer or smaller cookies.'],
  HPE_REQUEST_TIMEOUT: [408, 'The request took too long to arrive.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive.'],
};
