/**
 * The one read of a stack's outputs from inside a running program: the engine's builtin
 * `pulumi:pulumi:readStackOutputs` invoke, the same backend read a `pulumi.StackReference` makes (same name
 * resolution: `production` in this project and backend, or fully qualified), but not a resource, so the reading
 * stack's state keeps no copy of what it read. Used by a service stack to read its platform's output
 * (stacks/index.ts `readPlatformOutput`) and by an update to read its own stack's lease (release/driver/lease.ts
 * `readOwnLease`). What is read is parsed by its contract (contract/stackOutput.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { parseStackOutput, type StackOutputContract, type StackOutputRead } from "../contract/stackOutput";

/** The engine's builtin invoke that reads a stack's outputs from the backend (what a StackReference reads). */
const READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs";

/** How the engine says the backend holds no stack of that name (`unknown stack "<name>"`, and other backends' words). */
const MISSING_STACK = /unknown stack|no stack named|stack .*not found|does not exist/i;

/** One output of a stack as read: the stack is missing, the output absent, or the output parsed (or why not). */
export type StackOutputOf<T> =
    | { readonly kind: "missing-stack"; readonly said: string }
    | { readonly kind: "absent" }
    | ({ readonly kind: "read"; /** the value as the backend holds it */ readonly raw: unknown } & StackOutputRead<T>);

/**
 * The outputs of stack `stack`, or the engine's line saying the backend holds no such stack. Any other failure of
 * the read (the backend unreachable) is thrown as the engine gave it.
 */
async function readStackOutputs(stack: string): Promise<{ kind: "missing-stack"; said: string } | { kind: "outputs"; outputs: Readonly<Record<string, unknown>> }> {
    let result: unknown;
    try {
        result = await pulumi.runtime.invoke(READ_STACK_OUTPUTS, { name: stack });
    } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        // the line that says so (the pattern matches within one line)
        const said = text.split("\n").find((l) => MISSING_STACK.test(l))?.trim();
        if (said === undefined) {
            throw err;
        }
        return { kind: "missing-stack", said };
    }
    const outputs = result !== null && typeof result === "object" && Object.hasOwn(result, "outputs") ? (result as { outputs: unknown }).outputs : undefined;
    return { kind: "outputs", outputs: outputs !== null && typeof outputs === "object" ? (outputs as Record<string, unknown>) : {} };
}

/** The output `contract.key` of stack `stack`, read ({@link readStackOutputs}) and parsed by its contract. */
export async function readStackOutput<S extends z.ZodType>(stack: string, contract: StackOutputContract<S>): Promise<StackOutputOf<z.output<S>>> {
    const read = await readStackOutputs(stack);
    if (read.kind === "missing-stack") {
        return read;
    }
    if (!Object.hasOwn(read.outputs, contract.key) || read.outputs[contract.key] === undefined) {
        return { kind: "absent" };
    }
    const raw = read.outputs[contract.key];
    return { kind: "read", raw, ...parseStackOutput(contract, stack, raw) };
}
