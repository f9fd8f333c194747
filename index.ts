/**
 * The mesh-traffic Pulumi program: load the stack config (`mesh-traffic:` keys, checked before anything is
 * registered), build the stack, export its outputs. Environments differ by Pulumi.<stack>.yaml only.
 *
 * The program is `meshProgram` (stacks/index.ts): the Node language host calls the exported function and
 * exports what it returns. Outputs: `namespace`; `services` (per service: live weights `{ stable, canary }`,
 * subsets, version labels, mesh hosts, gateway hosts); `ingressHosts`; `egressHosts`; and, for a platform
 * stack (layout platform), `platform` (namespace and root routes, read by its service stacks).
 */
import { meshProgram } from "./stacks";

export = meshProgram;
