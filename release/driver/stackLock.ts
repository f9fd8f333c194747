/**
 * Pulumi's own stack lock (the DIY backend's `.pulumi/locks/<org>/<project>/<stack>/<id>.json`), as its
 * `ConcurrentUpdateError` names it: `<url>: created by <user>@<host> (pid <pid>) at <time>`. A `pulumi up`
 * killed with SIGKILL (or orphaned when mesh-release is killed) dies holding it, and every later update of
 * the stack fails with "the stack is currently locked" although nothing runs.
 *
 * A lock whose owner is provably gone is stale: taken on this host, and its pid runs no process, or runs one
 * that is not the lock's owner (pids are reused): one that started after the lock was created, or that is not
 * a `pulumi` executable. The driver clears a stale lock with a visible message and runs the update. Any other
 * lock is left alone and the error gives the exact command that clears it. Pure apart from {@link thisHost}
 * (lock.ts `ownerAlive`, the same probe as the release's own lock and lease).
 */
import * as os from "node:os";
import { ownerAlive, type ProcessRef } from "./lock";

/** One lock named in Pulumi's error text. */
export interface StackLock {
    /** The lock file's URL (`file:///…/.pulumi/locks/…/<id>.json`, `s3://…`). */
    url: string;
    user: string;
    host: string;
    pid: number;
    /** As Pulumi printed it (RFC 3339). */
    at: string;
}

// The URL may carry a query (`azblob://state/.pulumi/locks/…/<id>.json?storage_account=…`).
const LOCK_LINE = /(\S+): created by (.+?)@(\S+) \(pid (\d+)\) at (\S+)/g;

/** Every lock named in a `ConcurrentUpdateError` message, once each (the CLI's error text can repeat a lock's line:
 * the Automation API's message holds both the command's stdout and its stderr). */
export function parseStackLocks(text: string): StackLock[] {
    const byUrl = new Map<string, StackLock>();
    for (const m of text.matchAll(LOCK_LINE)) {
        const lock = { url: m[1] ?? "", user: m[2] ?? "", host: m[3] ?? "", pid: Number(m[4]), at: m[5] ?? "" };
        if (!byUrl.has(lock.url)) byUrl.set(lock.url, lock);
    }
    return [...byUrl.values()];
}

/** Where the locks are judged: this machine's name and a liveness check of its pids. */
export interface LockHost {
    host: string;
    alive: (owner: ProcessRef) => boolean;
}

export const thisHost = (): LockHost => ({ host: os.hostname(), alive: (owner) => ownerAlive(owner) });

/** The executable that takes Pulumi's stack lock: the CLI (`comm` of the process holding the lock's pid). */
export const PULUMI_PROCESS_NAME = "pulumi";

/**
 * The lock's owner is provably gone: it was taken on this machine, and its pid runs no process, or a process
 * that started after the lock was created or is no `pulumi`.
 */
export function isStale(lock: StackLock, here: LockHost): boolean {
    if (lock.host !== here.host || !Number.isInteger(lock.pid) || lock.pid <= 0) {
        return false;
    }
    const at = new Date(lock.at);
    return !here.alive({ pid: lock.pid, name: PULUMI_PROCESS_NAME, ...(Number.isFinite(at.getTime()) ? { runningAt: at } : {}) });
}

/** `root@host (pid 42) since 2026-…`. */
export const lockOwner = (l: StackLock): string => `${l.user}@${l.host} (pid ${l.pid}) since ${l.at}`;

/** The exact command that clears the stack's lock by hand, for a lock that is not provably stale. */
export function clearLockCommand(stack: string, workDir: string): string {
    return `pulumi cancel --yes --stack ${stack} --cwd ${workDir}`;
}
