/**
 * A lock file per stack, so a second `mesh-release` on the same stack fails fast before it writes any
 * config (Pulumi's own lock only covers the time of an update; config writes between updates are not
 * covered by it). A lock whose process is gone (same host, pid not alive: SIGKILL) is taken over.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DriverError } from "./driver";

interface LockContent {
    pid: number;
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

/**
 * Takes `<dir>/<name>.lock`; resolves with its release function. Rejects with a `concurrent` DriverError
 * when a live process holds it.
 */
export async function takeLock(dir: string, name: string, holder: string): Promise<() => Promise<void>> {
    await fs.promises.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${name}.lock`);
    const content: LockContent = { pid: process.pid, host: os.hostname(), holder, startedAt: new Date().toISOString() };
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
        const stale = other.host === os.hostname() && typeof other.pid === "number" && !processAlive(other.pid);
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
