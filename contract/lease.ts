/**
 * The release lease on the state backend (release/driver/lease.ts): the stack output {@link LEASE_OUTPUT} one
 * release run writes and any later update of the stack (another runner's, a person's `pulumi up`) reads, and the
 * claim mesh-release hands a project's own program in `MESH_RELEASE_LEASE`. One schema types what is written and
 * parses what is read. Pure.
 */
import { z } from "zod";
import type { StackOutputContract } from "./stackOutput";

/** The stack output holding the lease. */
export const LEASE_OUTPUT = "meshReleaseLease";

/**
 * The version of the lease this program writes and reads (a lease without one is version 1).
 * Adding or changing a field bumps it: every object is strict, so an older reader would otherwise refuse the new key as
 * damaged; with the bump it says a newer mesh-traffic wrote it and to upgrade.
 */
export const LEASE_VERSION = 1;

export const leaseSchema = z.strictObject({
    /** {@link LEASE_VERSION}; absent in leases written before it was. */
    version: z.literal(LEASE_VERSION).default(LEASE_VERSION),
    /** A random id per release run (release/driver/lease.ts `newOwnerId`). */
    owner: z.string().min(1),
    holder: z.string(),
    host: z.string(),
    pid: z.number().int(),
    /** release/driver/lock.ts `processToken` of the owner's process (absent where there is no /proc, and in earlier versions' leases). */
    pidToken: z.string().optional(),
    /** ISO 8601 times; one that is no time is judged by the rules (release/driver/lease.ts `leaseIsLive`), not refused here. */
    started: z.string(),
    heartbeat: z.string(),
    expires: z.string(),
    /** Set by the owner's last update: the lease is free. */
    released: z.string().optional(),
});

/** The lease as written and as read. */
export type Lease = z.output<typeof leaseSchema>;

/** What one update of the owner asks for, as mesh-release writes it into `MESH_RELEASE_LEASE`. */
export const claimSchema = z.object({
    owner: z.string().min(1),
    holder: z.string(),
    host: z.string(),
    pid: z.number().int().positive(),
    pidToken: z.string().optional(),
    /** How long the lease holds after this update, ms. */
    ttlMs: z.number().int().positive(),
    /** This update ends the owner's run: the lease is written released. */
    release: z.boolean(),
    /** The owners of the runner process's release runs that run now (release/driver/lease.ts `LeaseClaim.running`). */
    running: z.array(z.string().min(1)).optional(),
});

/** The lease's contract: key, schema, version and fixes (contract/stackOutput.ts `parseStackOutput`). */
export const leaseContract: StackOutputContract<typeof leaseSchema> = {
    key: LEASE_OUTPUT,
    what: "a release lease",
    schema: leaseSchema,
    version: LEASE_VERSION,
    fix: (stack) =>
        `if no release runs on ${stack}, update it once without mesh-release (pulumi up --stack ${stack}: an update without a release ` +
        `drops a lease it cannot read, with a warning), then start the release again`,
    newerFix: (stack) =>
        `release ${stack} with the mesh-traffic version that wrote the lease (upgrade the package in this project); ` +
        `an older version does not judge a newer one's lease`,
};
