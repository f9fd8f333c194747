/**
 * Pulumi's stack lock left by a killed `pulumi up` (release/driver/stackLock.ts): the locks named in
 * Pulumi's error text, which ones are provably stale (this host, dead pid), and the exact command for the
 * others. The driver's use of it runs on the real engine (test/e2e/release/kill.test.ts).
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { ownerAlive, processAlive, processFacts, processToken, type ProcessFacts } from "../../../release/driver/lock";
import { clearLockCommand, isStale, lockOwner, parseStackLocks, thisHost } from "../../../release/driver/stackLock";

const MESSAGE =
    "error: the stack is currently locked by 2 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
    "  file:///tmp/state/.pulumi/locks/organization/mesh-traffic/dev/1f2e.json: created by root@ci-7 (pid 4242) at 2026-12-01T05:40:00Z\n" +
    "  file:///tmp/state/.pulumi/locks/organization/mesh-traffic/dev/9a8b.json: created by ops@laptop.local (pid 17) at 2026-12-01T05:41:00Z";

describe("Pulumi stack locks (release/driver/stackLock.ts)", () => {
    it("parses every lock of Pulumi's error text", () => {
        expect(parseStackLocks(MESSAGE)).to.deep.equal([
            { url: "file:///tmp/state/.pulumi/locks/organization/mesh-traffic/dev/1f2e.json", user: "root", host: "ci-7", pid: 4242, at: "2026-12-01T05:40:00Z" },
            { url: "file:///tmp/state/.pulumi/locks/organization/mesh-traffic/dev/9a8b.json", user: "ops", host: "laptop.local", pid: 17, at: "2026-12-01T05:41:00Z" },
        ]);
        expect(parseStackLocks("error: something else")).to.deep.equal([]);
        expect(parseStackLocks(`stdout: ${MESSAGE}\nstderr: ${MESSAGE}`), "a lock the error text repeats is one lock (one notice)").to.have.length(2);
        const azblob = "  azblob://state/.pulumi/locks/organization/mesh-traffic/e2e/77.json?storage_account=devstoreaccount1: created by root@ci-7 (pid 9) at 2026-12-01T06:40:00Z";
        expect(parseStackLocks(azblob)).to.deep.equal([
            { url: "azblob://state/.pulumi/locks/organization/mesh-traffic/e2e/77.json?storage_account=devstoreaccount1", user: "root", host: "ci-7", pid: 9, at: "2026-12-01T06:40:00Z" },
        ]);
    });

    const [here, other] = parseStackLocks(MESSAGE);
    const table: Array<[string, Parameters<typeof isStale>[1], boolean, boolean]> = [
        ["this host, dead pid: stale", { host: "ci-7", alive: () => false }, true, false],
        ["this host, live pid: held", { host: "ci-7", alive: () => true }, false, false],
        ["another host, whatever its pid: held (not provably gone)", { host: "ci-8", alive: () => false }, false, false],
    ];
    for (const [what, host, first, second] of table) {
        it(what, () => {
            expect(isStale(here ?? ({} as never), host)).to.equal(first);
            expect(isStale(other ?? ({} as never), host)).to.equal(second);
        });
    }

    it("processAlive: this process is alive, a pid past the kernel's limit is not", () => {
        expect(processAlive(process.pid)).to.equal(true);
        expect(processAlive(2 ** 22 + 1)).to.equal(false);
    });

    // Pids are reused (a cold build wraps pid_max = 32768 in minutes): a live pid is not a live owner.
    const lockAt = (pid: number, at: string): Parameters<typeof isStale>[0] => ({ url: "file:///l.json", user: "root", host: "ci-7", pid, at });
    const facts = (f: Partial<ProcessFacts>): (() => ProcessFacts) => () => ({ token: "boot/100", startedMs: Date.parse("2026-12-01T05:39:59Z"), name: "pulumi", state: "S", ...f });
    const hostWith = (f: Partial<ProcessFacts>): Parameters<typeof isStale>[1] => ({ host: "ci-7", alive: (o) => ownerAlive(o, facts(f), () => true) });
    const reuse: Array<[string, Partial<ProcessFacts>, boolean]> = [
        ["its pid runs a pulumi that started before the lock: held", {}, false],
        ["its pid runs a process that started 2 s after the lock (the clock's slack): held", { startedMs: Date.parse("2026-12-01T05:40:02Z") }, false],
        ["its pid runs a process that started after the lock was created: stale (pid reused)", { startedMs: Date.parse("2026-12-01T05:41:00Z") }, true],
        ["its pid runs something that is no pulumi: stale (pid reused)", { name: "go" }, true],
        ["its pid is the pulumi itself, exited and never reaped (a zombie): stale", { state: "Z" }, true],
        ["its pid is the pulumi itself, dead (state X): stale", { state: "X" }, true],
        ["its pid is the pulumi itself, stopped (state T): held", { state: "T" }, false],
    ];
    for (const [what, f, want] of reuse) {
        it(`this host, ${what}`, () => {
            expect(isStale(lockAt(4242, "2026-12-01T05:40:00Z"), hostWith(f))).to.equal(want);
        });
    }
    it("this host, a lock time that is no time: judged by the process's name alone", () => {
        expect(isStale(lockAt(4242, "yesterday"), hostWith({ startedMs: Date.parse("2026-12-04T00:00:00Z") }))).to.equal(false);
        expect(isStale(lockAt(4242, "yesterday"), hostWith({ name: "bash" }))).to.equal(true);
    });

    it("ownerAlive on this machine's /proc: this process by its token; a process that started after the owner's time, or another token, is not the owner", async () => {
        // Linux has /proc; elsewhere only the pid can be checked (the fake-facts cases above hold the rules there).
        expect(processFacts(process.pid) !== undefined, "/proc is read").to.equal(process.platform === "linux");
        const me = processToken();
        expect(me).to.match(/^[0-9a-f-]{36}\/\d+$/);
        expect(ownerAlive({ pid: process.pid, token: me as string })).to.equal(true);
        expect(ownerAlive({ pid: process.pid, token: `${me as string}0` })).to.equal(false);
        expect(ownerAlive({ pid: process.pid, runningAt: new Date() })).to.equal(true);
        const child = spawn("sleep", ["30"], { stdio: "ignore" });
        try {
            const pid = child.pid as number;
            await new Promise((r) => setTimeout(r, 100)); // exec'd: comm is sleep
            expect(ownerAlive({ pid, runningAt: new Date() }), "started now: may be the owner").to.equal(true);
            expect(ownerAlive({ pid, runningAt: new Date(Date.now() - 60_000) }), "started a minute after the owner's time").to.equal(false);
            expect(ownerAlive({ pid, name: "sleep" })).to.equal(true);
            expect(ownerAlive({ pid, name: "pulumi" })).to.equal(false);
            expect(isStale(lockAt(pid, new Date().toISOString()), { ...thisHost(), host: "ci-7" }), "a sleep holds no Pulumi lock").to.equal(true);
        } finally {
            child.kill("SIGKILL");
        }
    });

    it("ownerAlive on this machine's /proc: a zombie (exited, never reaped) is no owner, though signal 0 reaches it", async () => {
        // `sleep 0 &` then `exec sleep 5`: the background sleep's parent becomes a sleep, which never reaps it.
        const parent = spawn("sh", ["-c", "sleep 0 & echo $!; exec sleep 5"], { stdio: ["ignore", "pipe", "ignore"] });
        try {
            const pid = await new Promise<number>((resolve) => parent.stdout.once("data", (c: Buffer) => resolve(Number(c.toString().trim()))));
            let state = processFacts(pid)?.state;
            for (let i = 0; i < 100 && state !== "Z"; i++) {
                await new Promise((r) => setTimeout(r, 20));
                state = processFacts(pid)?.state;
            }
            expect(state, "the unreaped child is a zombie").to.equal("Z");
            expect(processAlive(pid), "signal 0 reaches a zombie").to.equal(true);
            expect(ownerAlive({ pid, name: "sleep" })).to.equal(false);
            expect(ownerAlive({ pid, token: processToken(pid) as string })).to.equal(false);
            expect(isStale(lockAt(pid, new Date().toISOString()), { ...thisHost(), host: "ci-7" })).to.equal(true);
        } finally {
            parent.kill("SIGKILL");
        }
    });

    it("names the owner and the exact command for a lock that is not stale", () => {
        expect(lockOwner(other ?? ({} as never))).to.equal("ops@laptop.local (pid 17) since 2026-12-01T05:41:00Z");
        expect(clearLockCommand("dev", "/work/proj")).to.equal("pulumi cancel --yes --stack dev --cwd /work/proj");
    });
});
