import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers on every answer: nothing cached, sniffed, framed or leaked in a referrer. */
const COMMON: Record<string, string> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Send a complete body (none for HEAD). */
export function reply(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { ...COMMON, 'Content-Type': type, 'Content-Length': String(buf.length), ...headers });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

export function replyJson(req: IncomingMessage, res: ServerResponse, value: unknown, status = 200): void {
  reply(req, res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

export function redirect(req: IncomingMessage, res: ServerResponse, location: string): void {
  reply(req, res, 302, 'text/plain; charset=utf-8', `see ${location}\n`, { Location: location });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'text/plain; charset=utf-8',
  '.yaml': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
};

/** A served file's type by its extension; anything unknown is a download, never rendered. */
export function contentType(file: string): string {
  const dot = file.lastIndexOf('.');
  return TYPES[dot >= 0 ? file.slice(dot).toLowerCase() : ''] ?? 'application/octet-stream';
}
