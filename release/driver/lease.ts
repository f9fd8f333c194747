/**
 * The rollout's lease, kept on the Pulumi state backend so that release runners on different machines
 * that share one backend exclude each other (the lock file of lock.ts only excludes releases on one machine).
 *
 * Where it lives: the stack output {@link LEASE_OUTPUT} of the service's stack, written by the release's own
 * `pulumi up`. Why that is atomic: every update of a stack runs under the backend's update lock (the DIY
 * backend writes `.pulumi/locks/<org>/<project>/<stack>/<id>.json`, then lists the lock dir and backs off
 * when it sees another lock: pulumi/pulumi pkg/backend/diy/lock.go; Pulumi Cloud serialises updates itself).
 * Inside that update, before any resource is registered, the program reads the lease the last finished
 * update left, through the engine's `pulumi:pulumi:readStackOutputs` on its own stack (the root stack
 * resource keeps its old outputs until the program ends: a Same step retains them), decides with
 * {@link decideLease}, and either fails the update (another runner holds a live lease: nothing is
 * registered, nothing changes) or exports its own lease with the stack's other outputs. Two runners'
 * updates are serialised by the backend lock, so the second one always sees the first one's lease: a
 * compare-and-swap on the backend.
 *
 * The lease: owner (a random id per release run), holder text, host and pid, started, heartbeat (each of the
 * owner's updates renews it) and expires. Stale-lease rule ({@link leaseIsLive}): a lease is taken over
 * only when its expiry (heartbeat + TTL, chosen by the owner as at least three times its wait between
 * updates) has passed by more than the clock-skew allowance, or when it was written on this host by a
 * process that is gone (the SIGKILL case): its pid runs no process, or another process than the one that wrote
 * it (pids are reused; lock.ts `ownerAlive` tells them apart by the process's identity token and start time). A live owner renews long before expiry, so it is never
 * taken over; an owner that stalled past its expiry finds, at its next update, a lease that is not its own and
 * stops (its update is refused like anyone else's).
 *
 * The lease and the claim are contract objects (contract/lease.ts: one schema types what is written and parses what is
 * read): a lease this program cannot read refuses a release's update with the fix (a person's update drops a damaged
 * one and keeps a newer version's, with a warning); it is never taken for no lease.
 *
 * This file is pure but for {@link readOwnLease} and {@link leasedProgram} (run inside a Pulumi program).
 */
import { randomBytes } from "node:crypto";
import * as os from "node:os";
import * as pulumi from "@pulumi/pulumi";
import { claimSchema, LEASE_OUTPUT, LEASE_VERSION, leaseContract, type Lease } from "../../contract/lease";
import { parseStackOutput, type StackOutputRead } from "../../contract/stackOutput";
import { readStackOutput } from "../../stacks/stackOutputs";
import { ownerAlive, type ProcessRef } from "./lock";

export { LEASE_OUTPUT, type Lease };

/** Marker in the error of a refused update, so the driver classifies it as `concurrent`. */
export const LEASE_HELD = "MESH_RELEASE_LEASE_HELD";

/** Environment variable carrying the claim to a project's own program (`--program local`). */
export const LEASE_ENV = "MESH_RELEASE_LEASE";

/** The minimum lease TTL, ms: an owner that stops renewing is taken over this long after its last update. */
export const DEFAULT_LEASE_TTL_MS = 5 * 60_000;

/** Clock skew tolerated between runners, ms: a reader waits this much past `expires`. */
export const DEFAULT_SKEW_MS = 30_000;

/** What one update of the owner asks for. */
export interface LeaseClaim {
    owner: string;
    holder: string;
    host: string;
    pid: number;
    /** lock.ts `processToken` of that process, where there is one. */
    pidToken?: string;
    /** How long the lease holds after this update, ms. */
    ttlMs: number;
    /** This update ends the owner's run: the lease is written released. */
    release: boolean;
    /**
     * The owners of the release runs of this process (host and pid) that run now ({@link runningOwners}). A lease of
     * this host and pid whose owner is not among them is stale: its run ended without releasing it (a run that fails
     * mid-step keeps its lease until it expires), and a release tool that runs its releases in one process would
     * otherwise be refused by its own finished run until then. Absent: not judged this way.
     */
    running?: readonly string[];
}

