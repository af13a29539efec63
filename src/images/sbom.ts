import { createHash } from 'node:crypto';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { PackageURL } from 'packageurl-js';
import parseSpdxExpression from 'spdx-expression-parse';
import { InputError } from '../core/index.js';
import type { CatalogPackage } from '../vulndb/package.js';
import type { ImageScanResult } from './scan.js';

/** Who wrote an SBOM (tool name and version). */
export interface SbomTool {
  name: string;
  version: string;
}

const PROP = {
  ecosystem: 'palisade:package:ecosystem',
  layer: 'palisade:location:layerDigest',
  path: 'palisade:location:path',
  sourceName: 'palisade:package:sourceName',
  sourceVersion: 'palisade:package:sourceVersion',
} as const;

function validSpdxExpression(s: string): boolean {
  try {
    parseSpdxExpression(s);
    return true;
  } catch {
    return false;
  }
}

/** A stable bom-ref / SPDXID suffix for a package (purl and location). */
function packageKey(p: CatalogPackage, index: number): string {
  return `${index}-${createHash('sha256').update(`${p.purl}\u0000${p.location.path}`).digest('hex').slice(0, 12)}`;
}

/** Renders a scan as CycloneDX 1.6 JSON through the CycloneDX library. */
export function renderCycloneDx(result: ImageScanResult, tool: SbomTool, now: Date = new Date()): string {
  const bom = new CDX.Models.Bom();
  bom.metadata.timestamp = now;
  bom.metadata.tools.components.add(
    new CDX.Models.Component(CDX.Enums.ComponentType.Application, tool.name, { version: tool.version }),
  );
  const image = new CDX.Models.Component(CDX.Enums.ComponentType.Container, result.name, {
    bomRef: 'image',
    ...(result.manifestDigest !== undefined ? { version: result.manifestDigest } : {}),
  });
  bom.metadata.component = image;
  result.packages.forEach((p, i) => {
    const props = new CDX.Models.PropertyRepository([
      new CDX.Models.Property(PROP.ecosystem, p.ecosystem),
      new CDX.Models.Property(PROP.path, p.location.path),
    ]);
    if (p.location.layerDigest !== undefined)
      props.add(new CDX.Models.Property(PROP.layer, p.location.layerDigest));
    if (p.source !== undefined) {
      props.add(new CDX.Models.Property(PROP.sourceName, p.source.name));
      props.add(new CDX.Models.Property(PROP.sourceVersion, p.source.version));
    }
    const licenses = new CDX.Models.LicenseRepository();
    for (const l of p.licenses ?? []) {
      if (validSpdxExpression(l)) licenses.add(new CDX.Models.LicenseExpression(l));
      else licenses.add(new CDX.Models.NamedLicense(l));
    }
    let purl: string | undefined;
    try {
      purl = PackageURL.fromString(p.purl).toString();
    } catch {
      purl = undefined;
    }
    const component = new CDX.Models.Component(CDX.Enums.ComponentType.Library, p.name, {
      bomRef: `pkg-${packageKey(p, i)}`,
      version: p.version,
      ...(purl !== undefined ? { purl } : {}),
      properties: props,
      licenses,
    });
    bom.components.add(component);
  });
  const serializer = new CDX.Serialize.JsonSerializer(
    new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.Spec1dot6),
  );
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}

