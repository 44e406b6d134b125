import path from 'node:path';

/** Where host files are read from; tests point `root` at a fake host tree. */
export interface HostPaths {
  readonly root: string;
}

export function hostFile(host: HostPaths, absolute: string): string {
  return host.root === '' ? absolute : path.join(host.root, absolute);
}
