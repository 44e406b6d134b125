// Whether an ostree host was booted from a container image, read from the
// booted deployment's origin file, as bootc itself decides its status type
// (bootc-dev/bootc, status.rs: the booted deployment has a container image
// origin, and no rpm-ostree local changes). `bootc status` needs
// CAP_SYS_ADMIN, which the hardened unit withholds, so asking it would report
// every bootc host as plain ostree; the files need none.
import path from 'node:path';
import { FILE_READ_TIMEOUT_MS, KIB, readBoundedFile } from '../base/bounded-file.js';
import { readdirAtMost, realpath, stat } from '../base/fs-async.js';

/** The kernel's command line, whose `ostree=` names the booted deployment's boot link. */
const CMDLINE_FILE = '/proc/cmdline';
/** What the `ostree=` path is relative to: the physical root, mounted here on a booted ostree host. */
const SYSROOT = '/sysroot';
const MAX_CMDLINE_BYTES = 8 * KIB;
const MAX_ORIGIN_BYTES = 64 * KIB;
/** rpm-ostree's groups for machine-local changes; any one makes the deployment no bootc image. */
const LOCAL_CHANGE_GROUPS = ['rpmostree', 'packages', 'overrides', 'modules'];

/** Pure: the first `ostree=` of a kernel command line (the one ostree-prepare-root boots), or undefined. */
export function ostreeBootArgument(cmdline: string): string | undefined {
  const found = cmdline
    .trim()
    .split(/\s+/)
    .find((word) => word.startsWith('ostree='))
    ?.slice('ostree='.length);
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
  return IMAGE_REFERENCE.test(reference);
}

/**
 * The forms ostree-ext parses (container/mod.rs), which bootc needs to call a
 * deployment an image: ostree-unverified-registry:NAME, and
 * ostree-unverified-image:, ostree-image-signed: TRANSPORT:NAME,
 * ostree-remote-image: REMOTE:TRANSPORT:NAME, ostree-remote-registry: REMOTE:NAME.
 */
const IMAGE_REFERENCE =
  /^(ostree-unverified-registry:\S+|ostree-(unverified-image|image-signed|remote-image|remote-registry):\S+:\S+)$/;

async function identityOf(file: string): Promise<string | undefined> {
  try {
    const info = await stat(file, { bigint: true });
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * ostree keeps a few deployments (the booted one, a rollback, a staged one)
 * of one or two stateroots; past these bounds a sysroot is not one an admin
 * keeps, and the scan stops there (the boot link decides then). Each
 * deployment directory has its `.origin` file beside it, so 64 entries are
 * about 32 deployments.
 */
export const MAX_STATEROOTS = 16;
export const MAX_DEPLOYMENT_ENTRIES = 64;

/** The deployment directories, ostree/deploy/<stateroot>/deploy/<checksum>.<serial>, under `sysroot`, within the bounds. */
export async function deploymentDirectories(sysroot: string): Promise<string[]> {
  const found: string[] = [];
  const roots = path.join(sysroot, 'ostree/deploy');
  let entriesLeft = MAX_DEPLOYMENT_ENTRIES;
  for (const stateroot of await readdirAtMost(roots, MAX_STATEROOTS).catch(() => [])) {
    if (!stateroot.isDirectory() || entriesLeft <= 0) continue;
    const dir = path.join(roots, stateroot.name, 'deploy');
    const entries = await readdirAtMost(dir, entriesLeft).catch(() => []);
    entriesLeft -= entries.length;
    for (const entry of entries) if (entry.isDirectory()) found.push(path.join(dir, entry.name));
  }
  return found;
}

/**
 * The booted deployment's directory. The kernel's `ostree=` link names it at
 * boot, but a rollback or a cleanup while running rewrites the boot links, so
 * it may lead elsewhere, or nowhere, until the next boot. As libostree does,
 * the deployment whose directory is the running root (same device and inode)
 * is the booted one; under composefs the root is a mount of an image, which
 * no directory matches, and the link is all there is.
 */
async function bootedDeployment(root: string, runningRoot: string): Promise<string | undefined> {
  const sysroot = path.join(root || '/', SYSROOT);
  const cmdline = await readBoundedFile(path.join(root || '/', CMDLINE_FILE), {
    maxBytes: MAX_CMDLINE_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  const bootLink = cmdline.ok ? ostreeBootArgument(cmdline.text) : undefined;
  if (bootLink === undefined) return undefined;
  // A relative symlink (through boot.N -> boot.N.M) to ostree/deploy/<os>/deploy/<checksum>.<serial>.
  const linked = await realpath(path.join(sysroot, bootLink)).catch(() => undefined);
  const running = await identityOf(runningRoot);
  if (running === undefined) return linked;
  if (linked !== undefined && (await identityOf(linked)) === running) return linked;
  for (const deployment of await deploymentDirectories(sysroot))
    if ((await identityOf(deployment)) === running) return deployment;
  return linked;
}

/**
 * True or false when the booted deployment's origin file says (a deployment
 * with no origin file is no image, as bootc has it); undefined when the
 * booted deployment cannot be found or its origin read: the caller asks bootc
 * then. `root` is a test's fake host, `runningRoot` the directory that is the
 * running root there.
 */
export async function bootedFromContainerImage(
  root = '',
  runningRoot = root || '/',
): Promise<boolean | undefined> {
  const deployment = await bootedDeployment(root, runningRoot);
  if (deployment === undefined) return undefined;
  const origin = await readBoundedFile(`${deployment}.origin`, {
    maxBytes: MAX_ORIGIN_BYTES,
    timeoutMs: FILE_READ_TIMEOUT_MS,
  });
  if (origin.ok) return isContainerImageOrigin(origin.text);
  return origin.error.code === 'ENOENT' ? false : undefined;
}
