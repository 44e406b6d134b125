import type { ExtraResource } from '../../base/settings.js';

export type { ExtraResource };

export interface ResourceRef {
  /** The `resource` label: `<resource>` for the core group, `<resource>.<group>` otherwise. */
  readonly label: string;
  readonly path: string;
}

export function resourceRef(group: string, version: string, resource: string): ResourceRef {
  return group === ''
    ? { label: resource, path: `/api/${version}/${resource}` }
    : { label: `${resource}.${group}`, path: `/apis/${group}/${version}/${resource}` };
}

/** MicroShift's catalog, pods aside (those are counted Running only). */
export const CATALOG: readonly ResourceRef[] = [
  resourceRef('', 'v1', 'namespaces'),
  resourceRef('', 'v1', 'services'),
  resourceRef('networking.k8s.io', 'v1', 'ingresses'),
  resourceRef('route.openshift.io', 'v1', 'routes'),
  resourceRef('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'),
];

export const PODS = resourceRef('', 'v1', 'pods');

export function countedResources(extra: readonly ExtraResource[]): ResourceRef[] {
  const refs = [...CATALOG];
  for (const entry of extra) {
    const ref = resourceRef(entry.group, entry.version, entry.resource);
    if (!refs.some((known) => known.label === ref.label) && ref.label !== PODS.label)
      refs.push(ref);
  }
  return refs;
}
