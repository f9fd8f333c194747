/**
 * Pulumi's stack lock left by a killed `pulumi up` (release/driver/stackLock.ts): the locks named in
 * Pulumi's error text, which ones are provably stale (this host, dead pid), and the exact command for the
 * others. The driver's use of it runs on the real engine (test/e2e/release/kill.test.ts).
 */
import { expect } from "chai";
import { processAlive } from "../../../release/driver/lock";
import { clearLockCommand, isStale, lockOwner, parseStackLocks } from "../../../release/driver/stackLock";

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

    it("names the owner and the exact command for a lock that is not stale", () => {
        expect(lockOwner(other ?? ({} as never))).to.equal("ops@laptop.local (pid 17) since 2026-12-01T05:41:00Z");
        expect(clearLockCommand("dev", "/work/proj")).to.equal("pulumi cancel --yes --stack dev --cwd /work/proj");
    });
});
