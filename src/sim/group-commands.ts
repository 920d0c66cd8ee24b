/**
 * Group commands of the interop-sim REPL (protocol version 2). A group is named by its ID or
 * any unique prefix of it (as `groups` shows them).
 */
import type { GroupInfo, GroupMember } from '../protocol/frames';
import { textOf } from './chat-log';
import type { SimUser } from './sim-user';

export const GROUP_HELP = `  groups                          list your groups
  group create <name> [phone…]    create a group (you are its admin) with these members
  group info <group>              members, admins, providers and who has no end-to-end encryption
  group add <group> <phone…>      add members (admins only)
  group remove <group> <phone…>   remove members (admins only)
  group rename <group> <name>     rename (admins only)
  group admin <group> <phone>     make a member admin; group unadmin <group> <phone> undoes it
  group leave <group>             leave the group
  gsend <group> <text>            send a text to the group
  ghistory <group>                messages received in the group`;

function needPhones(list: string[]): string[] {
  if (list.length === 0) throw new Error('which members? give their phone numbers');
  for (const p of list) if (!/^\+[1-9][0-9]{6,14}$/.test(p)) throw new Error(`"${p}" is not an E.164 phone number like +4915112345678`);
  return list;
}

async function resolveGroup(sim: SimUser, ref: string | undefined): Promise<GroupInfo> {
  if (!ref) throw new Error('which group? give its id (or the start of it) from groups');
  const matches = (await sim.client.groups.list()).filter((g) => g.groupId === ref || g.groupId.startsWith(ref));
  if (matches.length === 0) throw new Error(`you are in no group ${ref}`);
  if (matches.length > 1) throw new Error(`${ref} names ${matches.length} groups; give more of the id`);
  return matches[0];
}

function describeMember(m: GroupMember): string {
  const flags = [m.admin ? 'admin' : '', m.e2ee ? '' : 'NOT end-to-end encrypted', m.bridged ? 'via a bridge' : ''].filter(Boolean);
  return `  ${m.phone} on ${m.provider}${flags.length ? ` (${flags.join(', ')})` : ''}`;
}

export function formatGroup(g: GroupInfo): string {
  return [`${g.groupId} "${g.name}" revision ${g.revision}, ${g.members.length} members`, ...g.members.map(describeMember)].join('\n');
}

/** `groups`, `group …`, `gsend`, `ghistory`; undefined for any other command. */
export async function runGroupCommand(sim: SimUser, cmd: string, args: string[]): Promise<string | undefined> {
  const rest = (n: number) => args.slice(n).join(' ');
  switch (cmd) {
    case 'groups': {
      const list = await sim.client.groups.list();
      return list.length ? list.map((g) => `${g.groupId.slice(0, 8)}  "${g.name}"  ${g.members.length} members`).join('\n') : '(no groups yet)';
    }
    case 'gsend': {
      const g = await resolveGroup(sim, args[0]);
      if (!rest(1)) throw new Error('nothing to send');
      const { messageId, result } = await sim.sendGroupText(g.groupId, rest(1));
      const plain = result.plaintextTo.length ? ` (in plaintext to ${result.plaintextTo.join(', ')})` : '';
      return `sent to "${g.name}" {${messageId.slice(0, 8)}}${plain}`;
    }
    case 'ghistory': {
      const g = await resolveGroup(sim, args[0]);
      const lines = sim.groupMessages
        .filter((m) => m.groupId === g.groupId && m.content.kind === 'message')
        .map((m, i) => `${String(i + 1).padStart(3)}. ${m.sender.phone}: ${m.content.kind === 'message' ? textOf(m.content.parts) : ''}${m.encrypted ? '' : ' (NOT end-to-end encrypted)'}`);
      return lines.length ? lines.join('\n') : `(no messages in "${g.name}")`;
    }
    case 'group':
      return runGroupSubcommand(sim, args[0], args.slice(1));
    default:
      return undefined;
  }
}

async function runGroupSubcommand(sim: SimUser, sub: string | undefined, args: string[]): Promise<string> {
  const groups = sim.client.groups;
  switch (sub) {
    case 'create': {
      if (!args[0]) throw new Error('name the group: group create <name> [phone…]');
      const members = args.slice(1);
      if (members.length) needPhones(members);
      return `created\n${formatGroup(await groups.create(args[0], members))}`;
    }
    case 'info':
      return formatGroup(await groups.get((await resolveGroup(sim, args[0])).groupId));
    case 'add':
      return formatGroup(await groups.add((await resolveGroup(sim, args[0])).groupId, needPhones(args.slice(1))));
    case 'remove':
      return formatGroup(await groups.remove((await resolveGroup(sim, args[0])).groupId, needPhones(args.slice(1))));
    case 'rename': {
      const g = await resolveGroup(sim, args[0]);
      if (!args[1]) throw new Error('the new name?');
      return formatGroup(await groups.rename(g.groupId, args.slice(1).join(' ')));
    }
    case 'admin':
    case 'unadmin': {
      const g = await resolveGroup(sim, args[0]);
      const [member] = needPhones(args.slice(1, 2));
      return formatGroup(sub === 'admin' ? await groups.promote(g.groupId, member) : await groups.demote(g.groupId, member));
    }
    case 'leave': {
      const g = await resolveGroup(sim, args[0]);
      await groups.leave(g.groupId);
      return `left "${g.name}"`;
    }
    default:
      throw new Error(`unknown group command "${sub ?? ''}" (try help)`);
  }
}
