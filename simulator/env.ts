import { z } from 'zod';
import { parseEnv, withoutEmpty } from '../schema/env.ts';
import type { SimulatorOptions } from './app.ts';

const SimulatorEnv = z
  .object({
    SIM_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
    SIM_HOST: z.string().min(1).default('127.0.0.1'),
    /** Any text; the same seed gives the same answers. */
    SIM_SEED: z.string().default('1'),
    SIM_TIME_SCALE: z.coerce.number().min(0).max(1000).default(1),
    SIM_ACCESS_KEY_ID: z.string().min(1).optional(),
    SIM_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    SIM_API_KEY: z.string().min(1).optional(),
    /** `0` turns the profiles' error rates off. */
    SIM_RANDOM_FAULTS: z.enum(['0', '1'], { error: 'must be 0 or 1' }).default('1'),
  })
  .refine((env) => Boolean(env.SIM_ACCESS_KEY_ID) === Boolean(env.SIM_SECRET_ACCESS_KEY), {
    path: ['SIM_SECRET_ACCESS_KEY'],
    message: 'set both SIM_ACCESS_KEY_ID and SIM_SECRET_ACCESS_KEY, or neither',
  });

/** Where the standalone simulator listens and how it behaves. */
export interface SimulatorSettings {
  port: number;
  host: string;
  options: SimulatorOptions;
}

/**
 * The standalone simulator's settings from the environment (SIM_PORT, SIM_HOST, SIM_SEED, SIM_TIME_SCALE,
 * SIM_ACCESS_KEY_ID with SIM_SECRET_ACCESS_KEY, SIM_API_KEY, SIM_RANDOM_FAULTS); throws EnvError naming each bad one.
 */
export function readSimulatorEnv(source: Record<string, string | undefined> = process.env): SimulatorSettings {
  const env = parseEnv(SimulatorEnv, withoutEmpty(source));
  const keyId = env.SIM_ACCESS_KEY_ID;
  const secret = env.SIM_SECRET_ACCESS_KEY;
  return {
    port: env.SIM_PORT,
    host: env.SIM_HOST,
    options: {
      seed: env.SIM_SEED,
      timeScale: env.SIM_TIME_SCALE,
      randomFaults: env.SIM_RANDOM_FAULTS === '1',
      ...(keyId && secret ? { credentials: { accessKeyId: keyId, secretAccessKey: secret } } : {}),
      ...(env.SIM_API_KEY ? { apiKey: env.SIM_API_KEY } : {}),
    },
  };
}
