/**
 * A person's `pulumi up` (no release claim) during a release: the live lease the last update left is carried
 * over unchanged (so a second runner cannot start a release of the same service meanwhile) with a warning;
 * a released or stale one is dropped. keepLease is the rule; leasedProgram is run under Pulumi's runtime mocks,
 * where readStackOutputs answers from the recorder's stack outputs.
 */
import { expect } from "chai";
import { setupMocks, type MockRecorder } from "../../support/mocks";
import { keepLease, LEASE_OUTPUT, leasedProgram, type Lease, type LeaseContext } from "../../../release/driver/lease";

const NOW = new Date("2026-01-01T12:00:00.000Z");
const at = (offsetS: number): string => new Date(NOW.getTime() + offsetS * 1000).toISOString();
const ctx: LeaseContext = { host: "runner-a", pidAlive: (pid) => pid === 111, skewMs: 30_000 };
const lease = (o: Partial<Lease> = {}): Lease => ({
    owner: "other",
    holder: "mesh-release canary checkout v2 (pid 222)",
    host: "runner-b",
    pid: 222,
    started: at(-600),
    heartbeat: at(-60),
    expires: at(240),
    ...o,
});

describe("a plain pulumi up keeps a live release lease (keepLease)", () => {
    const table: [string, Lease | undefined, boolean][] = [
        ["no lease: nothing to keep", undefined, false],
        ["another runner's live lease: kept", lease(), true],
        ["a released lease: dropped", lease({ released: at(-5) }), false],
        ["an expired lease (past expiry + skew): dropped", lease({ expires: at(-31) }), false],
        ["a lease of this host whose process is gone: dropped", lease({ host: "runner-a", pid: 999 }), false],
        ["a lease of this host whose process runs: kept", lease({ host: "runner-a", pid: 111 }), true],
    ];
    for (const [name, prev, kept] of table) {
        it(name, () => {
            const r = keepLease(prev, NOW, ctx);
            expect(r.lease).to.deep.equal(kept ? prev : undefined);
            expect(r.warning !== undefined).to.equal(kept);
        });
    }

    it("the warning names the holder, owner, host and pid, and how to end that release", () => {
        const w = keepLease(lease(), NOW, ctx).warning ?? "";
        for (const part of ["mesh-release canary checkout v2 (pid 222)", "owner other", "pid 222 on runner-b", "is not part of it", "mesh-release rollback"]) {
            expect(w).to.include(part);
        }
    });
});

describe("leasedProgram without a claim, under Pulumi's runtime mocks", () => {
    let rec: MockRecorder;
    const self = "organization/mesh-traffic/unit";
    before(async () => {
        rec = await setupMocks();
    });
    afterEach(() => rec.stackOutputs.delete(self));

    const live = lease({ heartbeat: new Date().toISOString(), expires: new Date(Date.now() + 300_000).toISOString() });
    const run = (): Promise<Record<string, unknown>> => leasedProgram(async () => ({ namespace: "prod" }), () => undefined, () => ctx)();

    it("carries a live lease over with the program's outputs", async () => {
        rec.stackOutputs.set(self, { namespace: "prod", [LEASE_OUTPUT]: live });
        expect(await run()).to.deep.equal({ namespace: "prod", [LEASE_OUTPUT]: live });
    });

    it("drops a released lease and exports only the program's outputs", async () => {
        rec.stackOutputs.set(self, { [LEASE_OUTPUT]: { ...live, released: new Date().toISOString() } });
        expect(await run()).to.deep.equal({ namespace: "prod" });
    });

    it("with no lease on the stack, the program's outputs as they are", async () => {
        expect(await run()).to.deep.equal({ namespace: "prod" });
    });
});
