import type { Logger } from '../../lib/log/interface.ts';
import type { ConfigStore } from './interface.ts';

/**
 * Wraps a config store so that every committed change is logged once, as the audit log records it: who (the
 * actor), what (resource and action) and the new global version. The document itself is never logged (stored
 * keys are hashes, but a line has no need of them). Every other method is the store's own.
 */
export function loggedConfigStore<S extends ConfigStore>(store: S, logger: Logger): S {
  const commit: ConfigStore['commit'] = async (expectedVersion, document, audit) => {
    const result = await store.commit(expectedVersion, document, audit);
    if (result.ok)
      logger.info('admin change', { actor: audit.actor, action: audit.action, resource: audit.resource, version: result.value });
    return result;
  };
  return new Proxy(store, { get: (target, key) => (key === 'commit' ? commit : Reflect.get(target, key, target)) });
}
