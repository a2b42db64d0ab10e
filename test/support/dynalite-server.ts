import type { AddressInfo, Server } from 'node:net';
import dynalite from 'dynalite';

/** A dynalite (DynamoDB-compatible) server in this process, on a loopback port, keeping data in memory. */
export async function startDynalite(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Credentials dynalite accepts (it checks nothing). */
export const DYNALITE_CREDENTIALS = { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' };
