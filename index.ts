/**
 * The mesh-traffic Pulumi program: load the stack config (`mesh-traffic:` keys, checked before anything is
 * registered), build the stack, export its outputs. Environments differ by Pulumi.<stack>.yaml only.
 *
 * The program is `meshProgram` (stacks/index.ts): the Node language host calls the exported function and
 * exports what it returns. Outputs: `namespace`; `services` (per service: live weights `{ stable, canary }`,
 * subsets, version labels, mesh hosts, gateway hosts); `ingressHosts`; `egressHosts`; and, for a platform
 * stack (layout platform), `platform` (namespace and root routes, read by its service stacks).
 */
import { claimFromEnv, leasedProgram } from "./release/driver/lease";
import { meshProgram } from "./stacks";

// Run by `mesh-release --program local`, an update checks and renews the release's lease first (the claim comes
// in MESH_RELEASE_LEASE; release/driver/lease.ts). A person's `pulumi up` carries no claim: it runs the program and
// keeps a live lease as it is, with a warning naming the release that holds it (`keepLease`).
export = leasedProgram(async () => ({ ...(await meshProgram()) }), () => claimFromEnv());