export interface LeaseContext {
    /** This runner's host name. */
    host: string;
    /** Whether the process of this host that wrote a lease still runs (not merely its pid: pids are reused). */
    ownerAlive: (owner: ProcessRef) => boolean;
    skewMs: number;
}

export type LeaseDecision =
    | { kind: "take" | "renew" | "takeover"; lease: Lease; note?: string }
    | { kind: "refuse"; reason: string };

/** The owner ids of this process's release runs that hold the release lock now (lock to unlock). */
const running = new Set<string>();

/** Marks a run of this process as holding the release lock (`true`) or as ended (`false`). */
export function setOwnerRunning(owner: string, on: boolean): void {
    if (on) {
        running.add(owner);
    } else {
        running.delete(owner);
    }
}

/** The owner ids of this process's release runs that run now ({@link LeaseClaim.running}). */
export function runningOwners(): string[] {
    return [...running];
}

/** A new owner id for one release run. */
export function newOwnerId(): string {
    return `${os.hostname()}:${process.pid}:${randomBytes(6).toString("hex")}`;
}

/** The lease TTL for an owner that waits up to `holdMs` between its updates. */
export function leaseTtl(holdMs: number | undefined, minMs: number = DEFAULT_LEASE_TTL_MS): number {
    return Math.max(minMs, 3 * (holdMs ?? 0));
}

/**
 * The lease in stack `stack`'s output value (read outside a program: `pulumi stack output`), parsed by its schema;
 * undefined when the stack has none. One that does not parse says why, with the fix ({@link leaseContract}).
 */
export function parseLease(stack: string, value: unknown): StackOutputRead<Lease> | undefined {
    return value === undefined ? undefined : parseStackOutput(leaseContract, stack, value);
}

/** Live: not released, not past `expires` + skew, and not left by a dead process of this host. */
export function leaseIsLive(lease: Lease, now: Date, ctx: LeaseContext): { live: boolean; why: string } {
    if (lease.released !== undefined) {
        return { live: false, why: `released at ${lease.released}` };
    }
    // An expiry that is no time (a hand-edited or damaged output) does not make the lease free at once: it then
    // lasts the minimum TTL from its last heartbeat (or start); only when neither is a time is it judged by its process.
    const written = Date.parse(lease.expires);
    const fallback = [lease.heartbeat, lease.started].map((t) => Date.parse(t)).find((t) => Number.isFinite(t));
    const expires = Number.isFinite(written) ? written : fallback !== undefined ? fallback + DEFAULT_LEASE_TTL_MS : undefined;
    if (expires !== undefined && now.getTime() > expires + ctx.skewMs) {
        return { live: false, why: `expired at ${Number.isFinite(written) ? lease.expires : new Date(expires).toISOString()} (last heartbeat ${lease.heartbeat})` };
    }
    const started = new Date(lease.started);
    if (
        lease.host === ctx.host &&
        !ctx.ownerAlive({
            pid: lease.pid,
            ...(lease.pidToken !== undefined ? { token: lease.pidToken } : {}),
            ...(Number.isFinite(started.getTime()) ? { runningAt: started } : {}),
        })
    ) {
        return { live: false, why: `its process ${lease.pid} on ${lease.host} is gone` };
    }
    return { live: true, why: `last heartbeat ${lease.heartbeat}, expires ${lease.expires}` };
}

