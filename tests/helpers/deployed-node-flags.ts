/**
 * The node flags the Docker image starts the bridge with (the ENTRYPOINT's arguments before
 * the script), so a test that bounds the bridge's memory runs it the way it is deployed and
 * the two cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './synapse';

export function deployedNodeFlags(): string[] {
  const line = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (!line) throw new Error('the Dockerfile has no ENTRYPOINT');
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
  const script = argv.findIndex((a) => a.endsWith('/cli.js'));
  if (argv[0] !== 'node' || script < 0) throw new Error(`unexpected ENTRYPOINT: ${line}`);
  return argv.slice(1, script);
}
