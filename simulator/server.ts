import type { ConnectionLimits } from '../lib/node/connection-limits.ts';
import { listenDual } from '../lib/node/listen.ts';
import { createSimulatorApp, type SimulatorOptions } from './app.ts';
import type { SimulatorControl } from './control.ts';

/** Options of `startSimulator`. */
export interface StartOptions extends SimulatorOptions {
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The listener's client connection deadlines and cap (lib/node/connection-limits.ts defaults: 1,000 connections). */
  connectionLimits?: Partial<ConnectionLimits>;
}

/** A simulator listening for HTTP/1.1 and h2c on one port. */
export interface RunningSimulator {
  url: string;
  port: number;
  control: SimulatorControl;
  /** Stops listening; open connections are cut after `forceAfterMs` (default 0). */
  close(forceAfterMs?: number): Promise<void>;
}

/** Starts a simulator on a port. */
export async function startSimulator(options: StartOptions = {}): Promise<RunningSimulator> {
  const { port, host, connectionLimits, ...simOptions } = options;
  const sim = createSimulatorApp(simOptions);
  const server = await listenDual(sim.fetch, { ...connectionLimits, port: port ?? 0, host: host ?? '127.0.0.1' });
  return { url: server.url, port: server.port, control: sim.control, close: (forceAfterMs = 0) => server.close(forceAfterMs) };
}
