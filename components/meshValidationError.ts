/** The error a component throws once with every problem of its args (components/validation.ts finds them). */
import * as pulumi from "@pulumi/pulumi";
import { inspect } from "node:util";
import type { Problem } from "./validation";

/**
 * Thrown once by a component with every problem it found, before any child resource exists.
 * A `pulumi.InputPropertiesError`, so the engine pretty-prints `errors`; plus pnpm-style `code` and `hint`.
 *
 * It inspects (`util.inspect`, which the Node SDK's language host runs on every error that reaches it) as its name,
 * message and hint: no stack, no fields. So a bad value that arrives as an Output prints as a plain one does, not as
 * a dump of the `promise` the SDK attaches to a rejection. It also keeps Node 20's coloured stack formatting away: on
 * a frame the SDK's source maps name `node_modules/@pulumi/output.ts` it loops until the string overflows
 * (nodejs/node#64011; pulumi/pulumi#21326): a minute or more of CPU before the update could fail.
 */
export class MeshValidationError extends pulumi.InputPropertiesError {
    /** Stable machine-readable code. */
    public readonly code = "MESH_INVALID_ARGS";
    /** What to do about it. */
    public readonly hint: string;
    /** The component type token. */
    public readonly component: string;
    /** The component's logical name. */
    public readonly resourceName: string;

    /**
     * `resolved`: the problems were found when the component's Output args resolved, after the component itself was
     * registered (not its children): the hint says so.
     */
    constructor(component: string, resourceName: string, errors: Problem[], resolved = false) {
        const lines = errors.map((e) => `  - ${e.reason}`).join("\n");
        super({
            message: `${component} "${resourceName}" has ${errors.length} invalid argument${errors.length === 1 ? "" : "s"}:\n${lines}`,
            errors,
        });
        this.name = "MeshValidationError";
        this.component = component;
        this.resourceName = resourceName;
        this.hint = `Fix the values named above (stack config or component args); ${resolved ? "none of the component's children was registered" : "nothing was registered"}.`;
    }

    /** How `util.inspect` (and so the language host's error report) shows it: name, message and hint. */
    public [inspect.custom](): string {
        return `${this.name}: ${this.message}\n${this.hint}`;
    }
}

/** Throws a {@link MeshValidationError} when there is any problem. */
export function throwIfProblems(component: string, resourceName: string, problems: Problem[]): void {
    if (problems.length > 0) {
        throw new MeshValidationError(component, resourceName, problems);
    }
}
