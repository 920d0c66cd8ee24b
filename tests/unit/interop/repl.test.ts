/** The interop-sim REPL commands, driven with plain strings against a real gateway. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand } from '../../../src/sim/repl-commands';
import type { SimUser } from '../../../src/sim/sim-user';
import { TestGateway } from './harness';

const A = '+4915100000901';
const B = '+4915100000902';

describe('interop-sim REPL commands', () => {
  let gw: TestGateway;
  let a: SimUser;
  let b: SimUser;
  before(async () => {
    gw = await TestGateway.start();
    a = await gw.sim(A);
    b = await gw.sim(B);
  });
  after(() => gw.close());

  it('sends, replies, reacts, edits, deletes, sends files and marks read', async () => {
    assert.match(await runCommand(a, `send ${B} hello from the terminal`), /^sent/);
    await b.waitFor('message', (m) => m.sender.phone === A);
    assert.match(await runCommand(b, `history ${A}`), /1\. them: hello from the terminal/);
    assert.match(await runCommand(b, `reply ${A} 1 hi back`), /^replied/);
    await a.waitFor('message', (m) => m.content.kind === 'message' && m.content.inReplyTo !== undefined);
    assert.match(await runCommand(a, `react ${B} 2 🎉`), /reacted/);
    assert.match(await runCommand(a, `edit ${B} 1 hello, edited`), /edited/);
    await b.waitFor('message', (m) => m.content.kind === 'message' && m.content.replaces !== undefined);
    assert.match(await runCommand(b, `history ${A}`), /hello, edited.*\(edited\)/);
    const file = join(gw.dir, 'note.txt');
    writeFileSync(file, 'file contents');
    assert.match(await runCommand(a, `file ${B} ${file} a caption`), /file sent/);
    const withFile = await b.waitFor('message', (m) => m.content.kind === 'message' && m.content.parts[0]?.type === 'attachment');
    assert.ok(withFile.content.kind === 'message' && withFile.content.parts[0].type === 'attachment');
    assert.equal(Buffer.from(await b.download(withFile.content.parts[0])).toString(), 'file contents');
    assert.match(await runCommand(b, `read ${A}`), /marked \d+ read/);
    assert.match(await runCommand(a, `delete ${B} 1`), /deleted/);
    await b.waitFor('message', (m) => m.content.kind === 'message' && m.content.replaces !== undefined && m.content.parts.length === 0);
    assert.match(await runCommand(b, `history ${A}`), /\(message deleted\)/);
    assert.match(await runCommand(a, `typing ${B} on`), /typing started/);
    assert.match(await runCommand(a, 'chats'), new RegExp(`\\${B}\\s+\\d+ messages`));
    assert.match(await runCommand(a, `safety ${B}`), /device 1: (\d{5} ){11}\d{5}/);
  });

  it('answers bad input with a readable error', async () => {
    await assert.rejects(runCommand(a, 'send 12345 hi'), /not an E\.164 phone number/);
    await assert.rejects(runCommand(a, `reply ${B} 99 hi`), /no message 99/);
    await assert.rejects(runCommand(a, 'frobnicate'), /unknown command/);
    await assert.rejects(runCommand(a, `file ${B} /no/such/file`), /ENOENT/);
  });

  it('creates a group, adds a member, chats in it and leaves it', async () => {
    const created = await runCommand(a, `group create Picnic ${B}`);
    assert.match(created, /^created\n\S+ "Picnic" revision 1, 2 members/);
    assert.match(created, new RegExp(`\\${A} on native \\(admin\\)`));
    const id = /^created\n(\S+)/.exec(created)?.[1] as string;
    assert.match(await runCommand(a, 'groups'), new RegExp(`^${id.slice(0, 8)}\\s+"Picnic"\\s+2 members`));
    await b.waitFor('groupUpdate', (u) => u.groupId === id);
    assert.match(await runCommand(b, `gsend ${id.slice(0, 6)} bring the blanket`), /^sent to "Picnic"/);
    await a.waitFor('groupMessage', (m) => m.groupId === id);
    assert.match(await runCommand(a, `ghistory ${id.slice(0, 6)}`), new RegExp(`1\\. \\${B}: bring the blanket`));
    assert.match(await runCommand(a, `group rename ${id} Picnic Sunday`), /"Picnic Sunday"/);
    await assert.rejects(runCommand(b, `group add ${id} ${A}`), /not_group_admin/);
    await assert.rejects(runCommand(b, 'group add zzz +4915100000903'), /in no group zzz/);
    assert.match(await runCommand(b, `group leave ${id}`), /left "Picnic Sunday"/);
    assert.match(await runCommand(b, 'groups'), /no groups yet/);
  });
});
