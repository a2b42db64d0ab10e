import { parseArgs } from 'node:util';
import { runDemo } from './run-demo.ts';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '600' },
    'time-scale': { type: 'string', default: '0.01' },
    'data-dir': { type: 'string' },
    out: { type: 'string' },
    seed: { type: 'string', default: '7' },
  },
});

try {
  const started = Date.now();
  const result = await runDemo({
    sessions: Number(values.sessions),
    timeScale: Number(values['time-scale']),
    seed: Number(values.seed),
    dataDir: values['data-dir'],
    outDir: values.out,
  });
  console.log(result.markdown);
  console.log(`demo finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`report: ${result.markdownPath}\njson:   ${result.jsonPath}`);
} catch (error) {
  console.error(`demo failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
}
