/**
 * A fix for KafkaJS 2.2.4's request lookup, applied once when the first client is made.
 *
 * Every request KafkaJS makes is built by a version function in `protocol/requests/<api>/index.js`, and
 * each of those calls `require('./vN/request')` and `require('./vN/response')` every time it runs. Node
 * answers a repeated require from its cache, but only after resolving the path again (`Module._load`):
 * ~7 µs for the two here, against ~0.2 µs to build the request itself, on every produce, fetch, EndTxn,
 * AddPartitionsToTxn and heartbeat. A profile at 100 workflows in flight put more than 40 µs a workflow
 * under EndTxn's lookup alone (docs/decisions.md D31).
 *
 * I1. Each `protocol/requests/<api>/index.js` module's `require` remembers what it returned for each
 *     path: the first call loads as Node would, every later one returns that same module object, which is
 *     what Node's cache would return (a loaded module's exports are never replaced). Only those modules'
 *     own `require` changes; Node's loader and every other module are left as they are.
 * I2. Applied through kafkajs-patches.ts (once, only on the version it was written for).
 * I3. Another patch may replace what an api module loads (`wrap`, given the api, the path and what Node
 *     loaded); the replacement is what is remembered and returned from then on
 *     (produce-encoding-patch.ts). Without one, the module itself is.
 */
import { sep } from 'node:path';
import { kafkajsLoadedModules, kafkajsModule, type LoadedModule } from './kafkajs-internals.js';

const INDEX = `${sep}index.js`;

/** The api modules under `protocol/requests/`, by api (requests/index.js loads them all). */
export function requestLookupModules(): Map<string, LoadedModule> {
  kafkajsModule('protocol/requests/index.js');
  const modules = new Map<string, LoadedModule>();
  for (const [path, mod] of kafkajsLoadedModules('protocol/requests')) {
    const api = path.endsWith(INDEX) ? path.slice(0, -INDEX.length) : '';
    if (api !== '' && !api.includes(sep)) modules.set(api, mod);
  }
  return modules;
}

/** What an api module's `require` returns in place of what Node loaded for `id` (I3). */
export type LoadedWrap = (api: string, id: string, loaded: unknown) => unknown;

/** Makes each api module's `require` remember what it loaded (I1), as `wrap` gives it (I3). */
export function patchRequestLookup(wrap: LoadedWrap = (_api, _id, loaded) => loaded): void {
  for (const [api, mod] of requestLookupModules()) {
    const load = mod.require.bind(mod);
    const loaded = new Map<string, unknown>();
    mod.require = (id: string): unknown => {
      if (!loaded.has(id)) loaded.set(id, wrap(api, id, load(id)));
      return loaded.get(id);
    };
  }
}
