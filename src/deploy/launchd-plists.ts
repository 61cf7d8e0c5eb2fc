/**
 * launchd agents (`~/Library/LaunchAgents`): the gateway with `KeepAlive` (level 0 by the
 * OS), the medic driving it through `launchctl`, and the guardian every 60 s.
 */
import { join } from 'node:path';
import { escapeXml } from './escape.js';
import {
  gatewayEnvironment,
  gatewayLogFile,
  gatewayShellCommand,
  guardianEnvironment,
  medicEnvironment,
  UNIT_MARKER,
  UnitNames,
  type DeployOptions,
} from './options.js';

/** The plist values the agents use (keys are written in insertion order). */
export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

function renderValue(value: PlistValue, indent: string, field: string): string[] {
  if (typeof value === 'string') return [`${indent}<string>${escapeXml(value, field)}</string>`];
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`${field}: plist integers only (got ${value})`);
    return [`${indent}<integer>${value}</integer>`];
  }
  if (typeof value === 'boolean') return [`${indent}<${value}/>`];
  if (Array.isArray(value)) {
    return [`${indent}<array>`, ...value.flatMap((v, i) => renderValue(v, `${indent}  `, `${field}[${i}]`)), `${indent}</array>`];
  }
  return [
    `${indent}<dict>`,
    ...Object.entries(value).flatMap(([key, v]) => [
      `${indent}  <key>${escapeXml(key, field)}</key>`,
      ...renderValue(v, `${indent}  `, field ? `${field}.${key}` : key),
    ]),
    `${indent}</dict>`,
  ];
}

/** An XML comment; XML forbids "--" inside one (and "-" at its end), so none may appear. */
function comment(text: string): string {
  if (text.includes('--') || text.endsWith('-')) throw new Error(`an XML comment cannot hold "--": ${text}`);
  return `<!-- ${text} -->`;
}

/** A whole plist document: the dict, with clawmedic's marker as a comment. */
export function renderPlist(dict: { [key: string]: PlistValue }, what: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    comment(`${UNIT_MARKER}: ${what}. Edit the options and install again rather than editing this file.`),
    '<plist version="1.0">',
    ...renderValue(dict, '', ''),
    '</plist>',
    '',
  ].join('\n');
}

function env(vars: [string, string][]): { [key: string]: string } {
  return Object.fromEntries(vars);
}

/** Shared by the three agents: no stdin, files private to the user (umask 077 = 63). */
function common(o: DeployOptions, name: string): { [key: string]: PlistValue } {
  return {
    StandardInPath: '/dev/null',
    StandardOutPath: join(o.logDir, `${name}.log`),
    StandardErrorPath: join(o.logDir, `${name}.log`),
    Umask: 63,
  };
}

/**
 * The gateway, as OpenClaw's own agent runs it: started at load, restarted after any exit
 * at most every 10 s. launchd cannot exempt exit 78 (bad config) as systemd does: the medic
 * sees the gateway not answering and its level 2 repairs the config.
 */
export function renderGatewayPlist(o: DeployOptions): string {
  return renderPlist(
    {
      Label: UnitNames.launchd.gateway,
      ProgramArguments: ['/bin/sh', '-c', gatewayShellCommand(o.gatewayCommand)],
      WorkingDirectory: o.home,
      EnvironmentVariables: env(gatewayEnvironment(o)),
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 10,
      ExitTimeOut: 20,
      ProcessType: 'Interactive',
      ...common(o, 'gateway'),
      // The medic tails this file (GATEWAY_LOG_FILE): the gateway's last lines go into its incidents.
      StandardOutPath: gatewayLogFile(o),
      StandardErrorPath: gatewayLogFile(o),
    },
    'the OpenClaw gateway, kept running by launchd (level 0); ai.clawmedic.medic watches it',
  );
}

/** The medic, kept running by launchd like the gateway. */
export function renderMedicPlist(o: DeployOptions): string {
  return renderPlist(
    {
      Label: UnitNames.launchd.medic,
      ProgramArguments: [o.nodePath, o.clawmedicBin, 'run'],
      WorkingDirectory: o.workingDir,
      EnvironmentVariables: env(medicEnvironment(o)),
      RunAtLoad: true,
      KeepAlive: true,
      ThrottleInterval: 10,
      ExitTimeOut: 30,
      ProcessType: 'Standard',
      ...common(o, 'medic'),
    },
    'the clawmedic medic (levels 1-4); it restarts the gateway with launchctl',
  );
}

/**
 * The guardian: one pass every 60 s, not at load (the medic it checks was loaded a moment
 * before and may not be listening yet).
 */
export function renderGuardianPlist(o: DeployOptions): string {
  return renderPlist(
    {
      Label: UnitNames.launchd.guardian,
      ProgramArguments: [o.nodePath, o.clawmedicBin, 'guardian', '--once', '--launchd'],
      WorkingDirectory: o.workingDir,
      EnvironmentVariables: env(guardianEnvironment(o)),
      StartInterval: 60,
      RunAtLoad: false,
      ProcessType: 'Standard',
      ...common(o, 'guardian'),
    },
    'one clawmedic guardian pass every 60 s',
  );
}
