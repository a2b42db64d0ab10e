import { machineCpuMs } from './machine-cpu.ts';
import type { LoopDelay } from './server-process.ts';
import type { RunningTarget } from './targets.ts';

/** Above this much CPU used by other processes during a cell, the cell is flagged as disturbed. */
export const BUSY_MACHINE_CORES = 0.1;

/** What the server processes of a target used during one cell. */
export interface ProcessFigures {
  /** Peak RSS of the proxy process (bare proxy or gateway); null for direct. */
  proxyRssMb: number | null;
  simulatorRssMb: number;
  /** CPU time per answer over the cell (warm-up included), microseconds: proxy (null for direct), simulator, load generator. */
  cpuMicrosPerRequest: { proxy: number | null; simulator: number; loadGenerator: number };
  /**
   * Cores' worth of CPU used outside the benchmark's processes during the cell (Linux): within a few
   * hundredths of 0 on a quiet machine (tick sampling can make it slightly negative).
   */
  otherCpuCores: number | null;
  /**
   * Event-loop delay of each server process over the measured window (`monitorEventLoopDelay`, 1 ms resolution:
   * an idle loop reads about 1 ms); null for direct's proxy, or a process that did not answer.
   */
  eventLoopDelayMs: { proxy: LoopDelay | null; simulator: LoopDelay | null };
}

/** Watches a target's processes over one cell: started before its warm-up, finished after its last answer. */
export interface ProcessWatch {
  /** Whether peak RSS was reset for the cell (Linux); otherwise it covers each process's whole life. */
  rssReset: boolean;
  /** Restarts the processes' event-loop delay histograms: called when the measured window starts. */
  measureStart(): void;
  /** The figures since the watch began, CPU divided by `answers`. */
  finish(answers: number): Promise<ProcessFigures>;
}

/** Resets peak RSS and takes a CPU snapshot of the target's processes and the machine. */
export async function watchProcesses(target: RunningTarget): Promise<ProcessWatch> {
  const rssReset = [target.sim, target.proxy].every((p) => p?.resetPeakRss() ?? true);
  const before = await cpuSnapshot(target);
  const startedAt = performance.now();
  return {
    rssReset,
    measureStart() {
      target.sim.resetLoopDelay();
      target.proxy?.resetLoopDelay();
    },
    async finish(answers) {
      const after = await cpuSnapshot(target);
      const elapsedMs = performance.now() - startedAt;
      const perRequest = (b: number, a: number): number => (answers ? ((a - b) * 1000) / answers : 0);
      return {
        proxyRssMb: target.proxy ? await target.proxy.peakRssMb() : null,
        simulatorRssMb: await target.sim.peakRssMb(),
        cpuMicrosPerRequest: {
          proxy: before.proxy === null || after.proxy === null ? null : perRequest(before.proxy, after.proxy),
          simulator: perRequest(before.sim, after.sim),
          loadGenerator: perRequest(before.self, after.self),
        },
        otherCpuCores: otherCores(before, after, elapsedMs),
        eventLoopDelayMs: { proxy: target.proxy ? await target.proxy.loopDelay() : null, simulator: await target.sim.loopDelay() },
      };
    },
  };
}

interface CpuSnapshot {
  proxy: number | null;
  sim: number;
  self: number;
  machine: number | null;
}

async function cpuSnapshot(target: RunningTarget): Promise<CpuSnapshot> {
  const usage = process.cpuUsage();
  const proxy = target.proxy ? await target.proxy.cpuMs() : null;
  return { proxy, sim: await target.sim.cpuMs(), self: (usage.user + usage.system) / 1000, machine: machineCpuMs() };
}

function otherCores(before: CpuSnapshot, after: CpuSnapshot, elapsedMs: number): number | null {
  if (before.machine === null || after.machine === null) return null;
  const ours = (after.proxy ?? 0) - (before.proxy ?? 0) + after.sim - before.sim + after.self - before.self;
  return (after.machine - before.machine - ours) / elapsedMs;
}

/** `  loop proxy p99 X max Y, sim p99 X max Y ms`: the event-loop delay part of a progress line (no proxy part for direct). */
export function loopDelayText(figures: ProcessFigures, hasProxy: boolean): string {
  const one = (name: string, d: LoopDelay | null): string =>
    `${name} p99 ${d ? d.p99Ms.toFixed(2) : '-'} max ${d ? d.maxMs.toFixed(2) : '-'}`;
  const { proxy, simulator } = figures.eventLoopDelayMs;
  return `  loop ${hasProxy ? `${one('proxy', proxy)}, ` : ''}${one('sim', simulator)} ms`;
}
