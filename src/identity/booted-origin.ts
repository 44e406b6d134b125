// Whether an ostree host was booted from a container image, read from the
// booted deployment's origin file, as bootc itself decides its status type
// (bootc-dev/bootc, status.rs: the booted deployment has a container image
// origin, and no rpm-ostree local changes). `bootc status` needs
// CAP_SYS_ADMIN, which the hardened unit withholds, so asking it would report
// every bootc host as plain ostree; the files need none.
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, KIB, readBoundedFile } from '../base/bounded-file.js';
import { realpath } from '../base/fs-async.js';

/** The kernel's command line, whose `ostree=` names the booted deployment's boot link. */
const CMDLINE_FILE = '/proc/cmdline';
/** What the `ostree=` path is relative to: the physical root, mounted here on a booted ostree host. */
const SYSROOT = '/sysroot';
const MAX_CMDLINE_BYTES = 8 * KIB;
const MAX_ORIGIN_BYTES = 64 * KIB;
/** rpm-ostree's groups for machine-local changes; any one makes the deployment no bootc image. */
const LOCAL_CHANGE_GROUPS = ['rpmostree', 'packages', 'overrides', 'modules'];

/** Pure: the last `ostree=` of a kernel command line (the kernel lets the last one win), or undefined. */
export function ostreeBootArgument(cmdline: string): string | undefined {
  let found: string | undefined;
  for (const word of cmdline.trim().split(/\s+/))
    if (word.startsWith('ostree=')) found = word.slice('ostree='.length);
  return found === undefined || !found.startsWith('/') ? undefined : found;
}

/** Pure: a GLib key file's groups and their keys (later keys win, as GLib's do); comments and blanks skipped. */
export function parseKeyFile(text: string): Map<string, Map<string, string>> {
  const groups = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const group = /^\[([^\]]+)\]$/.exec(line);
    if (group !== null) {
      const name = group[1] as string;
      current = groups.get(name) ?? new Map();
      groups.set(name, current);
      continue;
    }
    const equals = line.indexOf('=');
    if (current !== undefined && equals > 0)
      current.set(line.slice(0, equals).trim(), line.slice(equals + 1).trim());
  }
  return groups;
}

/** Pure: bootc's rule on an origin file's text. */
export function isContainerImageOrigin(originText: string): boolean {
  const groups = parseKeyFile(originText);
  if (LOCAL_CHANGE_GROUPS.some((name) => groups.has(name))) return false;
  const reference = groups.get('origin')?.get('container-image-reference') ?? '';
  // ostree-unverified-registry:quay.io/…, ostree-remote-image:…, ostree-image-signed:docker://…
  return /^ostree-[a-z-]+:\S/.test(reference);
}

/**
 * True or false when the booted deployment's origin file says; undefined when
 * it cannot be found or read (not an ostree boot, another layout): the caller
 * asks bootc then. `root` is a test's fake host.
 */
export async function bootedFromContainerImage(root = ''): Promise<boolean | undefined> {
  const cmdline = await readBoundedFile(path.join(root || '/', CMDLINE_FILE), {
    maxBytes: MAX_CMDLINE_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (!cmdline.ok) return undefined;
  const bootLink = ostreeBootArgument(cmdline.text);
  if (bootLink === undefined) return undefined;
  let deployment: string;
  try {
    // The boot link is a relative symlink to ostree/deploy/<os>/deploy/<checksum>.<serial>.
    deployment = await realpath(path.join(root || '/', SYSROOT, bootLink));
  } catch {
    return undefined;
  }
  const origin = await readBoundedFile(`${deployment}.origin`, {
    maxBytes: MAX_ORIGIN_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  return origin.ok ? isContainerImageOrigin(origin.text) : undefined;
}
