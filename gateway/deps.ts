import type { Context } from 'hono';
import type { Logger } from '../lib/log/interface.ts';
import type { GatewayConfig } from '../schema/config.ts';
import type { Upstream } from '../schema/config.ts';
import type { ObservationSink } from '../stores/observations/interface.ts';
import type { ApiKeyCheck } from './auth.ts';
import type { SigV4Claim } from './sigv4-verify.ts';
import type { FallbackPolicy } from './fallback/policy.ts';
import type { RequestMeter } from './metering/meter.ts';
import type { Telemetry } from './telemetry/interface.ts';
import type { Lifecycle } from './lifecycle.ts';
import { indexConfig, type RoutingIndex } from './routing/resolve.ts';
import type { ShadowDispatcher, ShadowOptions } from './shadow/dispatcher.ts';
import type { UpstreamClient } from './upstreams/interface.ts';
import type { SigningCrypto } from './upstreams/bedrock/sigv4.ts';
import type { CancelSignal } from '../lib/cancellation.ts';
import type { StreamBody } from './stream/pull-body.ts';

/** A validated configuration with its routing index, swapped as a whole when the configuration changes. */
export interface ConfigSnapshot {
  config: GatewayConfig;
  index: RoutingIndex;
  /** The config store's version of this configuration; null for a configuration file (no version). */
  version: number | null;
}

/** Gives the configuration in force; cheap to call on every request. */
export interface ConfigSource {
  current(): ConfigSnapshot;
}

/** A configuration that never changes (the file given at start-up). */
export function staticConfig(config: GatewayConfig): ConfigSource {
  const snapshot = { config, index: indexConfig(config), version: null };
  return { current: () => snapshot };
}

/** Services the data plane needs, built once per process (or isolate). */
export interface GatewayDeps {
  config: ConfigSource;
  /** One client per provider named in configurations. */
  upstreams: Record<Upstream['provider'], UpstreamClient>;
  sink: ObservationSink;
  telemetry: Telemetry;
  auth: ApiKeyCheck;
  /** Hash primitives for verifying SigV4-signed requests; Web Crypto when not given. */
  signingCrypto?: SigningCrypto;
  /** Draining and cutting in-flight calls on shutdown. */
  lifecycle: Lifecycle;
  /** Longest wait for the next chunk of an upstream answer that has begun (`UPSTREAM_IDLE_TIMEOUT_MS`). */
  upstreamIdleTimeoutMs: number;
  /** Largest accepted request body. */
  maxBodyBytes: number;
  /** Monotonic milliseconds. */
  now: () => number;
  /** Attempts, time budget and backoff of fallbacks (`FALLBACK_*`); `DEFAULT_FALLBACK_POLICY` when absent. */
  fallback?: FallbackPolicy;
  /** Uniform in [0, 1), for the backoff's jitter; `Math.random` when absent (tests inject their own). */
  random?: () => number;
  /** Where request failures and internal errors are logged; nothing is logged without one. */
  logger?: Logger;
  /** Shadow traffic settings; defaults (`SHADOW_MAX_CONCURRENCY` 4, 64 KiB bodies, no answer texts kept) without. */
  shadow?: ShadowOptions;
  /**
   * Calls `gone` once the client of a request has gone away (its connection closed before the answer was written).
   * Without it (or where it returns false: a request with no connection of its own, such as a shadow copy), the
   * request's own `signal` tells. The Node entry point watches the connection itself, which spares building that
   * signal for every request.
   */
  clientGone?: (c: Context<GatewayEnv>, gone: (reason: unknown) => void) => boolean;
  /**
   * Makes a streamed answer's body; a web `ReadableStream` when absent. The Node entry point gives `pullBody`, which
   * Hono's Node adapter reads without the cost of a web stream.
   */
  streamBody?: StreamBody;
}

/** The data plane's services with the app's own shadow dispatcher (built by the app factory). */
export interface RoutedDeps extends GatewayDeps {
  shadowDispatcher: ShadowDispatcher;
}

/**
 * Per-request variables shared by middleware and handlers. Read them with `c.get(name)`: Hono's `c.var` builds a
 * fresh object from every variable on each read, a cost the hot path pays several times per request.
 */
export type GatewayEnv = {
  Variables: {
    requestId: string;
    /** Epoch ms at arrival. */
    time: number;
    /** Monotonic ms at arrival. */
    t0: number;
    meter?: RequestMeter;
    /** Aborted when the client goes away or the shutdown grace period runs out. */
    signal: CancelSignal;
    routed?: { config: string; arm: string };
    /** A SigV4 claim whose key is known, verified once the body is read (after the size limit). */
    sigv4?: { claim: SigV4Claim; secret: string };
  };
};
