import type { Route } from '../../schema/config.ts';
import { Shadow } from '../../schema/config.ts';
import { AdminError } from '../errors.ts';
import { param, type AdminRouter } from '../router.ts';
import { findItem } from './collections.ts';
import { change, type AdminRouteDeps } from './shared.ts';

const ROUTES = { kind: 'routes', key: 'name', noun: 'route' } as const;

/**
 * A route's shadow candidates, one intent at a time: set (create or replace) and clear. The change is to the route
 * resource (`routes/<name>`, its ETag and `If-Match`); a candidate naming no configuration is a 409 like any other
 * dangling reference, an intent the route does not list (nor `other` or `*`) too.
 */
export function shadowRoutes(router: AdminRouter, deps: AdminRouteDeps): void {
  router.add({
    method: 'put',
    path: '/routes/:name/shadow/:intent',
    tag: 'routes',
    summary:
      'Set the shadow candidate of a route for one intent (`*`: every intent without its own): `share` percent of sessions have their requests copied to `config` after the answer, recorded as traffic class shadow',
    body: Shadow,
    handler: (c, body) => {
      const name = param(c, 'name');
      const intent = param(c, 'intent');
      return change(deps, c, `routes/${name}`, (draft) => {
        const route = findItem(draft, ROUTES, name) as Route;
        const before = structuredClone(route);
        route.shadow = { ...route.shadow, [intent]: body };
        return { action: 'set-shadow', resource: `routes/${name}`, before, after: structuredClone(route) };
      });
    },
  });
  router.add({
    method: 'delete',
    path: '/routes/:name/shadow/:intent',
    tag: 'routes',
    summary: 'Stop shadowing one intent of a route',
    handler: (c) => {
      const name = param(c, 'name');
      const intent = param(c, 'intent');
      return change(deps, c, `routes/${name}`, (draft) => {
        const route = findItem(draft, ROUTES, name) as Route;
        if (!route.shadow?.[intent]) throw new AdminError('not_found', `route "${name}" has no shadow for intent "${intent}"`);
        const before = structuredClone(route);
        const { [intent]: _cleared, ...rest } = route.shadow;
        if (Object.keys(rest).length) route.shadow = rest;
        else delete route.shadow;
        return { action: 'clear-shadow', resource: `routes/${name}`, before, after: structuredClone(route) };
      });
    },
  });
}
