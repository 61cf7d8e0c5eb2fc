/** A running gateway's vitals: memory, readiness, channels, the event loop, the model provider. */
/** The gateway's memory as last sampled: RSS from /proc, the line it dies at, and the trend between them. */
export interface MemoryVitals {
  /** The process sampled (the one serving the port). */
  pid: number;
  sampledAt: number;
  rssBytes: number;
  /**
   * The RSS it is expected to die at: the heap limit plus what the process holds besides its heap (OpenClaw's own
   * `memory pressure` figures when it logged them, else 60% of the run's first settled RSS); null: unknown.
   */
  limitBytes: number | null;
  /** The heap limit it runs with (--max-old-space-size, or Node's default), or MEMORY_LIMIT_MB; null: unknown. */
  heapLimitBytes: number | null;
  /** The trend (least squares over the window), bytes per minute; null: too few samples to say. */
  growthBytesPerMin: number | null;
  /** When the trend reaches `limitBytes`; null: not growing towards it (or unknown). */
  oomAt: number | null;
}

/** OpenClaw's own event-loop figures, as `/readyz` reports them. */
export interface EventLoopHealth {
  degraded: boolean;
  /** How long it has been degraded, by OpenClaw's clock (null: not degraded). */
  degradedSinceMs: number | null;
  reasons: string[];
  delayP99Ms: number | null;
  delayMaxMs: number | null;
  utilization: number | null;
}

/** One reading of the gateway's `/readyz` (readiness beyond liveness). */
export interface ReadinessReading {
  /** HTTP status; null when no answer came. */
  status: number | null;
  ready: boolean;
  /** What OpenClaw says fails: channel ids, or start-up states (`startup-sidecars`, `plugin-reload`...). */
  failing: string[];
  /** Channels whose auto-start OpenClaw's crash-loop breaker suppressed. */
  suppressed: string[];
  eventLoop: EventLoopHealth | null;
  /** Why there is no reading (timeout, connection refused, a body that is not OpenClaw's); null when there is one. */
  error: string | null;
}

/** A channel's own error, found in the gateway's output: `terminal` when no restart can help (a revoked token). */
export interface ChannelError {
  channel: string;
  error: string;
  terminal: boolean;
}

/** The end-to-end model provider probe's last outcome. */
export interface ProviderVitals {
  checkedAt: number;
  /** ok; auth: the credentials are refused (401); rate-limited: 429, wait; error: anything else. */
  state: 'ok' | 'auth' | 'rate-limited' | 'error';
  detail: string;
  latencyMs: number;
}

/** What the medic knows of a running gateway beyond liveness (see `ladder/vitals.ts`). */
export interface Vitals {
  /** RSS samples of the current pid, within the trend window, oldest first. */
  samples: { at: number; rssBytes: number }[];
  memory: MemoryVitals | null;
  /** The memory warning was given for this pid (once per run). */
  warnedPid: number | null;
  /** The first settled RSS sample of the current pid (its non-heap part is estimated from it). */
  baselineRss?: number | null;
  /** The plugins the gateway said it loaded (evidence for a memory finding); null: unknown. */
  plugins: string[] | null;
  readiness: (ReadinessReading & { checkedAt: number }) | null;
  /** `channels.start` per channel in this episode: attempts, when the next may go, one in flight. */
  channels: Record<string, { attempts: number; nextAt: number | null; inFlight: boolean; since?: number }>;
  provider: ProviderVitals | null;
  /** Times of the planned memory restarts and out-of-memory exits (repeated, a finding for a person). */
  memoryRestarts: number[];
}
