/**
 * A lock file per stack, so a second `mesh-release` on the same stack fails fast before it writes any
 * config (Pulumi's own lock only covers the time of an update; config writes between updates are not
 * covered by it). A lock whose owner is provably gone is taken over: written on this host, and its pid either
 * runs no process or runs another one (pids are reused: a cold build on a 2-core machine wraps Linux's
 * pid_max of 32768 in minutes). "Another one" is decided by the process's identity, {@link processToken}:
 * the boot id and the start time of the process in clock ticks since boot, which no later process with the
 * same pid shares. The same probe judges the lease (lease.ts) and Pulumi's stack lock (stackLock.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DriverError } from "./driver";

interface LockContent {
    pid: number;
    /** {@link processToken} of the holder (absent where there is no /proc, and in locks of earlier versions). */
    pidToken?: string;
    host: string;
    holder: string;
    startedAt: string;
}

/** Whether process `pid` of this host runs (EPERM: it runs under another user). */
export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** What /proc tells of a running process: its identity token, start time and command name. */
export interface ProcessFacts {
    /** `<boot id>/<start time in clock ticks since boot>`: equal only for the same process of the same boot. */
    token: string;
    /** When the process started (ms since the epoch; to about 10 ms, plus the kernel's boot-time rounding). */
    startedMs: number;
    /** The kernel's name of its executable (`comm`, at most 15 characters). */
    name: string;
    /** Its state letter (proc(5)): `Z` is a zombie and `X` a dead process, which have ended and hold nothing. */
    state: string;
}

// USER_HZ: the unit of /proc/<pid>/stat's start time; 100 on every architecture Linux runs Node.js on.
const CLOCK_TICKS_PER_S = 100;

function readProc(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        return undefined;
    }
}

/**
 * The facts of process `pid` from /proc, or undefined where there is no /proc (not Linux) or the process is gone.
 * /proc/<pid>/stat is `pid (comm) state ...`; comm may hold spaces and parentheses, so the fields are counted
 * after the last `)`; the state is field 3 and the start time field 22 (proc(5)).
 */
export function processFacts(pid: number): ProcessFacts | undefined {
    const stat = readProc(`/proc/${pid}/stat`);
    const procStat = readProc("/proc/stat");
    const bootId = readProc("/proc/sys/kernel/random/boot_id")?.trim();
    if (stat === undefined || procStat === undefined || bootId === undefined) {
        return undefined;
    }
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    const ticks = Number(fields[19]);
    const btime = Number(/^btime (\d+)$/m.exec(procStat)?.[1]);
    if (open < 0 || close < open || !Number.isSafeInteger(ticks) || !Number.isFinite(btime)) {
        return undefined;
    }
    return { token: `${bootId}/${ticks}`, startedMs: (btime + ticks / CLOCK_TICKS_PER_S) * 1000, name: stat.slice(open + 1, close), state: fields[0] ?? "" };
}

/** This process's identity token (undefined where there is no /proc): written beside the pid in locks and leases. */
export function processToken(pid: number = process.pid): string | undefined {
    return processFacts(pid)?.token;
}

/** An owner named by a lock or lease of this host. */
export interface ProcessRef {
    pid: number;
    /** Its {@link processToken}, when the writer recorded one: the exact test. */
    token?: string;
    /** When the owner was certainly running already (the lock's or lease's own timestamp): a process with this pid
     * that started later is another process. Used when there is no token (Pulumi's stack lock, older leases). */
    runningAt?: Date;
    /** The owner's executable name starts with this (`pulumi` for Pulumi's stack lock). */
    name?: string;
}

// A process that started this long after the owner's timestamp is another process. Covers the boot time's
// rounding to a second and the clock's adjustments since boot; a real owner started before it wrote the timestamp.
const START_SLACK_MS = 2_000;

/**
 * Whether the owner still runs: its pid runs a process that has not exited (no zombie), and that process is the
 * owner, as far as can be known.
 * Without /proc (not Linux) only the pid is checked, as before. Never says "gone" for a process that is the
 * owner; may say "alive" for a reused pid only where nothing tells them apart (no /proc, or a pid reused within
 * {@link START_SLACK_MS} of the owner's timestamp by a process of the same name).
 */
export function ownerAlive(ref: ProcessRef, facts: (pid: number) => ProcessFacts | undefined = processFacts, alive: (pid: number) => boolean = processAlive): boolean {
    if (!Number.isInteger(ref.pid) || ref.pid <= 0 || !alive(ref.pid)) {
        return false;
    }
    const now = facts(ref.pid);
    if (now === undefined) {
        return alive(ref.pid); // no /proc, or it ended between the two reads
    }
    // A zombie has exited and waits for its parent to reap it; signal 0 still reaches it and /proc still shows its
    // name and start time. An orphan whose reaper does not reap (pid 1 of some containers) stays one for good.
    if (now.state === "Z" || now.state === "X") {
        return false;
    }
    if (ref.token !== undefined) {
        return ref.token === now.token;
    }
    if (ref.runningAt !== undefined && Number.isFinite(ref.runningAt.getTime()) && now.startedMs > ref.runningAt.getTime() + START_SLACK_MS) {
        return false;
    }
    if (ref.name !== undefined && !now.name.startsWith(ref.name)) {
        return false;
    }
    return true;
}

/**
 * Takes `<dir>/<name>.lock`; resolves with its release function. Rejects with a `concurrent` DriverError
 * when a live process holds it.
 */
export async function takeLock(dir: string, name: string, holder: string): Promise<() => Promise<void>> {
    await fs.promises.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${name}.lock`);
    const token = processToken();
    const content: LockContent = { pid: process.pid, ...(token !== undefined ? { pidToken: token } : {}), host: os.hostname(), holder, startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
        try {
            await fs.promises.writeFile(file, JSON.stringify(content), { flag: "wx" });
            return async () => {
                await fs.promises.rm(file, { force: true });
            };
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
                throw new DriverError("unavailable", `cannot create the lock file ${file}: ${(err as Error).message}`);
            }
        }
        let other: Partial<LockContent> = {};
        try {
            other = JSON.parse(await fs.promises.readFile(file, "utf8")) as Partial<LockContent>;
        } catch {
            // Unreadable (being written, or corrupt): treat as held.
        }
        const stale =
            other.host === os.hostname() &&
            typeof other.pid === "number" &&
            !ownerAlive({
                pid: other.pid,
                ...(typeof other.pidToken === "string" ? { token: other.pidToken } : {}),
                ...(typeof other.startedAt === "string" ? { runningAt: new Date(other.startedAt) } : {}),
            });
        if (!stale) {
            throw new DriverError(
                "concurrent",
                `another release holds stack ${name}: ${other.holder ?? "unknown"} (pid ${other.pid ?? "?"} on ${other.host ?? "?"}, since ${other.startedAt ?? "?"}); ` +
                    `wait for it to finish, or delete ${file} if that process is gone`,
            );
        }
        await fs.promises.rm(file, { force: true });
    }
    throw new DriverError("concurrent", `could not take the lock ${file}`);
}
