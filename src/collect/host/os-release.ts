// Pure parsing of os-release(5).

/** An os-release is a few hundred bytes. */
export const MAX_OS_RELEASE_BYTES = 64 * 1024;

export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    let value = line.slice(equals + 1);
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["'\\$`])/g, '$1');
    fields[line.slice(0, equals)] = value;
  }
  return fields;
}

/** Node's process.arch in Kubernetes' kubernetes.io/arch vocabulary. */
export function kubernetesArch(nodeArch: string): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    ia32: '386',
  };
  return map[nodeArch] ?? nodeArch;
}
