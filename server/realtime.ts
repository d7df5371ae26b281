// The socket.io server: a dashboard connects, and joins the room of the viewer ID in its `lab`
// cookie. The room comes only from the handshake's cookie, never from a message, and a handshake
// from another origin is refused (socket.io's `cors` option does not stop WebSocket handshakes).
import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions } from 'socket.io';
import type { CookiePolicy } from './cookies.js';
import { readViewerId } from './lab/viewer.js';
import { isCrossOrigin } from './origin.js';
import { viewerRoom, type LabIo } from './trace/broadcast.js';

/**
 * `adapter` carries room broadcasts to the other processes when scaled out (see server/server.ts):
 * without one, a trace made on worker 2 never reaches a dashboard connected to worker 1.
 */
export function attachRealtime(
  httpServer: HttpServer,
  policy: CookiePolicy,
  publicOrigin: string | null,
  adapter?: ServerOptions['adapter'],
): LabIo {
  const io: LabIo = new Server(httpServer, {
    serveClient: false,
    ...(adapter ? { adapter } : {}),
    allowRequest: (req, callback) => {
      if (isCrossOrigin(req, publicOrigin)) return callback('Handshakes from another origin are refused.', false);
      if (!readViewerId(req.headers.cookie, policy)) return callback('No lab cookie: load the dashboard page first.', false);
      callback(null, true);
    },
  });
  io.on('connection', (socket) => {
    const viewerId = readViewerId(socket.handshake.headers.cookie, policy);
    if (viewerId) void socket.join(viewerRoom(viewerId));
  });
  return io;
}
