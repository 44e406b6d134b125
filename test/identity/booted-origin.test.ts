// The deployment type on an ostree host, read from files laid out as a booted
// ostree system has them (libostree's: the kernel's `ostree=` boot link, a
// relative symlink into ostree/deploy, the deployment's `.origin` key file),
// in a fake root. The origin files are the forms bootc and rpm-ostree write.
import t from 'tap';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  bootedFromContainerImage,
  deploymentDirectories,
  isContainerImageOrigin,
  MAX_DEPLOYMENT_ENTRIES,
  MAX_STATEROOTS,
  ostreeBootArgument,
  parseKeyFile,
} from '../../src/identity/booted-origin.js';
import { detectDeploymentType } from '../../src/identity/deployment-type.js';
import { ownTempDir } from '../helpers/files.js';

const CHECKSUM = '7d3f0c1b9a2e4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5';
const BOOT_CHECKSUM = '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0';
const BOOTC_ORIGIN =
  '[origin]\ncontainer-image-reference=ostree-unverified-registry:quay.io/example/microshift-bootc:4.18\n';
const RPM_OSTREE_ORIGIN = '[origin]\nrefspec=edge:rhel/9/x86_64/edge\n';

/** A fake root booted from deployment CHECKSUM.0 of stateroot rhel, whose origin is `origin` (none: no file). */
async function ostreeHost(t: Parameters<typeof ownTempDir>[0], origin: string | undefined) {
  const root = await ownTempDir(t);
  await mkdir(path.join(root, 'run'));
  await writeFile(path.join(root, 'run/ostree-booted'), '');
  await mkdir(path.join(root, 'proc'));
  await writeFile(
    path.join(root, 'proc/cmdline'),
    `BOOT_IMAGE=(hd0,gpt3)/boot/ostree/rhel-${BOOT_CHECKSUM}/vmlinuz-5.14.0 rw ostree=/ostree/boot.1/rhel/${BOOT_CHECKSUM}/0 console=ttyS0\n`,
  );
  const ostree = path.join(root, 'sysroot/ostree');
  const deployment = path.join(ostree, 'deploy/rhel/deploy', `${CHECKSUM}.0`);
  await mkdir(deployment, { recursive: true });
  if (origin !== undefined) await writeFile(`${deployment}.origin`, origin);
  await mkdir(path.join(ostree, 'boot.1.1/rhel', BOOT_CHECKSUM), { recursive: true });
  await symlink('boot.1.1', path.join(ostree, 'boot.1'));
  await symlink(
    `../../../deploy/rhel/deploy/${CHECKSUM}.0`,
    path.join(ostree, 'boot.1.1/rhel', BOOT_CHECKSUM, '0'),
  );
  return root;
}

t.test('the ostree= boot argument: the last one, an absolute path', async (t) => {
  t.equal(
    ostreeBootArgument('ro ostree=/ostree/boot.1/rhel/abc/0 quiet'),
    '/ostree/boot.1/rhel/abc/0',
  );
  t.equal(
    ostreeBootArgument('ostree=/a ostree=/b\n'),
    '/a',
    'the first, as ostree-prepare-root takes it',
  );
  t.equal(ostreeBootArgument('root=/dev/sda1 ro quiet'), undefined);
  t.equal(ostreeBootArgument('ostree=relative/0'), undefined);
  t.equal(ostreeBootArgument('ostree='), undefined);
});