/** Decides one update's claim against the lease the last finished update left. Pure. */
export function decideLease(prev: Lease | undefined, claim: LeaseClaim, now: Date, ctx: LeaseContext): LeaseDecision {
    const at = now.toISOString();
    const next = (started: string): Lease => ({
        version: LEASE_VERSION,
        owner: claim.owner,
        holder: claim.holder,
        host: claim.host,
        pid: claim.pid,
        ...(claim.pidToken !== undefined ? { pidToken: claim.pidToken } : {}),
        started,
        heartbeat: at,
        expires: new Date(now.getTime() + claim.ttlMs).toISOString(),
        ...(claim.release ? { released: at } : {}),
    });
    if (prev === undefined) {
        return { kind: "take", lease: next(at) };
    }
    if (prev.owner === claim.owner) {
        if (prev.released !== undefined) {
            return { kind: "take", lease: next(at) };
        }
        return { kind: "renew", lease: next(prev.started) };
    }
    // Written by this very process (same host and pid: a live process is the only one with its pid), for a run of it
    // that has ended: stale, whatever its expiry.
    const ended = claim.running !== undefined && prev.released === undefined && prev.host === claim.host && prev.pid === claim.pid && !claim.running.includes(prev.owner);
    const state = ended ? { live: false, why: `its run in this process (pid ${prev.pid} on ${prev.host}) has ended` } : leaseIsLive(prev, now, ctx);
    if (!state.live) {
        return prev.released !== undefined
            ? { kind: "take", lease: next(at) }
            : { kind: "takeover", lease: next(at), note: `took over the lease of ${prev.holder} (owner ${prev.owner}): ${state.why}` };
    }
    return {
        kind: "refuse",
        reason:
            `${LEASE_HELD}: another release holds the lease of this stack: ${prev.holder} (owner ${prev.owner}, pid ${prev.pid} on ${prev.host}, ` +
            `since ${prev.started}; ${state.why}); wait for it to finish. If that runner is gone, its lease expires at ${prev.expires} ` +
            `(plus ${Math.round(ctx.skewMs / 1000)} s for clock skew) and the next release takes it over`,
    };
}

/** This process's view: its host, a live-pid check, the default skew. */
export function localLeaseContext(skewMs: number = DEFAULT_SKEW_MS): LeaseContext {
    return { host: os.hostname(), ownerAlive: (owner) => ownerAlive(owner), skewMs };
}

/** The lease an update finds: none, one it reads, or one it cannot (why, the fix, and the value as the backend holds it). */
export type OwnLease =
    | { kind: "none" }
    | { kind: "lease"; lease: Lease }
    | { kind: "unreadable"; newer: boolean; reason: string; fix: string; raw: unknown };

/**
 * Inside a running Pulumi program: the lease the last finished update of this same stack exported, read with the
 * program's one read of stack outputs (stacks/stackOutputs.ts; the engine's builtin provider reads the stack's
 * checkpoint from the backend) and parsed by its schema.
 */
export async function readOwnLease(): Promise<OwnLease> {
    const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    const read = await readStackOutput(name, leaseContract);
    switch (read.kind) {
        case "missing-stack": // no checkpoint of this stack yet: no update has written a lease
        case "absent":
            return { kind: "none" };
        case "read":
            return read.ok ? { kind: "lease", lease: read.value } : { kind: "unreadable", newer: read.newer, reason: read.reason, fix: read.fix, raw: read.raw };
        default: {
            const never: never = read;
            return never;
        }
    }
}

/**
 * The claim a project's own program gets through {@link LEASE_ENV} (mesh-release writes it). Anything else there
 * fails the update before anything is registered, with a {@link pulumi.RunError} (the engine prints its message
 * without a stack trace) naming the variable, what is wrong and the fix.
 */
export function claimFromEnv(env: NodeJS.ProcessEnv = process.env): LeaseClaim | undefined {
    const text = env[LEASE_ENV];
    if (text === undefined || text === "") {
        return undefined;
    }
    const fix = `mesh-release sets ${LEASE_ENV} for the updates it runs; unset it for any other update (unset ${LEASE_ENV})`;
    const shown = text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}... (${text.length} characters)` : JSON.stringify(text);
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (err) {
        throw new pulumi.RunError(`${LEASE_ENV} is not JSON (${(err as Error).message}): ${shown}; ${fix}`);
    }
    const parsed = claimSchema.safeParse(value);
    if (!parsed.success) {
        const issues = parsed.error.issues;
        const problems =
            issues
                .slice(0, 3)
                .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(the value)"}: ${i.message}`)
                .join("; ") + (issues.length > 3 ? `; and ${issues.length - 3} more` : "");
        throw new pulumi.RunError(`${LEASE_ENV} is not a lease claim (${problems}): ${shown}; ${fix}`);
    }
    const { pidToken, ...rest } = parsed.data;
    return { ...rest, ...(pidToken !== undefined ? { pidToken } : {}) };
}

