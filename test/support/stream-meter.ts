import type { Observation } from '../../schema/observation.ts';
import { RequestMeter } from '../../gateway/metering/meter.ts';

/** The meter of a pass-through ConverseStream call for stream-core tests: clock at 0, its observation to `record`. */
export function passthroughStreamMeter(requestId: string, record: (o: Observation) => void = () => {}): RequestMeter {
  return new RequestMeter(
    {
      requestId,
      time: 0,
      t0: 0,
      operation: 'converse-stream',
      traffic: 'live',
      sessionId: null,
      resolution: {
        route: 'r',
        intent: 'other',
        arm: 'passthrough',
        config: null,
        experimentId: null,
        canaryId: null,
        expectedShare: null,
      },
      upstreamModel: 'm',
      price: undefined,
    },
    record,
    () => 0,
  );
}
