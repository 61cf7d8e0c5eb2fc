/** Kept for the imports outside `src/recovery` (the bot, the commands): the watchdog lives in `watchdog/`. */
export * from './watchdog/index.js';