t.test('origin files as bootc decides on them', async (t) => {
  t.equal(isContainerImageOrigin(BOOTC_ORIGIN), true, "bootc's own");
  t.equal(
    isContainerImageOrigin(
      '# written by bootc switch\n[origin]\ncontainer-image-reference = ostree-image-signed:docker://quay.io/x/y:z\n',
    ),
    true,
    'a signed image, spaces around =, a comment',
  );
  t.equal(isContainerImageOrigin(RPM_OSTREE_ORIGIN), false, 'an rpm-ostree (RHEL for Edge) commit');
  t.equal(
    isContainerImageOrigin(`${BOOTC_ORIGIN}\n[packages]\nrequested=vim-enhanced;\n`),
    false,
    'an image with rpm-ostree local packages layered: bootc calls it incompatible',
  );
  for (const group of ['rpmostree', 'overrides', 'modules'])
    t.equal(isContainerImageOrigin(`${BOOTC_ORIGIN}[${group}]\nx=y\n`), false, `[${group}]`);
  t.equal(
    isContainerImageOrigin('[origin]\ncontainer-image-reference=\n'),
    false,
    'an empty reference',
  );
  for (const [reference, expected] of [
    ['ostree-unverified-registry:quay.io/x/y:z', true],
    ['ostree-unverified-image:docker://quay.io/x/y', true],
    ['ostree-image-signed:docker://quay.io/x/y', true],
    ['ostree-remote-image:rhel:docker://quay.io/x/y', true],
    ['ostree-remote-registry:rhel:quay.io/x/y', true],
    ['ostree-remote-registry:quay.io', false],
    ['ostree-unverified-image:quay.io', false],
    ['ostree-foo:quay.io/x', false],
    ['quay.io/x/y', false],
  ] as const)
    t.equal(
      isContainerImageOrigin(`[origin]\ncontainer-image-reference=${reference}\n`),
      expected,
      `${reference}: ${expected ? 'an image' : 'not one ostree-ext parses'}`,
    );
  t.equal(
    isContainerImageOrigin('[other]\ncontainer-image-reference=ostree-unverified-registry:q/x\n'),
    false,
    'the key outside [origin]',
  );
  t.same(
    [...(parseKeyFile('[a]\nk=1\nk=2\n[b]\n[a]\nj=3\n').get('a') ?? [])],
    [
      ['k', '2'],
      ['j', '3'],
    ],
    'a group met twice is one; the later key wins',
  );
});

t.test('a booted ostree host: bootc, ostree, or not to be told', async (t) => {
  const bootc = await ostreeHost(t, BOOTC_ORIGIN);
  t.equal(await bootedFromContainerImage(bootc), true);
  t.equal(await detectDeploymentType({ root: bootc }), 'microshift-bootc');

  const edge = await ostreeHost(t, RPM_OSTREE_ORIGIN);
  t.equal(await bootedFromContainerImage(edge), false);
  t.equal(await detectDeploymentType({ root: edge }), 'microshift-ostree');

  const noOrigin = await ostreeHost(t, undefined);
  t.equal(
    await bootedFromContainerImage(noOrigin),
    false,
    'no origin file: no image, as bootc has it',
  );
  t.equal(await detectDeploymentType({ root: noOrigin }), 'microshift-ostree');

  const unreadable = await ostreeHost(t, undefined);
  await mkdir(path.join(unreadable, 'sysroot/ostree/deploy/rhel/deploy', `${CHECKSUM}.0.origin`));
  t.equal(
    await bootedFromContainerImage(unreadable),
    undefined,
    'an origin that cannot be read: not told',
  );
  t.equal(
    await detectDeploymentType({ root: unreadable }),
    'microshift-ostree',
    'then ostree (a fake root asks no bootc)',
  );

  const dangling = await ostreeHost(t, BOOTC_ORIGIN);
  await rm(path.join(dangling, 'sysroot/ostree/deploy'), { recursive: true });
  t.equal(await bootedFromContainerImage(dangling), undefined, 'a boot link that leads nowhere');

  const noArgument = await ostreeHost(t, BOOTC_ORIGIN);
  await writeFile(path.join(noArgument, 'proc/cmdline'), 'ro quiet\n');
  t.equal(await bootedFromContainerImage(noArgument), undefined, 'no ostree= argument');
});

