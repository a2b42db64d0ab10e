import { connect, type Socket } from 'node:net';

/** A raw HTTP answer read off a socket: status, lower-case headers, body text. */
export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses the bytes a server wrote (one response, `content-length` framed or closed); undefined when there are none. */
export function parseRawAnswer(text: string): RawAnswer | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = headers['content-length'];
  const rest = text.slice(end + 4);
  return { status: Number(statusLine.split(' ')[1]), headers, body: length === undefined ? rest : rest.slice(0, Number(length)) };
}

/** Opens a TCP connection to `url`'s port and resolves once it is connected. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes raw bytes and collects everything the server sends until it closes the connection, or until `waitMs`
 * passes (then the client closes). `closedByServer` says which happened.
 */
export async function exchange(url: string, bytes: string | Buffer, waitMs = 5_000): Promise<{ text: string; closedByServer: boolean }> {
  const socket = await openSocket(url);
  return new Promise((resolve) => {
    let text = '';
    let closedByServer = true;
    const timer = setTimeout(() => {
      closedByServer = false;
      socket.destroy();
    }, waitMs);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ text, closedByServer });
    });
    if (bytes.length > 0) socket.write(bytes);
  });
}
