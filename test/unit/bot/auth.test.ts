/** Who may act from Discord: operators by role or user id, with members shaped like discord.js ones. */
import type { Interaction } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { Authoriser, discordActor } from '../../../src/bot/auth.js';

interface FakeInteraction {
  user: { id: string; username: string };
  member: { roles: string[] | { cache: Map<string, unknown> } } | null;
  inGuild(): boolean;
}

/** As discord.js hands it over: in a guild with a cached GuildMember, a raw API member, or a DM. */
function interaction(user: string, member: FakeInteraction['member'], guild = member !== null): Interaction {
  const fake: FakeInteraction = { user: { id: user, username: `name-${user}` }, member, inGuild: () => guild };
  return fake as unknown as Interaction;
}
const rawMember = (...roles: string[]) => ({ roles });
const guildMember = (...roles: string[]) => ({ roles: { cache: new Map(roles.map((r) => [r, { id: r }])) } });

describe('Authoriser.isOperator', () => {
  const auth = new Authoriser(['role-ops', 'role-sre'], ['user-alice']);

  it('a listed user, in a guild or in a DM', () => {
    expect(auth.isOperator(interaction('user-alice', rawMember()))).toBe(true);
    expect(auth.isOperator(interaction('user-alice', null, false))).toBe(true);
  });

  it('an operator role on a raw API member (roles as an id list)', () => {
    expect(auth.isOperator(interaction('user-bob', rawMember('role-x', 'role-sre')))).toBe(true);
  });

  it('an operator role on a cached GuildMember (roles.cache)', () => {
    expect(auth.isOperator(interaction('user-bob', guildMember('role-x', 'role-ops')))).toBe(true);
  });

  it('refuses members without an operator role, in both shapes', () => {
    expect(auth.isOperator(interaction('user-bob', rawMember('role-x')))).toBe(false);
    expect(auth.isOperator(interaction('user-bob', guildMember('role-x')))).toBe(false);
    expect(auth.isOperator(interaction('user-bob', rawMember()))).toBe(false);
  });

  it('a role id equal to a user id does not make that user an operator, nor the reverse', () => {
    expect(auth.isOperator(interaction('role-ops', rawMember()))).toBe(false);
    expect(auth.isOperator(interaction('user-bob', rawMember('user-alice')))).toBe(false);
  });

  it('refuses an unlisted user outside a guild, whatever the member says', () => {
    expect(auth.isOperator(interaction('user-bob', null, false))).toBe(false);
    expect(auth.isOperator(interaction('user-bob', rawMember('role-ops'), false))).toBe(false);
  });

  it('nobody configured: everyone refused', () => {
    const none = new Authoriser([], []);
    expect(none.isOperator(interaction('user-alice', rawMember('role-ops')))).toBe(false);
    expect(none.isOperator(interaction('user-alice', guildMember('role-ops')))).toBe(false);
  });
});

describe('Authoriser.describe and discordActor', () => {
  it('lists role and user mentions, or says nobody', () => {
    expect(new Authoriser(['1', '2'], ['3']).describe()).toBe('operators (<@&1>, <@&2>, <@3>)');
    expect(new Authoriser([], ['3']).describe()).toBe('operators (<@3>)');
    expect(new Authoriser([], []).describe()).toBe('nobody (no operators configured)');
  });

  it('names a Discord user for the audit log', () => {
    expect(discordActor(interaction('123', null, false))).toBe('discord:name-123 (123)');
  });
});
