import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

/**
 * The embedded manifests and scripts. They ship in the package's manifests/
 * folder; this is the one place that reads them, so a bundler can swap it for
 * inlined text. A binary asset (`.jar`) is its base64 text.
 */
export const ASSET_NAMES = [
  'secret.yaml',
  'configmap.yaml',
  'headless-service.yaml',
  'client-service.yaml',
  'pdb.yaml',
  'networkpolicy.yaml',
  'statefulset.yaml',
  'zoo.cfg',
  'scripts/start.sh',
  'scripts/ready.sh',
  'scripts/live.sh',
  'scripts/kill.sh',
  'backup/cronjob.yaml',
  'backup/backup.jar',
  'backup/logback.xml',
  'scripts/inspect.sh',
] as const;

export type AssetName = (typeof ASSET_NAMES)[number];

export type Assets = Record<AssetName, string>;

const ROOT = new URL('../../manifests/', import.meta.url);

export function loadAssets(): Assets {
  const out = {} as Assets;
  for (const name of ASSET_NAMES) out[name] = readFileSync(fileURLToPath(new URL(name, ROOT)), name.endsWith('.jar') ? 'base64' : 'utf8');
  return out;
}
