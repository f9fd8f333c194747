/**
 * Zod issues as config problems, one way for both programs: the Pulumi program's config check (stacks/config.ts)
 * and mesh-release's policy and recorded state (release/policy.ts) report a value the schema rejects the same way,
 * with the path, the value (never a secret), the rule and the fix. Pure.
 */
import type { z } from "zod";
import { show } from "../components/validation";
import { didYouMean } from "./didYouMean";
import { formatPath, setFix, valueAt } from "./paths";
import { PROJECT } from "./project";
import { stackConfigSchema } from "./schema";
import { isSecretPath } from "./secrets";

/** One problem in the stack config: where, what is wrong, and what to do. */
export interface StackConfigProblem {
    /** Config path as `pulumi config set --path` takes it, e.g. `services.sample-app.canary.weight`. */
    propertyPath: string;
    /** Names the value, the rule and (when there is one) the likely intent: `... is 120; it must be ...`. */
    reason: string;
    /** What to do, usually a `pulumi config` command. */
    fix: string;
}

type AnyZod = z.core.$ZodType;

/** Strips optional/default/prefault/nullable/pipe wrappers down to the schema that has a shape. */
function unwrap(schema: AnyZod): AnyZod {
    let s = schema;
    for (;;) {
        const def = s._zod.def as unknown as { type: string; innerType?: AnyZod; in?: AnyZod; out?: AnyZod };
        if (def.innerType !== undefined) {
            s = def.innerType;
        } else if (def.type === "pipe" && def.out !== undefined && def.in !== undefined) {
            // z.preprocess is a pipe from a transform into the real schema.
            s = (def.in._zod.def as { type: string }).type === "transform" ? def.out : def.in;
        } else {
            return s;
        }
    }
}

/** Keys an object schema allows at `path` of the config (records and arrays are walked through). */
export function allowedKeysAt(path: readonly PropertyKey[], root: AnyZod = stackConfigSchema): string[] {
    let s: AnyZod | undefined = root;
    for (const seg of path) {
        if (s === undefined) {
            return [];
        }
        const def = unwrap(s)._zod.def as unknown as {
            type: string;
            shape?: Record<string, AnyZod>;
            valueType?: AnyZod;
            element?: AnyZod;
        };
        s = def.type === "object" ? def.shape?.[String(seg)] : def.type === "record" ? def.valueType : def.element;
    }
    const def = s === undefined ? undefined : (unwrap(s)._zod.def as { type: string; shape?: Record<string, AnyZod> });
    return def?.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

/** `problems` with each (path, reason) once, in their first order: one value checked by two rules, one key by two components. */
export function uniqueProblems<P extends { propertyPath: string; reason: string }>(problems: readonly P[]): P[] {
    const seen = new Set<string>();
    return problems.filter((p) => {
        const key = `${p.propertyPath}\n${p.reason}`;
        const fresh = !seen.has(key);
        seen.add(key);
        return fresh;
    });
}

/**
 * The problems of one zod issue of the stack config schema (or of a part of it, with `issue.path` from the config's
 * root): an unknown key with a "did you mean", else `<path> is <value>; <rule>` (`[secret]` at a secret path,
 * `is missing; it is required` for no value) with the `pulumi config set` that fixes it. `raw` is the whole config.
 */
export function issueProblems(issue: z.core.$ZodIssue, raw: unknown, secretKeys: ReadonlySet<string> = new Set()): StackConfigProblem[] {
    if (issue.code === "unrecognized_keys") {
        const allowed = allowedKeysAt(issue.path);
        return issue.keys.map((key) => {
            const path = formatPath([...issue.path, key]);
            const guess = didYouMean(key, allowed);
            const where = issue.path.length === 0 ? `the ${PROJECT} namespace` : formatPath(issue.path);
            return {
                propertyPath: path,
                reason:
                    `${path} is not a key of ${where}` +
                    (guess === undefined ? `; allowed keys: ${allowed.join(", ")}` : `; did you mean "${guess}"?`),
                fix:
                    `pulumi config rm --path '${path}'` +
                    (guess === undefined
                        ? ", or move it where docs/config.md documents it"
                        : `, then set '${formatPath([...issue.path, guess])}'`),
            };
        });
    }
    const path = formatPath(issue.path);
    const secret = isSecretPath(path, secretKeys);
    const value = valueAt(raw, issue.path);
    const shown = secret && value !== undefined ? "[secret]" : show(value);
    const label = path === "" ? "the config" : path;
    const rule = issue.message.startsWith("must") ? `it ${issue.message}` : issue.message;
    return [
        {
            propertyPath: path,
            reason: value === undefined ? `${label} is missing; it is required` : `${label} is ${shown}; ${rule}`,
            fix: setFix(path, { secret }),
        },
    ];
}

/**
 * Messages for zod's built-in checks, phrased as rules ("must be ..."), for this parse only: a message a
 * schema sets itself (contract/schema.ts, contract/release.ts) wins over these.
 */
export function ruleMessage(issue: z.core.$ZodRawIssue): string | undefined {
    const a = (word: string): string => `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;
    switch (issue.code) {
        case "invalid_type":
            return `must be ${a(String(issue.expected))}`;
        case "too_big":
            return issue.origin === "array"
                ? `must have at most ${String(issue.maximum)} items`
                : issue.inclusive === false
                  ? `must be less than ${String(issue.maximum)}`
                  : `must be at most ${String(issue.maximum)}${issue.origin === "string" ? " characters long" : ""}`;
        case "too_small":
            return issue.origin === "array"
                ? `must have at least ${String(issue.minimum)} item${issue.minimum === 1 ? "" : "s"}`
                : issue.inclusive === false
                  ? `must be greater than ${String(issue.minimum)}`
                  : `must be at least ${String(issue.minimum)}${issue.origin === "string" ? " characters long" : ""}`;
        case "invalid_value":
            return `must be one of ${issue.values.map((v) => show(v)).join(", ")}`;
        case "invalid_format":
            return `must be a valid ${issue.format}`;
        case "invalid_union":
            return "must match one of the documented shapes (docs/config.md)";
        case "invalid_key":
            return "must be a valid key";
        default:
            return undefined;
    }
}
