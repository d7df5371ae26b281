// The live trace stream. The server picks this page's room from its `lab` cookie during the
// handshake, so the page only listens. socket.io reconnects by itself after a drop; when the
// server itself closed the connection it does not, so we ask again.
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, LoadProgress, ServerToClientEvents, TraceBatch, TraceEnd, TraceStep } from '../server/protocol.js';

export type ConnectionState =
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'reconnecting'; attempt: number; reason: string };

export interface TraceListener {
  step(step: TraceStep): void;
  end(end: TraceEnd): void;
  /** Under a burst the server sends a few batches a second instead of one message per step. */
  batch(batch: TraceBatch): void;
  /** A load run this page started (POST /api/lab/load) made progress. */
  load?(progress: LoadProgress): void;
  connection(state: ConnectionState): void;
}

/** Connects to the lab's socket.io server (same origin, path /socket.io); returns a function that disconnects. */
export function connectTraces(listener: TraceListener): () => void {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({
    path: '/socket.io',
    // WebSocket only: the HTTP long-polling fallback is not needed by any browser this lab targets,
    // and it skips the polling requests' extra round trips before the upgrade.
    transports: ['websocket'],
    reconnectionDelayMax: 3000,
  });
  let reason = 'connection lost';

  listener.connection({ state: 'connecting' });
  socket.on('connect', () => listener.connection({ state: 'connected' }));
  socket.on('disconnect', (why) => {
    reason = why;
    listener.connection({ state: 'reconnecting', attempt: 0, reason: why });
    if (why === 'io server disconnect') socket.connect(); // the server hung up: socket.io waits for us
  });
  socket.on('connect_error', (error) => {
    reason = error.message;
  });
  socket.io.on('reconnect_attempt', (attempt) => listener.connection({ state: 'reconnecting', attempt, reason }));
  socket.on('trace:step', (step) => listener.step(step));
  socket.on('trace:end', (end) => listener.end(end));
  socket.on('trace:batch', (batch) => listener.batch(batch));
  socket.on('load:progress', (progress) => listener.load?.(progress));

  return () => {
    socket.removeAllListeners();
    socket.disconnect();
  };
}
