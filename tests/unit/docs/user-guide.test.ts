// docs/user-guide.md explains every command the bot answers, and no command it does not:
// a command added without its section, or renamed, fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinCommands } from '../../../src/matrix/commands/builtin';
import { CommandRegistry, usageOf } from '../../../src/matrix/commands/registry';
import { startCoreHarness } from '../../helpers/core-harness';
import { repoRoot } from '../../helpers/synapse';

test('the user guide has a section for each bot command, headed with its usage, and none for a command that does not exist', async () => {
  const harness = await startCoreHarness();
  try {
    const registry = new CommandRegistry();
    const commands = [...builtinCommands(registry, '0.0.0', '!wa'), ...harness.core.commands()];
    const guide = readFileSync(join(repoRoot, 'docs/user-guide.md'), 'utf8');
    const headings = [...guide.matchAll(/^### `([^`]+)`$/gm)].map((m) => m[1]);
    for (const command of commands) {
      const usage = [command.name, usageOf(command)].filter(Boolean).join(' ');
      assert.ok(headings.includes(usage), `no section "### \`${usage}\`" in docs/user-guide.md (sections: ${headings.join(', ')})`);
    }
    const names = new Set(commands.map((c) => c.name));
    for (const heading of headings) assert.ok(names.has(heading.split(' ')[0]), `the guide explains "${heading}", which the bot does not have`);
  } finally {
    await harness.stop();
  }
});