/**
 * What an update without a claim (a person's `pulumi up`; `mesh-release env up` claims one) does with the lease the last
 * update left: a live one is kept as it is (the release that holds it goes on, and its next update renews it;
 * dropping it would let a second runner start a release of the same service meanwhile), with a warning that
 * this update is not part of that release. A released or stale lease is dropped. Pure.
 */
export function keepLease(prev: Lease | undefined, now: Date, ctx: LeaseContext): { lease?: Lease; warning?: string } {
    if (prev === undefined || !leaseIsLive(prev, now, ctx).live) {
        return {};
    }
    return {
        lease: prev,
        warning:
            `mesh-release: a release holds this stack (${prev.holder}, owner ${prev.owner}, pid ${prev.pid} on ${prev.host}, since ${prev.started}); ` +
            `this update is not part of it. The lease is kept; if this update changes the service's weights, the release's next step ` +
            `finds a live split that is not its step's and stops, naming it. To end that release first: mesh-release rollback or abort.`,
    };
}

/**
 * Wraps a program so that, when `claim()` gives a claim, the update first checks the lease (and fails
 * before registering anything when another live owner holds it) and then exports the new lease with the
 * program's outputs. Without a claim (a person's `pulumi up`) the program runs as it is and a live lease is
 * carried over unchanged ({@link keepLease}). A lease that does not parse by its schema (contract/lease.ts) is never
 * taken for none: a claim's update fails with the reason and the fix; without a claim a damaged one is dropped and a
 * newer version's kept as it is, each with a warning.
 */
export function leasedProgram<T extends Record<string, unknown>>(
    program: () => Promise<T>,
    claim: () => LeaseClaim | undefined,
    ctx: () => LeaseContext = () => localLeaseContext(),
): () => Promise<T & Record<string, unknown>> {
    return async () => {
        const c = claim();
        const own = await readOwnLease();
        if (c === undefined && own.kind === "unreadable") {
            // Not a release: a newer version's lease is kept as it is (this program cannot judge it), a damaged one dropped.
            void pulumi.log.warn(
                `mesh-release: ${own.reason}; ${own.newer ? "this update keeps it as it is" : "this update, which is no release, drops it (the next release takes the stack as free)"}`,
            );
            const outputs = await program();
            return own.newer ? { ...outputs, [LEASE_OUTPUT]: own.raw } : outputs;
        }
        if (own.kind === "unreadable") {
            // a release's update: a lease it cannot read is not taken for none (it may be another release's)
            throw new pulumi.RunError(`${own.reason}. fix: ${own.fix}`);
        }
        const prev = own.kind === "lease" ? own.lease : undefined;
        if (c === undefined) {
            const kept = keepLease(prev, new Date(), ctx());
            if (kept.warning !== undefined) {
                void pulumi.log.warn(kept.warning);
            }
            const outputs = await program();
            return kept.lease === undefined ? outputs : { ...outputs, [LEASE_OUTPUT]: kept.lease };
        }
        const decision = decideLease(prev, c, new Date(), ctx());
        if (decision.kind === "refuse") {
            throw new pulumi.RunError(decision.reason); // a refusal, not a bug: the engine prints it without a stack trace
        }
        if (decision.note !== undefined) {
            void pulumi.log.warn(`mesh-release: ${decision.note}`);
        }
        const outputs = await program();
        // A preview that saves an update plan (an approval gate's, release/core/gate.ts) must not pin the lease's times: the
        // update that applies the plan writes its own heartbeat, and the engine holds stack outputs to the plan too.
        // Unknown in the plan, any value is accepted.
        return { ...outputs, [LEASE_OUTPUT]: pulumi.runtime.isDryRun() ? pulumi.unknown : decision.lease };
    };
}
