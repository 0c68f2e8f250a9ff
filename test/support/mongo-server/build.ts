/**
 * Builds the MongoDB-wire test server (mongo-java-server + H2 file backend) once
 * and caches it under `.cache/mongo-server/<hash of the sources>/` at the repo root.
 * The jars come from Maven Central through `mvn dependency:copy-dependencies`;
 * the launcher is compiled with javac. Concurrent builders are safe: each builds
 * into its own temporary folder and renames it into place; the loser discards its copy.
 *
 * Run by hand: node --import tsx test/support/mongo-server/build.ts
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../../..');
const SOURCES = ['pom.xml', 'RitualMongoServer.java'];

export interface BuiltServer {
  /** The java classpath (launcher classes + jars). */
  classpath: string;
  /** Main class to run. */
  mainClass: string;
  /** Whether this call had to build (false: taken from the cache). */
  built: boolean;
  /** Build time in milliseconds (0 from the cache). */
  buildMs: number;
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  for (const name of SOURCES) hash.update(name).update(await readFile(join(here, name)));
  return hash.digest('hex').slice(0, 16);
}

function layout(dir: string): BuiltServer {
  return {
    classpath: [join(dir, 'classes'), join(dir, 'lib', '*')].join(process.platform === 'win32' ? ';' : ':'),
    mainClass: 'RitualMongoServer',
    built: false,
    buildMs: 0,
  };
}

/** Returns the cached build, building it first when the sources changed or nothing is cached. */
export async function ensureMongoServerBuilt(
  cacheRoot = join(repoRoot, '.cache', 'mongo-server'),
): Promise<BuiltServer> {
  const target = join(cacheRoot, await sourceHash());
  if (existsSync(join(target, 'classes', 'RitualMongoServer.class'))) return layout(target);

  const started = Date.now();
  const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(join(temp, 'classes'), { recursive: true });
  try {
    await run(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        join(here, 'pom.xml'),
        'dependency:copy-dependencies',
        `-DoutputDirectory=${join(temp, 'lib')}`,
      ],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    ).catch((error: unknown) => {
      throw new Error(
        `Fetching mongo-java-server from Maven Central failed (needs mvn and Java 17; or set MONGODB_URL to a real server): ${String(error)}`,
      );
    });
    await run('javac', [
      '-d',
      join(temp, 'classes'),
      '-cp',
      join(temp, 'lib', '*'),
      join(here, 'RitualMongoServer.java'),
    ]);
    try {
      await rename(temp, target);
    } catch (error) {
      // Another process finished first: use its copy.
      if (!existsSync(join(target, 'classes', 'RitualMongoServer.class'))) throw error;
      await rm(temp, { recursive: true, force: true });
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { ...layout(target), built: true, buildMs: Date.now() - started };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await ensureMongoServerBuilt();
  console.log(
    result.built
      ? `built the MongoDB test server in ${(result.buildMs / 1000).toFixed(1)} s`
      : 'MongoDB test server already built (cached)',
  );
}
