/**
 * The units `openclaw gateway install` writes (../shared/reference/openclaw.md §5: systemd's
 * `buildSystemdUnit`, one `Environment=` line each; the launchd agent `ai.openclaw.gateway`), as a
 * user has them: a pinned node with a heap flag, a port, a token, NODE_OPTIONS.
 */
export const NODE = '/home/ada/.nvm/versions/node/v24.16.0/bin/node';
export const ENTRY = '/home/ada/.nvm/versions/node/v24.16.0/lib/node_modules/openclaw/dist/index.js';

/** Every variable of the user's unit that is theirs (not the service markers or PATH, which clawmedic sets itself). */
export const USER_ENV: [string, string][] = [
  ['OPENCLAW_GATEWAY_PORT', '18789'],
  ['NODE_OPTIONS', '--dns-result-order=ipv4first'],
  ['OPENCLAW_GATEWAY_TOKEN', 'tok-0123456789abcdef'],
  ['OPENCLAW_STATE_DIR', '/home/ada/.openclaw state'],
];

export function openclawSystemdUnit(execFlags = '--port 18789'): string {
  return `[Unit]
Description=OpenClaw Gateway
After=network-online.target
Wants=network-online.target
StartLimitBurst=10
StartLimitIntervalSec=300

[Service]
ExecStart=${NODE} --max-old-space-size=4096 ${ENTRY} gateway ${execFlags}
Restart=always
RestartSec=5
RestartPreventExitStatus=78
TimeoutStopSec=330
TimeoutStartSec=30
SuccessExitStatus=0 143
OOMPolicy=continue
KillMode=mixed
Environment=OPENCLAW_GATEWAY_PORT=18789
Environment=OPENCLAW_SYSTEMD_UNIT=openclaw-gateway.service
Environment=OPENCLAW_SERVICE_MARKER=openclaw
Environment=OPENCLAW_SERVICE_KIND=gateway
Environment=NODE_OPTIONS=--dns-result-order=ipv4first
Environment=OPENCLAW_GATEWAY_TOKEN=tok-0123456789abcdef
Environment="OPENCLAW_STATE_DIR=/home/ada/.openclaw state"
Environment=PATH=/home/ada/.nvm/versions/node/v24.16.0/bin:/usr/bin:/bin

[Install]
WantedBy=default.target
`;
}

export function openclawPlist(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>ai.openclaw.gateway</string>
  <key>ProgramArguments</key>
  <array>
    <string>${NODE}</string>
    <string>${ENTRY}</string>
    <string>gateway</string>
    <string>--port</string>
    <string>18789</string>
  </array>
  <key>EnvironmentVariables</key>
  <dict>
    <key>OPENCLAW_GATEWAY_PORT</key>
    <string>18789</string>
    <key>OPENCLAW_SERVICE_MARKER</key>
    <string>openclaw</string>
    <key>OPENCLAW_SERVICE_KIND</key>
    <string>gateway</string>
    <key>NODE_OPTIONS</key>
    <string>--dns-result-order=ipv4first</string>
    <key>OPENCLAW_GATEWAY_TOKEN</key>
    <string>tok-0123456789abcdef</string>
    <key>OPENCLAW_STATE_DIR</key>
    <string>/home/ada/.openclaw state</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <true/>
  <key>ThrottleInterval</key>
  <integer>10</integer>
  <key>ExitTimeOut</key>
  <integer>20</integer>
  <key>ProcessType</key>
  <string>Interactive</string>
  <key>Umask</key>
  <integer>63</integer>
  <key>StandardInPath</key>
  <string>/dev/null</string>
  <key>StandardOutPath</key>
  <string>/home/ada/.openclaw/logs/gateway.log</string>
  <key>StandardErrorPath</key>
  <string>/home/ada/.openclaw/logs/gateway.err.log</string>
</dict>
</plist>
`;
}
