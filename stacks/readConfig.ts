/**
 * The Pulumi edge of the stack config: {@link StackConfigError}, the one error the engine prints for a bad config
 * (every problem, nothing deployed), {@link parseStackConfig} (check or throw) and {@link readStackConfig} (the
 * only place the runtime config is read). The check itself is stacks/config.ts, which loads no Pulumi SDK.
 *
 * Every secret string is redacted from the problems (contract/redact.ts, in any spelling) as a second line of
 * defence behind the `[secret]` the check shows at secret paths.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../contract/project";
import { configFromPulumiMap } from "../contract/stackConfig";
import type { StackConfigProblem } from "../contract/problems";
import { Redactor } from "../contract/redact";
import type { StackConfig } from "../contract/schema";
import { isSecretPath } from "../contract/secrets";
import type { PlatformOutputs } from "../contract/platformOutput";
import { checkStackConfig, type ParseOptions } from "./config";
import type { StackPlan } from "./stackPlan";

/**
 * Thrown by {@link parseStackConfig} with every problem found; nothing has been registered yet. A
 * `pulumi.RunError`, so the engine prints the message without a stack trace.
 */
export class StackConfigError extends pulumi.RunError {
    /** Stable machine-readable code. */
    readonly code = "STACK_CONFIG_INVALID";
    readonly hint: string;
    readonly stack: string;
    readonly problems: readonly StackConfigProblem[];

    constructor(stack: string, problems: readonly StackConfigProblem[], secrets: readonly string[] = []) {
        const redactor = new Redactor().add(...secrets);
        const safe = problems.map((p) => ({ propertyPath: p.propertyPath, reason: redactor.redact(p.reason), fix: redactor.redact(p.fix) }));
        const lines = safe.map((p) => `  - ${p.reason}\n    fix: ${p.fix}`).join("\n");
        super(
            `stack "${stack}": ${safe.length} problem${safe.length === 1 ? "" : "s"} in the ${PROJECT} config ` +
                `(nothing was deployed):\n${lines}`,
        );
        this.name = "StackConfigError";
        this.stack = stack;
        this.problems = safe;
        this.hint = `Edit Pulumi.${stack}.yaml or run the pulumi config commands above; docs/config.md lists every key.`;
    }
}

/** Every string value at a secret path of `raw`, longest first (so a prefix never hides the rest). */
function secretValues(raw: unknown, secretKeys: ReadonlySet<string>, path = ""): string[] {
    if (typeof raw === "string") {
        return path !== "" && isSecretPath(path, secretKeys) && raw.length > 0 ? [raw] : [];
    }
    if (raw === null || typeof raw !== "object") {
        return [];
    }
    const entries: [string, unknown][] = Array.isArray(raw)
        ? raw.map((v, i): [string, unknown] => [`${path}[${i}]`, v])
        : Object.entries(raw).map(([k, v]): [string, unknown] => [path === "" ? k : `${path}.${k}`, v]);
    return entries.flatMap(([p, v]) => secretValues(v, secretKeys, p)).sort((a, b) => b.length - a.length);
}

/**
 * Parses the `mesh-traffic:` config of one stack (keys without the namespace) into typed config, or throws a
 * {@link StackConfigError} naming every problem. Schema problems are reported first; the cross-field rules
 * run on a config that has the right shape.
 */
export function parseStackConfig(stack: string, raw: unknown, options: ParseOptions = {}): StackConfig {
    return checkedOrThrow(stack, raw, options).config;
}

/**
 * {@link parseStackConfig}, returning the plan the check made (stacks/stackPlan.ts), which `buildMeshStack` builds as
 * it is: the stack's mesh and its components planned once.
 */
export function parseStackPlan(stack: string, raw: unknown, options: ParseOptions = {}): StackPlan {
    return checkedOrThrow(stack, raw, options).plan;
}

function checkedOrThrow(stack: string, raw: unknown, options: ParseOptions): { config: StackConfig; plan: StackPlan } {
    const checked = checkStackConfig(raw, options);
    if (checked.config === undefined) {
        throw new StackConfigError(stack, checked.problems, secretValues(raw, new Set(options.secretKeys ?? [])));
    }
    return checked;
}

// ---------------------------------------------------------------------------------------------
// The I/O edge.

/** The current stack's config as the runtime holds it, not yet checked. */
export interface StackInput {
    stack: string;
    /** The `mesh-traffic:` keys, without the namespace (contract/project.ts configFromPulumiMap). */
    raw: Record<string, unknown>;
    /** Top-level keys Pulumi marks secret. */
    secretKeys: string[];
    /** Keys of a namespace one or two edits from this project's, each a problem. */
    stray: StackConfigProblem[];
}

/** Reads the current stack's config from the Pulumi runtime. The only place config is read. */
export function readStackInput(): StackInput {
    const all = pulumi.runtime.allConfig();
    const { raw, strayKeys } = configFromPulumiMap(all);
    const stray: StackConfigProblem[] = strayKeys.map((k) => ({
        propertyPath: k,
        reason: `${k} is in namespace "${k.split(":")[0]}", which this program does not read; did you mean "${PROJECT}:${k.slice(k.indexOf(":") + 1)}"?`,
        fix: `pulumi config rm '${k}', then set it without a namespace prefix`,
    }));
    return { stack: pulumi.getStack(), raw, secretKeys: secretKeysOf(Object.keys(all)), stray };
}

/**
 * Checks a stack's config read by {@link readStackInput} and returns its plan, or throws a {@link StackConfigError}
 * with every problem. `platform`: a service stack's platform output, so that the plan is the one built.
 */
export function checkStackInput(input: StackInput, platform?: PlatformOutputs): StackPlan {
    const { plan, problems } = checkStackConfig(input.raw, { secretKeys: input.secretKeys, ...(platform === undefined ? {} : { platform }) });
    if (plan === undefined || input.stray.length > 0) {
        throw new StackConfigError(input.stack, [...input.stray, ...problems], secretValues(input.raw, new Set(input.secretKeys)));
    }
    return plan;
}

/** Reads and checks the current stack's config from the Pulumi runtime ({@link readStackInput}, {@link checkStackInput}). */
export function readStackConfig(): StackConfig {
    return checkStackInput(readStackInput()).config;
}

/**
 * Top-level keys of this project that Pulumi marks secret. `runtime.isConfigSecret` is exported at run time
 * but tagged internal in the typings, hence the narrow cast; without it only SECRET_PATHS protect values.
 */
function secretKeysOf(fullKeys: readonly string[]): string[] {
    const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
    return fullKeys
        .filter((k) => k.startsWith(`${PROJECT}:`) && isSecret?.(k) === true)
        .map((k) => k.slice(PROJECT.length + 1));
}
