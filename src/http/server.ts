// Serves the app on HOST:PORT; close() stops accepting and ends idle keep-alive sockets.
import { serve } from '@hono/node-server';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

/** Sockets whose client asked to close after a request: nothing after it may run. */
const closing = new WeakSet<Socket>();
/** Sockets with a response still being produced. */
const busy = new WeakMap<Socket, number>();

/**
 * Bytes pipelined after a `Connection: close` request are never executed, and a parse error in
 * them must not answer (a lone 400) for a request that did run: the client gets the response
 * to what ran, then the connection closes (Node's default would send 400 and cut it).
 */
function guarded(listener: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (closing.has(socket)) {
      req.resume();
      return; // never answered: the socket closes after the response to the earlier request
    }
    if (!res.shouldKeepAlive) closing.add(socket);
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (busy.get(socket) ?? 1) - 1;
      busy.set(socket, left);
      if (left === 0 && closing.has(socket)) socket.end();
    });
    listener(req, res);
  };
}

function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (closing.has(socket) || (busy.get(socket) ?? 0) > 0) {
    // A request on this connection is being answered: let it finish, then close.
    closing.add(socket);
    if (!(busy.get(socket) ?? 0)) socket.end();
    return;
  }
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  // The answers Node's own handler gives.
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large'
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
    : err.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW' ? '413 Payload Too Large'
    : '400 Bad Request';
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
}

export function startHttpServer(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve({
      fetch,
      hostname: host,
      port,
      createServer: ((opts: object, listener: RequestListener) => createServer(opts, guarded(listener))) as typeof createServer,
    }) as Server;
    server.on('clientError', onClientError);
    server.requestTimeout = 15_000;
    server.headersTimeout = 10_000;
    server.keepAliveTimeout = 5_000;
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
            // In-flight requests get a moment to finish; then the rest are cut.
            setTimeout(() => server.closeAllConnections(), 2000).unref();
          }),
      });
    });
  });
}
