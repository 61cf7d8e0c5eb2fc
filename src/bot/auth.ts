/** Who may act from Discord: operators by role or by user id. Everyone else is refused. */
import type { Interaction } from 'discord.js';

export class Authoriser {
  constructor(
    private readonly roleIds: readonly string[],
    private readonly userIds: readonly string[],
  ) {}

  isOperator(i: Interaction): boolean {
    if (this.userIds.includes(i.user.id)) return true;
    const member = i.member;
    if (!member || !i.inGuild()) return false;
    // A cached GuildMember has a role manager; a raw API member has an id list.
    const roles = Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
    return roles.some((r) => this.roleIds.includes(r));
  }

  /** As shown on approval requests. */
  describe(): string {
    const who = [...this.roleIds.map((r) => `<@&${r}>`), ...this.userIds.map((u) => `<@${u}>`)];
    return who.length ? `operators (${who.join(', ')})` : 'nobody (no operators configured)';
  }
}

/** How a Discord user appears in the audit log. */
export function discordActor(i: Interaction): string {
  return `discord:${i.user.username} (${i.user.id})`;
}
