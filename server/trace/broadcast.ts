// Sends each trace's events to the sockets of the viewer whose request it was, and no one else.
import type { Server } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../protocol.js';
import type { TraceSink } from './tracer.js';

export type LabIo = Server<ClientToServerEvents, ServerToClientEvents>;

export function viewerRoom(viewerId: string): string {
  return `viewer:${viewerId}`;
}

export function createBroadcastSink(io: LabIo): TraceSink {
  return {
    step: (viewerId, step) => io.to(viewerRoom(viewerId)).emit('trace:step', step),
    end: (viewerId, end) => io.to(viewerRoom(viewerId)).emit('trace:end', end),
  };
}
