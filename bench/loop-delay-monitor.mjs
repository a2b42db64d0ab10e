/**
 * Preloaded into every server process under test (`node --import`): samples the event loop's delay with
 * `monitorEventLoopDelay` at 1 ms resolution, and answers on the IPC channel. `loop-delay-reset` restarts the
 * histogram (no answer); `loop-delay-pause` stops sampling and `loop-delay-resume` starts it again (no answer: a process
 * waiting for its turn in a run then does not wake a thousand times a second, about 0.015 cores each); `loop-delay` answers `{ loopDelay: { p50Ms, p99Ms, maxMs, meanMs, samples } }` over
 * what was sampled since the last reset. Each value is the time between two 1 ms ticks, so an idle loop reads
 * about 1 ms. Plain JavaScript, so that it loads into processes started without tsx (Portkey) and into the
 * `baseline` checkout, whatever its bench/ holds.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const NS_PER_MS = 1e6;
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();

if (process.send) {
  process.on('message', (message) => {
    if (message === 'loop-delay-reset') histogram.reset();
    if (message === 'loop-delay-pause') histogram.disable();
    if (message === 'loop-delay-resume') histogram.enable();
    if (message !== 'loop-delay') return;
    const samples = histogram.count;
    const ms = (ns) => (samples === 0 ? 0 : ns / NS_PER_MS);
    process.send?.({
      loopDelay: {
        p50Ms: ms(histogram.percentile(50)),
        p99Ms: ms(histogram.percentile(99)),
        maxMs: ms(histogram.max),
        meanMs: ms(histogram.mean),
        samples,
      },
    });
  });
}
