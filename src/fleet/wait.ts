import type { Clock } from '../lib/clock.js';

/**
 * Waits `ms` on the clock, or less: until `stopping` aborts or the returned `wake` is called.
 * Each wait has its own signal, so a wait cut short leaves no timer or listener behind.
 */
export function wakeableSleep(clock: Clock, ms: number, stopping: AbortSignal): { done: Promise<void>; wake: () => void } {
  const ac = new AbortController();
  const onStop = () => ac.abort();
  stopping.addEventListener('abort', onStop, { once: true });
  if (stopping.aborted) ac.abort();
  const done = clock.sleep(ms, ac.signal).finally(() => stopping.removeEventListener('abort', onStop));
  return { done, wake: () => ac.abort() };
}
