import { createGatewayApp } from '../app.ts';
import { dataPlaneContract } from './data-plane.suite.ts';
import { ScriptedUpstream } from './scripted-upstream.ts';

dataPlaneContract('Node, in-process', { createApp: createGatewayApp, upstream: () => new ScriptedUpstream() });
