/**
 * The Pulumi edge of the stack config: {@link StackConfigError}, the one error the engine prints for a bad config
 * (every problem, nothing deployed), {@link parseStackConfig} (check or throw) and {@link readStackConfig} (the
 * only place the runtime config is read). The check itself is stacks/config.ts, which loads no Pulumi SDK.
 *
 * Every secret string is redacted from the problems (contract/redact.ts, in any spelling) as a second line of
 * defence behind the `[secret]` the check shows at secret paths.
 */
import * as pulumi from "@pulumi/pulumi";
import { configFromPulumiMap, PROJECT } from "../contract/project";
import type { StackConfigProblem } from "../contract/problems";
import { Redactor } from "../contract/redact";
import type { StackConfig } from "../contract/schema";
import { isSecretPath } from "../contract/secrets";
import { checkStackConfig, type ParseOptions } from "./config";

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
    const { config, problems } = checkStackConfig(raw, options);
    if (config === undefined) {
        throw new StackConfigError(stack, problems, secretValues(raw, new Set(options.secretKeys ?? [])));
    }
    return config;
}

// ---------------------------------------------------------------------------------------------
// The I/O edge.

/** Reads and parses the current stack's config from the Pulumi runtime. The only place config is read. */
export function readStackConfig(): StackConfig {
    const stack = pulumi.getStack();
    const all = pulumi.runtime.allConfig();
    const { raw, strayKeys } = configFromPulumiMap(all);
    const secretKeys = secretKeysOf(Object.keys(all));
    const stray: StackConfigProblem[] = strayKeys.map((k) => ({
        propertyPath: k,
        reason: `${k} is in namespace "${k.split(":")[0]}", which this program does not read; did you mean "${PROJECT}:${k.slice(k.indexOf(":") + 1)}"?`,
        fix: `pulumi config rm '${k}', then set it without a namespace prefix`,
    }));
    const { config, problems } = checkStackConfig(raw, { secretKeys });
    if (config === undefined || stray.length > 0) {
        throw new StackConfigError(stack, [...stray, ...problems], secretValues(raw, new Set(secretKeys)));
    }
    return config;
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
