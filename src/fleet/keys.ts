/** Where the fleet keeps what in etcd: everything under `clawmedic/<fleet>/`. */
export function fleetKeys(fleet: string) {
  const root = `clawmedic/${fleet}/`;
  const seq = (n: number) => String(n).padStart(12, '0');
  return {
    fleet,
    root,
    /** A live host's record (on its lease): its targets' status, redacted. */
    hosts: `${root}hosts/`,
    host: (h: string) => `${root}hosts/${h}`,
    /** Every host ever seen (no lease): a known host without a live record is lost. */
    known: `${root}known/`,
    knownHost: (h: string) => `${root}known/${h}`,
    /** The one leader (on its lease): the medic that runs the Discord bot. */
    leader: `${root}leader`,
    /** Each host's events in order (no lease: they outlive a partitioned or dead host). */
    events: `${root}events/`,
    eventsOf: (h: string) => `${root}events/${h}/`,
    event: (h: string, n: number) => `${root}events/${h}/${seq(n)}`,
    /** The last event of each host the leader handed to Discord and saw delivered. */
    delivered: (h: string) => `${root}delivered/${h}`,
    /** The bot's own values shared by every leader (Discord ids of cards, threads, questions). */
    kv: (k: string) => `${root}kv/${k}`,
    /** Target names claimed by their host (no lease): a name belongs to one host of the fleet until it is forgotten. */
    targets: `${root}targets/`,
    targetName: (name: string) => `${root}targets/${name}`,
    /** Hosts an operator retired (`clawmedic fleet forget`): the leader closes their "host lost" incident and audits it. */
    forgotten: `${root}forgotten/`,
    forgottenHost: (h: string) => `${root}forgotten/${h}`,
    /** Open "host lost" incidents, so a new leader closes what the last one opened. */
    lost: `${root}lost/`,
    lostHost: (h: string) => `${root}lost/${h}`,
  };
}

export type FleetKeys = ReturnType<typeof fleetKeys>;

/** The host and sequence number of an event key; null for anything else. */
export function parseEventKey(keys: FleetKeys, key: string): { host: string; seq: number } | null {
  if (!key.startsWith(keys.events)) return null;
  const [host, seq] = key.slice(keys.events.length).split('/');
  if (!host || !seq || !/^\d+$/.test(seq)) return null;
  return { host, seq: Number(seq) };
}
