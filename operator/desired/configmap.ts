/** The ConfigMap holding the forwarder's config file (mounted as a directory so updates reach the pod). */
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { ConfigFileInput } from '../../contracts/config-file.ts';
import type { AlpacaForwarder } from '../api/types.ts';
import { childMetadata } from './names.ts';
import { FORWARDER_POD } from './settings.ts';

/** Pretty JSON (valid YAML) in the fixed key order of renderConfigFile. */
export function configFileText(file: ConfigFileInput): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function buildConfigMap(af: AlpacaForwarder, file: ConfigFileInput): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(af, 'config'),
    data: { [FORWARDER_POD.configFileName]: configFileText(file) },
  };
}
