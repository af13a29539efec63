/**
 * pss/restrictedVolumes (restricted, v1.0+) — beyond hostPath, the restricted profile limits
 * volumes to the core types and those defined through PersistentVolumes.
 *
 * Restricted field: `spec.volumes[*]`. Allowed sources: configMap, csi, downwardAPI, emptyDir,
 * ephemeral, image, persistentVolumeClaim, projected, secret. (Upstream amended its single v1.0
 * revision in place to allow `image`, so it is allowed at every policy version.) A volume that
 * sets no source at all is an emptyDir, as the API server defaults it before admission. Any
 * other source is denied. Overrides hostPathVolumes.
 * Denial: `restricted volume types (volume "data" uses restricted volume type "hostPath")`.
 */
import {
  deny,
  isNil,
  isObject,
  joinQuote,
  list,
  pluralize,
  sortedSet,
  str,
  type PssCheck,
  type PssCheckFn,
} from './shared.js';

const ALLOWED = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

/** Every other volume source, in the order upstream names the first one a volume sets. */
const RESTRICTED = [
  'hostPath',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'nfs',
  'iscsi',
  'glusterfs',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'fc',
  'azureFile',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'portworxVolume',
  'scaleIO',
  'storageos',
];

const restrictedVolumes1Dot0: PssCheckFn = (pod) => {
  const names: string[] = [];
  const types: string[] = [];
  const paths: string[] = [];
  list(pod.spec.volumes).forEach((v, i) => {
    const volume = isObject(v) ? v : {};
    if (ALLOWED.some((f) => !isNil(volume[f]))) return;
    // No source at all is defaulted to emptyDir by the API server (SetDefaults_Volume).
    const source = RESTRICTED.find((f) => !isNil(volume[f]));
    if (source === undefined) return;
    names.push(str(volume.name));
    types.push(source);
    paths.push(pod.specPath('volumes', i, source));
  });
  if (names.length === 0) return undefined;
  const distinct = sortedSet(types);
  return deny(
    'restricted volume types',
    `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('restricted volume type', 'restricted volume types', distinct.length)} ${joinQuote(distinct)}`,
    paths,
  );
};

export const restrictedVolumes: PssCheck = {
  id: 'restrictedVolumes',
  level: 'restricted',
  title: 'Pods must use only core volume types',
  severity: 'medium',
  rationale:
    'Direct network and host volume sources bypass PersistentVolume administration and can expose node or storage credentials to the pod.',
  remediation:
    'Use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes.',
  refs: [
    { id: 'cis-1.10', control: '5.2.12' },
    { id: 'nsa-cisa-1.2', control: 'Pod security: host file system' },
    { id: 'mitre-attack', control: 'T1611' },
  ],
  versions: [
    {
      minVersion: 0,
      check: restrictedVolumes1Dot0,
      change:
        'only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected, secret volumes',
      overrides: ['hostPathVolumes'],
    },
  ],
};
