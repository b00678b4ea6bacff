import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimContext } from './connection.ts';

export function handleRest(_ctx: SimContext, _req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
}
