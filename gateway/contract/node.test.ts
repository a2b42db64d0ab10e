import { createGatewayApp } from '../app.ts';
import { dataPlaneContract } from './data-plane.suite.ts';
import { ScriptedUpstream } from './scripted-upstream.ts';
import { pullBody } from '../stream/pull-body.ts';

dataPlaneContract('Node, in-process', { createApp: createGatewayApp, upstream: () => new ScriptedUpstream() });
// The Node entry point's streamed bodies (`pullBody`), read here as a `Response` reads them: through their async iterator.
dataPlaneContract('Node, in-process, PullBody bodies', {
  createApp: (deps) => createGatewayApp({ ...deps, streamBody: pullBody }),
  upstream: () => new ScriptedUpstream(),
});
