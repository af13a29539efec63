import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { InputError } from '../core/index.js';

/** Credentials for one registry. Never printed: errors name the user at most. */
export type RegistryCredentials =
  { kind: 'basic'; username: string; password: string } | { kind: 'identity-token'; token: string };

/** Where credentials for a registry come from, in the order they are tried. */
export type CredentialSource =
  { kind: 'auth'; credentials: RegistryCredentials } | { kind: 'helper'; helper: string } | { kind: 'none' };

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** The keys a docker config may use for a registry (`host`, `https://host`, `https://host/v1/`). */
function keysFor(registry: string): string[] {
  const keys = [
    registry,
    `https://${registry}`,
    `http://${registry}`,
    `https://${registry}/v1/`,
    `https://${registry}/v2/`,
  ];
  if (registry === 'docker.io' || registry === 'registry-1.docker.io')
    keys.push('https://index.docker.io/v1/', 'index.docker.io', 'docker.io');
  return keys;
}

/**
 * Reads what a Docker config says about a registry: `credHelpers[host]` first, then an
 * `auths` entry (`auth` = base64 user:password, or `identitytoken`), then `credsStore`.
 * `where` names the file in errors; the content is never quoted.
 */
export function credentialSourceFromDockerConfig(
  text: string,
  registry: string,
  where: string,
): CredentialSource {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(JSON.parse(text));
  } catch {
    throw new InputError(`${where}: not valid JSON`);
  }
  if (doc === undefined) throw new InputError(`${where}: not a JSON object`);
  const keys = keysFor(registry);
  const helpers = record(doc.credHelpers);
  for (const k of keys) {
    const h = helpers?.[k];
    if (typeof h === 'string' && h !== '') return { kind: 'helper', helper: h };
  }
  const auths = record(doc.auths);
  for (const k of keys) {
    const entry = record(auths?.[k]);
    if (entry === undefined) continue;
    if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '')
      return { kind: 'auth', credentials: { kind: 'identity-token', token: entry.identitytoken } };
    if (typeof entry.auth === 'string' && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0)
        throw new InputError(`${where}: auths entry for ${registry} is not base64 of user:password`);
      return {
        kind: 'auth',
        credentials: { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) },
      };
    }
    if (typeof entry.username === 'string' && typeof entry.password === 'string')
      return {
        kind: 'auth',
        credentials: { kind: 'basic', username: entry.username, password: entry.password },
      };
  }
  if (typeof doc.credsStore === 'string' && doc.credsStore !== '')
    return { kind: 'helper', helper: doc.credsStore };
  return { kind: 'none' };
}

/** Reads a credential helper's `get` answer (`{"Username":…,"Secret":…}`). */
export function parseHelperOutput(text: string, helper: string): RegistryCredentials | undefined {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = record(JSON.parse(text));
  } catch {
    throw new InputError(`credential helper docker-credential-${helper}: answer is not JSON`);
  }
  const user = doc?.Username;
  const secret = doc?.Secret;
  if (typeof secret !== 'string' || secret === '') return undefined;
  // Helpers mark identity tokens with the user name "<token>".
  if (user === '<token>') return { kind: 'identity-token', token: secret };
  return { kind: 'basic', username: typeof user === 'string' ? user : '', password: secret };
}

/** Runs `docker-credential-HELPER get` with the registry on stdin (10 s limit, 64 KiB answer). */
export function runCredentialHelper(
  helper: string,
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryCredentials | undefined> {
  if (!/^[\w.-]+$/.test(helper))
    return Promise.reject(new InputError(`credential helper name ${JSON.stringify(helper)} is not valid`));
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, ['get'], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 10_000,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      if (out.length < 65_536) out += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      if (err.length < 4096) err += c.toString('utf8');
    });
    child.on('error', (e) => {
      reject(new InputError(`credential helper docker-credential-${helper} could not run (${e.message})`));
    });
    child.on('close', (code) => {
      // "credentials not found" is an answer, not a failure: the registry may allow anonymous pulls.
      if (code !== 0) {
        if (/not found/i.test(out + err)) resolve(undefined);
        else
          reject(
            new InputError(`credential helper docker-credential-${helper} failed (exit ${code ?? 'signal'})`),
          );
        return;
      }
      try {
        resolve(parseHelperOutput(out, helper));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
    child.stdin.end(`${registry}\n`);
  });
}

/** Where the Docker config lives: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), '.docker'), 'config.json');
}

/** Finds credentials for a registry in the Docker config and its helpers; undefined for anonymous. */
export async function resolveRegistryCredentials(
  registry: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RegistryCredentials | undefined> {
  const file = dockerConfigPath(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const source = credentialSourceFromDockerConfig(text, registry, file);
  if (source.kind === 'auth') return source.credentials;
  if (source.kind === 'helper') return runCredentialHelper(source.helper, registry, env);
  return undefined;
}
