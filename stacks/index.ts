/**
 * The stack layer: typed config in, components and outputs out.
 *
 * - {@link buildMeshStack}`(config)`: creates every component of a parsed config; reads no config itself, so
 *   the Pulumi program (index.ts) and an Automation API inline program both call it.
 * - {@link meshProgram}: the whole program as a function (`LocalWorkspace.selectStack({ program: meshProgram })`):
 *   reads this stack's `mesh-traffic:` config, builds the stack and returns its outputs.
 */
import { readStackConfig } from "./config";
import { buildMeshStack, type MeshStackOutputs } from "./meshStack";

export * from "./schema";
export * from "./config";
export * from "./rules";
export * from "./meshStack";

/** The Pulumi program: read and check the stack config, build the stack, return the stack outputs. */
export async function meshProgram(): Promise<MeshStackOutputs> {
    return buildMeshStack(readStackConfig()).outputs;
}