/** Renders a scan as SPDX 2.3 JSON. */
export function renderSpdx(result: ImageScanResult, tool: SbomTool, now: Date = new Date()): string {
  const hash = createHash('sha256')
    .update(`${result.name}\u0000${result.manifestDigest ?? ''}\u0000${now.toISOString()}`)
    .digest('hex');
  const packages: Record<string, unknown>[] = [
    {
      SPDXID: 'SPDXRef-Image',
      name: result.name,
      ...(result.manifestDigest !== undefined ? { versionInfo: result.manifestDigest } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose: 'CONTAINER',
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
    },
  ];
  const relationships: Record<string, unknown>[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' },
  ];
  result.packages.forEach((p, i) => {
    const id = `SPDXRef-Package-${packageKey(p, i)}`;
    const declared = (p.licenses ?? []).filter(validSpdxExpression);
    packages.push({
      SPDXID: id,
      name: p.name,
      versionInfo: p.version,
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      primaryPackagePurpose:
        p.ecosystem.includes(':') || /^(Red Hat|Rocky|Alma)/.test(p.ecosystem)
          ? 'OPERATING-SYSTEM'
          : 'LIBRARY',
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: declared.length === 1 && declared[0] !== undefined ? declared[0] : 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      ...(p.source !== undefined
        ? { sourceInfo: `built from source package ${p.source.name} ${p.source.version}` }
        : {}),
      comment: `found at ${p.location.path}${p.location.layerDigest !== undefined ? ` in layer ${p.location.layerDigest}` : ''}; ecosystem ${p.ecosystem}`,
      externalRefs: [
        { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl },
      ],
    });
    relationships.push({
      spdxElementId: 'SPDXRef-Image',
      relationshipType: 'CONTAINS',
      relatedSpdxElement: id,
    });
  });
  const doc = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: result.name,
    documentNamespace: `https://palisade.dev/spdx/${encodeURIComponent(result.name)}-${hash}`,
    creationInfo: {
      created: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      creators: [`Tool: ${tool.name}-${tool.version}`],
    },
    documentDescribes: ['SPDXRef-Image'],
    packages,
    relationships,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// SBOMs in

/** The OSV ecosystem a purl implies (distro versions from the `distro` qualifier). */
export function ecosystemFromPurl(purl: PackageURL): string {
  const distro = purl.qualifiers?.distro;
  const version = distro?.includes('-') === true ? distro.slice(distro.indexOf('-') + 1) : undefined;
  switch (purl.type) {
    case 'deb':
      if (purl.namespace === 'ubuntu') return version !== undefined ? `Ubuntu:${version}` : 'Ubuntu';
      return version !== undefined ? `Debian:${version.split('.')[0] ?? version}` : 'Debian';
    case 'apk': {
      if (purl.namespace === 'wolfi') return 'Wolfi';
      if (version === undefined) return 'Alpine';
      const [major, minor] = version.split('.');
      return minor === undefined ? `Alpine:v${major}` : `Alpine:v${major}.${minor}`;
    }
    case 'rpm':
      return purl.namespace === 'redhat'
        ? 'Red Hat'
        : purl.namespace === 'rocky-linux'
          ? 'Rocky Linux'
          : purl.namespace === 'almalinux'
            ? 'AlmaLinux'
            : 'Red Hat';
    case 'npm':
      return 'npm';
    case 'pypi':
      return 'PyPI';
    case 'golang':
      return 'Go';
    case 'maven':
      return 'Maven';
    case 'gem':
      return 'RubyGems';
    case 'cargo':
      return 'crates.io';
    case 'nuget':
      return 'NuGet';
    case 'composer':
      return 'Packagist';
    default:
      return purl.type;
  }
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function packageName(purl: PackageURL): string {
  if (purl.type === 'npm' && purl.namespace) return `${purl.namespace}/${purl.name}`;
  if (purl.type === 'maven' && purl.namespace) return `${purl.namespace}:${purl.name}`;
  if (purl.type === 'golang' && purl.namespace) return `${purl.namespace}/${purl.name}`;
  return purl.name;
}

function fromPurl(
  text: string,
  version: string | undefined,
  location: CatalogPackage['location'],
  extra: Partial<Pick<CatalogPackage, 'licenses' | 'source'>>,
): CatalogPackage | undefined {
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(text);
  } catch {
    return undefined;
  }
  const v = version ?? purl.version;
  if (v === undefined || v === null || v === '') return undefined;
  const pkg: CatalogPackage = {
    name: packageName(purl),
    version: v,
    purl: text,
    ecosystem: ecosystemFromPurl(purl),
    location,
  };
  if (extra.licenses !== undefined && extra.licenses.length > 0) pkg.licenses = extra.licenses;
  if (extra.source !== undefined) pkg.source = extra.source;
  return pkg;
}

/** Which kind of SBOM a JSON document is. */
export type SbomFormat = 'cyclonedx' | 'spdx' | 'syft';

/**
 * Reads a CycloneDX, SPDX 2.x or Syft JSON SBOM back to packages. Packages without a purl
 * cannot be matched and are counted in `unusable`. `where` names the file in errors.
 */
export function readSbom(
  text: string,
  where: string,
): { format: SbomFormat; name?: string; packages: CatalogPackage[]; unusable: number } {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(JSON.parse(text));
  } catch {
    throw new InputError(`${where}: not JSON (CycloneDX, SPDX and Syft JSON SBOMs are read)`);
  }
  if (doc === undefined) throw new InputError(`${where}: not a JSON object`);
  const packages: CatalogPackage[] = [];
  let unusable = 0;
  const add = (p: CatalogPackage | undefined): void => {
    if (p === undefined) unusable++;
    else packages.push(p);
  };
  if (doc.bomFormat === 'CycloneDX') {
    const walk = (components: unknown, depth: number): void => {
      if (!Array.isArray(components) || depth > 32) return;
      for (const c of components) {
        const comp = record(c);
        if (comp === undefined) continue;
        const props = new Map<string, string>();
        if (Array.isArray(comp.properties))
          for (const pr of comp.properties) {
            const r = record(pr);
            if (typeof r?.name === 'string' && typeof r.value === 'string') props.set(r.name, r.value);
          }
        const licenses: string[] = [];
        if (Array.isArray(comp.licenses))
          for (const l of comp.licenses) {
            const r = record(l);
            const lic = record(r?.license);
            const value = r?.expression ?? lic?.id ?? lic?.name;
            if (typeof value === 'string') licenses.push(value);
          }
        const layer = props.get(PROP.layer);
        const location: CatalogPackage['location'] = { path: props.get(PROP.path) ?? where };
        if (layer !== undefined) location.layerDigest = layer;
        const sName = props.get(PROP.sourceName);
        const sVersion = props.get(PROP.sourceVersion);
        if (typeof comp.purl === 'string') {
          const p = fromPurl(
            comp.purl,
            typeof comp.version === 'string' ? comp.version : undefined,
            location,
            {
              licenses,
              ...(sName !== undefined && sVersion !== undefined
                ? { source: { name: sName, version: sVersion } }
                : {}),
            },
          );
          const eco = props.get(PROP.ecosystem);
          if (p !== undefined && eco !== undefined) p.ecosystem = eco;
          add(p);
        } else if (comp.type !== 'operating-system' && comp.type !== 'container' && comp.type !== 'file')
          unusable++;
        walk(comp.components, depth + 1);
      }
    };
    walk(doc.components, 0);
    const name = record(record(doc.metadata)?.component)?.name;
    return { format: 'cyclonedx', ...(typeof name === 'string' ? { name } : {}), packages, unusable };
  }
  if (typeof doc.spdxVersion === 'string') {
    if (!Array.isArray(doc.packages)) return { format: 'spdx', packages, unusable };
    for (const p of doc.packages) {
      const pkg = record(p);
      if (pkg === undefined) continue;
      const refs = Array.isArray(pkg.externalRefs) ? pkg.externalRefs.map(record) : [];
      const purl = refs.find((r) => r?.referenceType === 'purl')?.referenceLocator;
      if (typeof purl !== 'string') {
        if (pkg.primaryPackagePurpose !== 'CONTAINER' && pkg.SPDXID !== 'SPDXRef-Image') unusable++;
        continue;
      }
      const comment = typeof pkg.comment === 'string' ? pkg.comment : '';
      const m = /^found at (\S+)(?: in layer (\S+?))?;/.exec(comment);
      const location: CatalogPackage['location'] = { path: m?.[1] ?? where };
      if (m?.[2] !== undefined) location.layerDigest = m[2];
      const declared =
        typeof pkg.licenseDeclared === 'string' &&
        pkg.licenseDeclared !== 'NOASSERTION' &&
        pkg.licenseDeclared !== 'NONE'
          ? [pkg.licenseDeclared]
          : [];
      add(
        fromPurl(purl, typeof pkg.versionInfo === 'string' ? pkg.versionInfo : undefined, location, {
          licenses: declared,
        }),
      );
    }
    return {
      format: 'spdx',
      ...(typeof doc.name === 'string' ? { name: doc.name } : {}),
      packages,
      unusable,
    };
  }
  if (Array.isArray(doc.artifacts)) {
    for (const a of doc.artifacts) {
      const art = record(a);
      if (art === undefined) continue;
      const locs = Array.isArray(art.locations) ? art.locations.map(record) : [];
      const first = locs[0];
      const location: CatalogPackage['location'] = {
        path: typeof first?.path === 'string' ? first.path : where,
      };
      if (typeof first?.layerID === 'string') location.layerDigest = first.layerID;
      const licenses: string[] = [];
      if (Array.isArray(art.licenses))
        for (const l of art.licenses) {
          const v = typeof l === 'string' ? l : record(l)?.value;
          if (typeof v === 'string') licenses.push(v);
        }
      if (typeof art.purl !== 'string' || art.purl === '') {
        unusable++;
        continue;
      }
      add(
        fromPurl(art.purl, typeof art.version === 'string' ? art.version : undefined, location, { licenses }),
      );
    }
    const source = record(record(doc.source)?.metadata);
    const name = source?.userInput;
    return { format: 'syft', ...(typeof name === 'string' ? { name } : {}), packages, unusable };
  }
  throw new InputError(`${where}: not a CycloneDX, SPDX or Syft JSON SBOM`);
}
