/**
 * Watches the mounted config file (design §4.8). Kubernetes updates a ConfigMap volume by
 * swapping the `..data` symlink in the directory, so the directory is watched, not the file;
 * events are debounced, the file re-read and validated. A bad new file is logged and ignored (the
 * old config stays). Symbol/channel changes go to `onSubscriptions`; anything else is logged as
 * picked up on restart.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { EnvReading } from './env.ts';
import { decodeConfigText } from './load.ts';
import { ConfigError, resolveConfig } from './resolve.ts';
import { restartOnlyChanges, subscriptionChanged } from './subscriptions.ts';
import type { ForwarderConfig } from './types.ts';

export type ReloadResult = 'applied' | 'restart_required' | 'rejected' | 'unchanged';

export interface ConfigWatchDeps {
  env: EnvReading;
  initial: ForwarderConfig;
  logger: Logger;
  onSubscriptions(next: ForwarderConfig): void;
  onResult?(result: ReloadResult, detail: { restartOnly: string[] }): void;
  debounceMs?: number;
}

export interface ConfigWatcher {
  current(): ForwarderConfig;
  /** Re-read now (also what a debounced fs event does). */
  reload(): Promise<ReloadResult>;
  close(): void;
}

export function watchConfigFile(path: string, deps: ConfigWatchDeps): ConfigWatcher {
  let active = deps.initial;
  let lastText: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<ReloadResult> | null = null;
  let again = false;
  const { logger } = deps;
  const report = (result: ReloadResult, restartOnly: string[] = []): ReloadResult => {
    deps.onResult?.(result, { restartOnly });
    return result;
  };

  async function reloadOnce(): Promise<ReloadResult> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      logger.warn(
        { path, code: (err as NodeJS.ErrnoException).code },
        'config file unreadable; keeping the old config',
      );
      return report('rejected');
    }
    if (text === lastText) return report('unchanged');
    lastText = text;
    let next: ForwarderConfig;
    try {
      next = resolveConfig(deps.env, decodeConfigText(text, path)).config;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      logger.error(
        { path, issues: err.issues },
        'new config file is invalid; ignored, keeping the old config',
      );
      return report('rejected');
    }
    const restartOnly = restartOnlyChanges(active, next);
    const subs = subscriptionChanged(active, next);
    if (restartOnly.length > 0) {
      logger.warn({ path, settings: restartOnly }, 'config change picked up on restart (not applied live)');
    }
    if (subs) {
      const before = active;
      // Only the hot-reloadable part becomes active; the rest waits for the restart.
      active = { ...active, symbols: next.symbols, channels: next.channels };
      logger.info(
        {
          added: next.symbols.filter((s) => !before.symbols.includes(s)),
          removed: before.symbols.filter((s) => !next.symbols.includes(s)),
          channels: next.channels,
        },
        'subscription change applied from config file',
      );
      deps.onSubscriptions(active);
      return report('applied', restartOnly);
    }
    return report(restartOnly.length > 0 ? 'restart_required' : 'unchanged', restartOnly);
  }

  async function reload(): Promise<ReloadResult> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      let result: ReloadResult;
      do {
        again = false;
        result = await reloadOnce();
      } while (again);
      return result;
    })().finally(() => {
      running = null;
    });
    return running;
  }

  // Remember the text the initial config was built from, so an fs event without a change is a no-op.
  void readFile(path, 'utf8').then(
    (t) => {
      lastText ??= t;
    },
    () => {},
  );

  const debounceMs = deps.debounceMs ?? 250;
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(path), { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        reload().catch((err) => logger.error({ err }, 'config reload failed'));
      }, debounceMs);
    });
    watcher.on('error', (err) => logger.error({ err, path }, 'config directory watch failed'));
  } catch (err) {
    logger.error({ err, path }, 'cannot watch the config directory; live symbol changes disabled');
  }

  return {
    current: () => active,
    reload,
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