t.test(
  'boot links rewritten since the boot: the deployment that is the running root',
  async (t) => {
    // Booted from the bootc image CHECKSUM.0; then an rpm-ostree rebase deployed OTHER.1 and a rollback or
    // cleanup rewrote the boot links, so the kernel's ostree= now leads to OTHER.1, or nowhere.
    const root = await ostreeHost(t, BOOTC_ORIGIN);
    const deploy = path.join(root, 'sysroot/ostree/deploy/rhel/deploy');
    const booted = path.join(deploy, `${CHECKSUM}.0`);
    const other = path.join(deploy, `${'e'.repeat(64)}.1`);
    await mkdir(other);
    await writeFile(`${other}.origin`, RPM_OSTREE_ORIGIN);
    const link = path.join(root, 'sysroot/ostree/boot.1.1/rhel', BOOT_CHECKSUM, '0');
    await rm(link);
    await symlink(`../../../deploy/rhel/deploy/${path.basename(other)}`, link);
    t.equal(
      await bootedFromContainerImage(root),
      false,
      'the link alone reads the other deployment',
    );
    t.equal(
      await bootedFromContainerImage(root, booted),
      true,
      'the running root finds the booted one',
    );
    t.equal(await bootedFromContainerImage(root, other), false, 'and the other when it is running');
    await rm(path.join(root, 'sysroot/ostree/boot.1'));
    t.equal(
      await bootedFromContainerImage(root, booted),
      true,
      'a boot version cleaned up: found all the same',
    );
    t.equal(await bootedFromContainerImage(root), undefined, 'which the link alone cannot');
  },
);

t.test('the deployment scan: every deployment within its bounds, no more', async (t) => {
  const root = await ostreeHost(t, BOOTC_ORIGIN);
  const sysroot = path.join(root, 'sysroot');
  const deploy = path.join(sysroot, 'ostree/deploy/rhel/deploy');
  t.same(
    await deploymentDirectories(sysroot),
    [path.join(deploy, `${CHECKSUM}.0`)],
    'the one deployment, not its origin file',
  );
  // A runaway: more stateroots than the bound, one deployment in each.
  for (let i = 0; i <= MAX_STATEROOTS; i++)
    await mkdir(path.join(sysroot, `ostree/deploy/extra-${i}/deploy/${'b'.repeat(64)}.0`), {
      recursive: true,
    });
  t.equal(
    (await deploymentDirectories(sysroot)).length,
    MAX_STATEROOTS,
    `one deployment from each of the first ${MAX_STATEROOTS} stateroots, of ${MAX_STATEROOTS + 2}`,
  );
  t.equal(
    await bootedFromContainerImage(root),
    true,
    'the boot link still tells the booted deployment',
  );
  // Three times the bound of deployments in one stateroot (beside its one origin file).
  const crowded = await ostreeHost(t, BOOTC_ORIGIN);
  const crowdedDeploy = path.join(crowded, 'sysroot/ostree/deploy/rhel/deploy');
  for (let i = 1; i <= 3 * MAX_DEPLOYMENT_ENTRIES; i++)
    await mkdir(path.join(crowdedDeploy, `${'a'.repeat(64)}.${i}`));
  const found = await deploymentDirectories(path.join(crowded, 'sysroot'));
  t.ok(
    found.length === MAX_DEPLOYMENT_ENTRIES || found.length === MAX_DEPLOYMENT_ENTRIES - 1,
    `${found.length} deployments: the bound of ${MAX_DEPLOYMENT_ENTRIES} entries, less the origin file if it was among them`,
  );
  t.equal(await bootedFromContainerImage(crowded), true, 'and the boot link tells it there too');
});

t.test('no /run/ostree-booted: rpm, whatever the files say', async (t) => {
  const root = await ostreeHost(t, BOOTC_ORIGIN);
  await rm(path.join(root, 'run/ostree-booted'));
  t.equal(await detectDeploymentType({ root }), 'microshift-rpm');
});
