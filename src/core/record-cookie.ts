import type { ResolvedOptions } from '../options/resolved-options.js';
import type { SessionStore } from '../stores/session-store.js';
import { rememberJson } from '../stores/store-support.js';
import { sealCookieSet } from './cookie-set.js';
import { overByOf, settle } from './fit-cookie-set.js';
import { specOf, type PartitionJob, type PartitionPlan } from './partition-plan.js';
import type { PresentCookie } from './session-state.js';

/**
 * A partition whose fields live in a store record (a store partition, or a cookie partition in
 * its overflow store): the cookie holds only the record's sealed id, and the record is written
 * (`set`) or kept alive (`touch`). The id is sealed first: when not even it fits, nothing is
 * written to the store, the old record goes, the fields are dropped from the handler's object,
 * and an error says why.
 */
export function planRecordCookie(
  options: ResolvedOptions,
  job: PartitionJob,
  present: readonly PresentCookie[],
  record: { store: SessionStore; id: string; op: 'set' | 'touch'; what: string },
): PartitionPlan {
  const { state } = job;
  const { store, id } = record;
  const set = sealCookieSet(
    options.sealer,
    specOf(job, options.cutter),
    {
      createdAt: state.createdAt,
      writtenAt: job.now,
      json: JSON.stringify(id),
      isStoreId: true,
      remembered: job.remembered,
    },
    options.compress,
    (size) => overByOf(job, present, size) <= 0,
  );
  const sealed = set && settle(job, present, set);
  if (sealed?.fits) {
    // The store writes the text this commit serialized the fields to, not a second one.
    rememberJson(job.fields, job.json);
    return {
      state,
      set,
      deleted: sealed.deleted,
      cost: sealed.cost,
      storeOps: [
        {
          kind: record.op,
          store,
          id,
          data: job.fields,
          ttl: job.ttl,
          what: `${record.what} of "${state.partition.cookieName}"`,
        },
      ],
      snapshot: job.json,
      storeId: id,
    };
  }
  const gone = settle(job, present, undefined);
  return {
    state,
    set: undefined,
    deleted: gone.deleted,
    cost: gone.cost,
    storeOps: state.storeId === undefined ? [] : [{ kind: 'destroy', store, id: state.storeId }],
    snapshot: undefined,
    storeId: undefined,
    written: { from: job.fields, to: {} },
    error:
      `the session cookie "${state.partition.cookieName}" does not fit even as an id: the request's ` +
      `other cookies fill the budget; its cookies were deleted`,
  };
}
