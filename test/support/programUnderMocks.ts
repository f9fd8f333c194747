/**
 * Test support: running the whole Pulumi program (stacks/index.ts meshProgram) under Pulumi's runtime mocks as a
 * given stack with a given raw `mesh-traffic:` config, as `pulumi up` of that stack would (config map, stack name).
 * Used with test/support/stacksUnderMocks.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as Stacks from "../../stacks";

type Raw = Record<string, unknown>;

/** Pulumi's flat runtime config map of a raw config (what `pulumi config` stores). */
export const flatConfig = (raw: Raw): Record<string, string> =>
    Object.fromEntries(Object.entries(raw).map(([k, v]) => [`mesh-traffic:${k}`, typeof v === "string" ? v : JSON.stringify(v)]));

/** The stack name the program sees (pulumi.getStack()); the SDK's own test hook, not in its typings. */
export function setStackName(name: string): void {
    (pulumi.runtime as unknown as { _setStack(name: string): void })._setStack(name);
}

/** Runs the program as `stack` with `raw` as its config; returns its outputs. Restores the config and the stack name after. */
export async function runProgram(stacks: typeof Stacks, raw: Raw, stack = "unit"): Promise<Stacks.MeshStackOutputs> {
    const saved = pulumi.runtime.allConfig();
    try {
        pulumi.runtime.setAllConfig(flatConfig(raw));
        setStackName(stack);
        return await stacks.meshProgram();
    } finally {
        pulumi.runtime.setAllConfig(saved);
        setStackName("unit");
    }
}

/** Runs the program as `stack` with `raw` as its config; returns what it threw (undefined when it did not). */
export async function programError(stacks: typeof Stacks, raw: Raw, stack = "unit"): Promise<unknown> {
    try {
        await runProgram(stacks, raw, stack);
        return undefined;
    } catch (e) {
        return e;
    }
}
