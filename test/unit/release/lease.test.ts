/**
 * The backend lease's rules (release/driver/lease.ts), as tables: who may take, renew or take over a
 * lease, and that a live lease is never taken over. The atomicity (the decision runs inside the update,
 * under the backend's update lock) is the e2e suite's (test/e2e/release/perService.test.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { cliErrorSummary, redactedCliError } from "../../../release/driver/pulumiStack";
import { Redactor } from "../../../contract/redact";
import { AWKWARD_SECRET, expectNoSecret } from "../../support/secrets";
import { claimFromEnv, decideLease, keepLease, LEASE_OUTPUT, leasedProgram, leaseIsLive, leaseTtl, parseLease, type Lease, type LeaseClaim, type LeaseContext, type LeaseDecision } from "../../../release/driver/lease";
import { setupMocks, type MockRecorder } from "../../support/mocks";

const NOW = new Date("2026-01-01T12:00:00.000Z");
const at = (offsetS: number): string => new Date(NOW.getTime() + offsetS * 1000).toISOString();
const HOST = "runner-a";
const ctx = (alive: number[] = [111, 222]): LeaseContext => ({ host: HOST, ownerAlive: (o) => alive.includes(o.pid), skewMs: 30_000 });

const lease = (o: Partial<Lease> = {}): Lease => ({
    version: 1,
    owner: "other",
    holder: "mesh-release canary checkout v2 (pid 222)",
    host: "runner-b",
    pid: 222,
    started: at(-600),
    heartbeat: at(-60),
    expires: at(240),
    ...o,
});
const claim = (o: Partial<LeaseClaim> = {}): LeaseClaim => ({ owner: "me", holder: "mesh-release canary checkout v3 (pid 111)", host: HOST, pid: 111, ttlMs: 300_000, release: false, ...o });

describe("release lease rules (backend lease of a rollout)", () => {
    const table: [string, Lease | undefined, LeaseClaim, LeaseContext, "take" | "renew" | "takeover" | "refuse"][] = [
        ["no lease yet: take", undefined, claim(), ctx(), "take"],
        ["a released lease: take", lease({ released: at(-10) }), claim(), ctx(), "take"],
        ["my own live lease: renew", lease({ owner: "me" }), claim(), ctx(), "renew"],
        ["my own released lease: take again", lease({ owner: "me", released: at(-5) }), claim(), ctx(), "take"],
        ["another runner's live lease: refuse", lease(), claim(), ctx(), "refuse"],
        ["another runner's lease just past expiry but within the skew allowance: still refuse", lease({ expires: at(-20) }), claim(), ctx(), "refuse"],
        ["another runner's lease past expiry + skew: take over", lease({ expires: at(-31) }), claim(), ctx(), "takeover"],
        ["a lease of this host whose process is gone (SIGKILL): take over at once", lease({ host: HOST, pid: 999 }), claim(), ctx(), "takeover"],
        ["a lease of this host whose process runs: refuse", lease({ host: HOST, pid: 222 }), claim(), ctx(), "refuse"],
        ["another host's lease with a pid that is dead here: refuse (a pid means nothing across hosts)", lease({ pid: 999 }), claim(), ctx(), "refuse"],
        ["an expiry that is no time lasts the minimum TTL from the last heartbeat: still live", lease({ expires: "soon" }), claim(), ctx(), "refuse"],
        ["an expiry that is no time, heartbeat past the minimum TTL + skew: take over", lease({ expires: "soon", heartbeat: at(-331) }), claim(), ctx(), "takeover"],
        [
            "a lease of this host whose pid now runs another process (pid reused: another identity token): take over",
            lease({ host: HOST, pid: 222, pidToken: "boot-1/500" }),
            claim(),
            { ...ctx(), ownerAlive: (o) => o.pid === 222 && o.token === "boot-1/777" },
            "takeover",
        ],
        [
            "a lease of this host whose pid runs its own process (same token): refuse",
            lease({ host: HOST, pid: 222, pidToken: "boot-1/777" }),
            claim(),
            { ...ctx(), ownerAlive: (o) => o.pid === 222 && o.token === "boot-1/777" },
            "refuse",
        ],
        [
            "a live lease of this very process (host and pid) whose run has ended (a failed run keeps its lease): take over",
            lease({ host: HOST, pid: 111, owner: "finished-run" }),
            claim({ running: ["me"] }),
            { ...ctx(), ownerAlive: (o) => o.pid === 111 },
            "takeover",
        ],
        [
            "a live lease of this very process whose run still runs (two runs in one process): refuse",
            lease({ host: HOST, pid: 111, owner: "other-run" }),
            claim({ running: ["me", "other-run"] }),
            { ...ctx(), ownerAlive: (o) => o.pid === 111 },
            "refuse",
        ],
        [
            "a claim that does not say which runs of its process run: this process's live lease is refused as before",
            lease({ host: HOST, pid: 111, owner: "finished-run" }),
            claim(),
            { ...ctx(), ownerAlive: (o) => o.pid === 111 },
            "refuse",
        ],
        [
            "the same pid on another host is another process: refuse",
            lease({ host: "runner-b", pid: 111, owner: "finished-run" }),
            claim({ running: ["me"] }),
            ctx(),
            "refuse",
        ],
    ];
    for (const [name, prev, c, context, want] of table) {
        it(name, () => {
            expect(decideLease(prev, c, NOW, context).kind).to.equal(want);
        });
    }

    it("the owner is judged by its pid, its identity token and the lease's start (what lock.ts ownerAlive needs)", () => {
        const seen: unknown[] = [];
        const spy: LeaseContext = { ...ctx(), ownerAlive: (o) => (seen.push(o), true) };
        leaseIsLive(lease({ host: HOST, pidToken: "boot-1/5" }), NOW, spy);
        expect(seen).to.deep.equal([{ pid: 222, token: "boot-1/5", runningAt: new Date(at(-600)) }]);
        const took = decideLease(undefined, claim({ pidToken: "boot-1/9" }), NOW, ctx());
        expect(took.kind !== "refuse" && took.lease.pidToken).to.equal("boot-1/9");
    });

    it("a granted lease: heartbeat now, expires after the TTL, started kept on renew and set on take", () => {
        const took = decideLease(undefined, claim(), NOW, ctx());
        expect(took).to.deep.equal({
            kind: "take",
            lease: { version: 1, owner: "me", holder: claim().holder, host: HOST, pid: 111, started: at(0), heartbeat: at(0), expires: at(300) },
        });
        const renewed = decideLease(lease({ owner: "me", started: at(-900) }), claim({ ttlMs: 60_000 }), NOW, ctx());
        expect(renewed.kind === "renew" && renewed.lease).to.deep.include({ started: at(-900), heartbeat: at(0), expires: at(60) });
        const released = decideLease(lease({ owner: "me" }), claim({ release: true }), NOW, ctx());
        expect(released.kind === "renew" && released.lease.released).to.equal(at(0));
    });

    it("a take-over says whose lease and why; a refusal names the holder, its host and pid, and when it expires", () => {
        const over = decideLease(lease({ expires: at(-100) }), claim(), NOW, ctx());
        expect(over.kind === "takeover" && over.note).to.equal(
            `took over the lease of mesh-release canary checkout v2 (pid 222) (owner other): expired at ${at(-100)} (last heartbeat ${at(-60)})`,
        );
        const refused = decideLease(lease(), claim(), NOW, ctx());
        expect(refused.kind === "refuse" && refused.reason).to.equal(
            `MESH_RELEASE_LEASE_HELD: another release holds the lease of this stack: mesh-release canary checkout v2 (pid 222) (owner other, pid 222 on runner-b, ` +
                `since ${at(-600)}; last heartbeat ${at(-60)}, expires ${at(240)}); wait for it to finish. If that runner is gone, its lease expires at ${at(240)} ` +
                `(plus 30 s for clock skew) and the next release takes it over`,
        );
    });

    it("a live owner that renews within its TTL can never be taken over (every instant of a run of 50 renewals)", () => {
        // Owner renews every `hold` (its wait between updates); TTL is leaseTtl(hold). A rival looks at every second.
        const hold = 60_000;
        let current: LeaseDecision = decideLease(undefined, claim({ owner: "owner", ttlMs: leaseTtl(hold) }), NOW, ctx());
        let t = NOW.getTime();
        for (let i = 0; i < 50; i++) {
            const held = current.kind !== "refuse" ? current.lease : undefined;
            expect(held).to.not.equal(undefined);
            for (let s = 1; s <= hold / 1000; s += 7) {
                const rival = decideLease(held, claim({ owner: "rival", host: "runner-c" }), new Date(t + s * 1000), ctx());
                expect(rival.kind, `rival at +${s}s after renewal ${i}`).to.equal("refuse");
            }
            t += hold;
            current = decideLease(held, claim({ owner: "owner", ttlMs: leaseTtl(hold) }), new Date(t), ctx());
            expect(current.kind).to.equal("renew");
        }
    });

    it("TTL: at least the floor, else three times the owner's wait between updates", () => {
        expect(leaseTtl(undefined)).to.equal(300_000);
        expect(leaseTtl(2_000)).to.equal(300_000);
        expect(leaseTtl(600_000)).to.equal(1_800_000);
        expect(leaseTtl(1000, 10)).to.equal(3000);
    });

    it("liveness and parsing: no output is no lease; one that is not a lease is never taken for none", () => {
        expect(leaseIsLive(lease(), NOW, ctx())).to.deep.equal({ live: true, why: `last heartbeat ${at(-60)}, expires ${at(240)}` });
        expect(parseLease("dev", lease())).to.deep.equal({ ok: true, value: lease() });
        const { version: _v, ...unversioned } = lease();
        expect(parseLease("dev", unversioned), "a lease written before the version field").to.deep.equal({ ok: true, value: lease() });
        expect(parseLease("dev", undefined)).to.equal(undefined);
        expect(parseLease("dev", { owner: "x" })?.ok).to.equal(false);
        expect(parseLease("dev", "text")?.ok).to.equal(false);
    });
});

describe("the lease claim in MESH_RELEASE_LEASE (claimFromEnv)", () => {
    const env = (v: string): NodeJS.ProcessEnv => ({ MESH_RELEASE_LEASE: v });
    it("absent or empty: no claim; a claim mesh-release wrote: read back", () => {
        expect(claimFromEnv({})).to.equal(undefined);
        expect(claimFromEnv(env(""))).to.equal(undefined);
        expect(claimFromEnv(env(JSON.stringify(claim({ pidToken: "b/1" }))))).to.deep.equal(claim({ pidToken: "b/1" }));
    });
    it("not JSON, or not a claim: a RunError (no stack trace) naming the variable, what is wrong, the value cut short and the fix", () => {
        const cases: Array<[string, RegExp]> = [
            ["{not json", /^MESH_RELEASE_LEASE is not JSON \(.+\): "\{not json"; mesh-release sets MESH_RELEASE_LEASE .*unset MESH_RELEASE_LEASE/],
            [JSON.stringify({ ...claim(), pid: -1 }), /^MESH_RELEASE_LEASE is not a lease claim \(pid: .+\)/],
            [JSON.stringify({ owner: "x" }), /^MESH_RELEASE_LEASE is not a lease claim \(.*holder.*\)/],
            ["1e999", /^MESH_RELEASE_LEASE is not a lease claim \(\(the value\): /],
            [`"${"x".repeat(500)}"`, /\.\.\. \(502 characters\)/],
        ];
        for (const [text, want] of cases) {
            let caught: unknown;
            try {
                claimFromEnv(env(text));
            } catch (err) {
                caught = err;
            }
            expect(caught, text).to.be.instanceOf(Error);
            expect(pulumi.RunError.isInstance(caught), text).to.equal(true);
            expect((caught as Error).message, text).to.match(want);
            expect((caught as Error).message.length, text).to.be.below(400);
        }
    });
});

describe("a failed CLI command's text, as the release and the fan-out report it (cliErrorSummary)", () => {
    it("redacted before it is cut short: a secret the cut would split leaks neither half", () => {
        const max = 60;
        const text = `error: ${"x".repeat(max - 7 - 5)}${AWKWARD_SECRET} was rejected`;
        expect(cliErrorSummary(text, max), "cut first, the first half would be left").to.include(AWKWARD_SECRET.slice(0, 5));
        const out = redactedCliError(text, new Redactor().add(AWKWARD_SECRET), max);
        expectNoSecret(out);
        expect(out).to.equal(`error: ${"x".repeat(max - 12)}[secr`);
    });
    it("keeps the engine's diagnostics and a config error's problem lines once; drops the command line and progress lines", () => {
        const text = [
            "Command failed with exit code 1: /x/bin/pulumi up --yes --skip-preview --stack e2e-x --non-interactive",
            "code: 1",
            "stdout: Updating (e2e-x):",
            " +  pulumi:pulumi:Stack mesh-traffic-e2e-x creating (0s) error: stack \"e2e-x\": 1 problem in the mesh-traffic config (nothing was deployed):",
            "stderr: ",
            "Diagnostics:",
            "  pulumi:pulumi:Stack (mesh-traffic-e2e-x):",
            '    error: stack "e2e-x": 1 problem in the mesh-traffic config (nothing was deployed):',
            "      - services is set, but this stack has layout \"platform\"",
            "        fix: pulumi config rm 'services'",
            '    error: stack "e2e-x": 1 problem in the mesh-traffic config (nothing was deployed):',
            "Resources:",
            "    1 errored",
        ].join("\n");
        expect(cliErrorSummary(text)).to.equal(
            'error: stack "e2e-x": 1 problem in the mesh-traffic config (nothing was deployed): | - services is set, but this stack has layout "platform" | fix: pulumi config rm \'services\'',
        );
        expect(cliErrorSummary("stderr: error: the stack is currently locked by 1 lock(s)")).to.equal("stderr: error: the stack is currently locked by 1 lock(s)");
        expect(cliErrorSummary("plain text")).to.equal("plain text");
    });
});

// A person's `pulumi up` (no release claim) during a release: the live lease is carried over unchanged (so a second
// runner cannot start a release of the same service meanwhile) with a warning; a released or stale one is dropped.
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
            const r = keepLease(prev, NOW, ctx());
            expect(r.lease).to.deep.equal(kept ? prev : undefined);
            expect(r.warning !== undefined).to.equal(kept);
        });
    }

    it("the warning names the holder, owner, host and pid, and how to end that release", () => {
        const w = keepLease(lease(), NOW, ctx()).warning ?? "";
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
    const run = (): Promise<Record<string, unknown>> => leasedProgram(async () => ({ namespace: "prod" }), () => undefined, () => ctx())();

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

// The lease is a contract object (contract/lease.ts): a stack output this version cannot read is never taken for no
// lease (that would let a second release start beside a live one); it gets our message with the stack, the output
// key, the value, the rule and the fix.
describe("a lease this version cannot read (contract/lease.ts)", () => {
    const STACK = "organization/mesh-traffic/unit";
    const WHERE = `the output "meshReleaseLease" of stack "${STACK}"`;
    const DAMAGED_FIX =
        `if no release runs on ${STACK}, update it once without mesh-release (pulumi up --stack ${STACK}: an update without a release ` +
        "drops a lease it cannot read, with a warning), then start the release again";
    const cases: [string, unknown, string][] = [
        ["a key missing", (({ expires: _e, ...rest }) => rest)(lease()), `${WHERE} is not a release lease this program can read: meshReleaseLease.expires is missing; it is required`],
        ["a wrong type", lease({ pid: "222" as unknown as number }), `${WHERE} is not a release lease this program can read: meshReleaseLease.pid is "222"; it must be a number`],
        ["an unknown key", { ...lease(), ownr: "x" }, `${WHERE} is not a release lease this program can read: meshReleaseLease.ownr is not a key it has; did you mean "owner"?`],
        ["no object", "held", `${WHERE} is not a release lease this program can read: meshReleaseLease is "held"; it must be an object`],
    ];
    for (const [name, value, reason] of cases) {
        it(`${name}: the reason names the stack, the key, the value and the rule; the fix clears it`, () => {
            expect(parseLease(STACK, value)).to.deep.equal({ ok: false, newer: false, reason, fix: DAMAGED_FIX });
        });
    }

    it("a newer version's lease: not judged, and the fix is the upgrade", () => {
        expect(parseLease(STACK, { ...lease(), version: 3, fencing: 7 })).to.deep.equal({
            ok: false,
            newer: true,
            reason: `${WHERE} is a release lease of version 3, written by a newer mesh-traffic; this one reads version 1 (a newer version's fields may change what it means)`,
            fix: `release ${STACK} with the mesh-traffic version that wrote the lease (upgrade the package in this project); an older version does not judge a newer one's lease`,
        });
    });

    describe("inside an update, under Pulumi's runtime mocks", () => {
        let rec: MockRecorder;
        let warnings: string[];
        let warn: typeof pulumi.log.warn;
        before(async () => {
            rec = await setupMocks();
            warn = pulumi.log.warn;
        });
        beforeEach(() => {
            warnings = [];
            pulumi.log.warn = (msg: string): Promise<void> => (warnings.push(msg), Promise.resolve());
        });
        afterEach(() => {
            pulumi.log.warn = warn;
            rec.stackOutputs.delete(STACK);
        });
        const damaged = { ...lease(), pid: "222" };
        const newer = { ...lease(), version: 3, fencing: 7 };
        const program = async (): Promise<Record<string, unknown>> => ({ namespace: "prod" });

        it("a release's update refuses a damaged lease before the program runs, with a RunError (no stack trace) carrying the reason and the fix", async () => {
            rec.stackOutputs.set(STACK, { [LEASE_OUTPUT]: damaged });
            let ran = false;
            const err = await leasedProgram(async () => ((ran = true), {}), () => claim(), () => ctx())().then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(pulumi.RunError.isInstance(err)).to.equal(true);
            expect((err as Error).message).to.equal(
                `${WHERE} is not a release lease this program can read: meshReleaseLease.pid is "222"; it must be a number. fix: ${DAMAGED_FIX}`,
            );
            expect(ran, "the program did not run").to.equal(false);
        });

        it("a release's update refuses a newer version's lease, naming the upgrade", async () => {
            rec.stackOutputs.set(STACK, { [LEASE_OUTPUT]: newer });
            const err = await leasedProgram(program, () => claim(), () => ctx())().then(
                () => undefined,
                (e: unknown) => e,
            );
            expect((err as Error).message).to.match(/is a release lease of version 3, written by a newer mesh-traffic; .* fix: release organization\/mesh-traffic\/unit with the mesh-traffic version that wrote the lease/);
        });

        it("an update without a release drops a damaged lease, with a warning naming it", async () => {
            rec.stackOutputs.set(STACK, { [LEASE_OUTPUT]: damaged });
            expect(await leasedProgram(program, () => undefined, () => ctx())()).to.deep.equal({ namespace: "prod" });
            expect(warnings).to.deep.equal([
                `mesh-release: ${WHERE} is not a release lease this program can read: meshReleaseLease.pid is "222"; it must be a number; ` +
                    "this update, which is no release, drops it (the next release takes the stack as free)",
            ]);
        });

        it("an update without a release keeps a newer version's lease as it is", async () => {
            rec.stackOutputs.set(STACK, { [LEASE_OUTPUT]: newer });
            expect(await leasedProgram(program, () => undefined, () => ctx())()).to.deep.equal({ namespace: "prod", [LEASE_OUTPUT]: newer });
            expect(warnings).to.have.length(1);
            expect(warnings[0]).to.match(/written by a newer mesh-traffic; .*; this update keeps it as it is$/);
        });
    });
});
