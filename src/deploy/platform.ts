/** The service managers clawmedic installs itself under. */
export type Platform = 'launchd' | 'systemd';
