/**
 * Zod issues as config problems, one way for both programs: the Pulumi program's config check (stacks/config.ts)
 * and mesh-release's policy and recorded state (release/core/policy.ts) report a value the schema rejects the same way,
 * with the path, the value (never a secret), the rule and the fix. Pure.
 */
import type { z } from "zod";
import { show } from "../components/validation";
import { describeLookalikes, didYouMean, foldLookalikes, isLookalikeName } from "./didYouMean";
import { formatPath, setFix } from "./paths";
import { PROJECT } from "./project";
import { jsonOrText } from "./stackConfig";
import { stackConfigSchema } from "./schema";
import { isCredentialNamePath, isSecretPath, looksLikeKeyMaterial, redactKeyMaterial } from "./secrets";

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
        const def = s._zod.def as unknown as { type: string; innerType?: AnyZod; in?: AnyZod; out?: AnyZod; getter?: () => AnyZod };
        if (def.innerType !== undefined) {
            s = def.innerType;
        } else if (def.type === "lazy" && def.getter !== undefined) {
            // routing's Istio specs are built on first use (contract/istioSpec.ts).
            s = def.getter();
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

// ---------------------------------------------------------------------------------------------
// Values and paths as a message shows them: bounded, and nothing invisible printed raw.

/** The most characters of one value a message shows; a longer one is cut: `"abc..." (5000 characters)`. */
export const SHOWN_MAX = 100;

/** The most characters of one key of a path a message shows. */
const SEGMENT_MAX = 64;

/**
 * Characters a terminal does not show as themselves: C0 and C1 controls, DEL, soft hyphen, zero-width and
 * direction marks, line and paragraph separators, word joiners, the byte-order mark.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;

/** `text` with every invisible character written as a `\uXXXX` escape. */
export const escapeInvisible = (text: string): string =>
    text.replace(INVISIBLE, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`);

/** The first `max` characters (code points) of `text`, without a dangling half of a `\uXXXX` or `\n` escape. */
function head(text: string, max: number): string {
    return [...text].slice(0, max).join("").replace(/\\(?:u[0-9a-fA-F]{0,3})?$/, "");
}

/** `text` cut to `max` characters with `... (N characters)` when longer; `count` is the length to report. */
export function bounded(text: string, max: number, count = [...text].length): string {
    return [...text].length <= max ? text : `${head(text, max - 3)}... (${count} characters)`;
}

/**
 * A value as a message shows it: `show`'s JSON, invisible characters escaped, at most {@link SHOWN_MAX}
 * characters (a cut string keeps its closing quote: `"abc..." (5000 characters)`).
 */
export function showValue(value: unknown, max = SHOWN_MAX): string {
    const text = escapeInvisible(show(value));
    if ([...text].length <= max) {
        return text;
    }
    if (typeof value === "string") {
        return `${head(text, max - 4)}..." (${[...value].length} characters)`;
    }
    return bounded(text, max);
}

/** A config path as a message shows it: each key's invisible characters escaped and a long key cut. */
export function displayPath(path: readonly PropertyKey[]): string {
    return formatPath(path.map((seg) => (typeof seg === "string" ? bounded(escapeInvisible(seg), SEGMENT_MAX) : seg)));
}

/** A JSON string literal inside a message. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;
/** A run without spaces longer than any path or word we write (a long key in a path). */
const LONG_RUN = /\S{161,}/g;

/**
 * A message's text made safe to print, whoever wrote it (the schema, the rules, a component's plan): invisible
 * characters escaped, every quoted value longer than {@link SHOWN_MAX} cut, any run of 161+ characters without
 * a space cut. Idempotent.
 */
export function tidyText(text: string): string {
    const quotedCut = escapeInvisible(text).replace(QUOTED, (literal) => {
        let value: unknown;
        try {
            value = JSON.parse(literal) as unknown;
        } catch {
            return literal;
        }
        return typeof value === "string" && [...value].length > SHOWN_MAX ? showValue(value) : literal;
    });
    return quotedCut.replace(LONG_RUN, (run) => bounded(run, 160));
}

/** A problem whose reason and fix are {@link tidyText} (its `propertyPath` stays the key as written, for tools). */
export const tidyProblem = <P extends { propertyPath: string; reason: string; fix?: string }>(p: P): P => ({
    ...p,
    reason: tidyText(p.reason),
    ...(p.fix === undefined ? {} : { fix: tidyText(p.fix) }),
});

/**
 * The value at `path` as a message may show it: `[secret]` at a secret path, key material at a credentialName
 * (a Secret's name) redacted to its PEM header and length, anything else through {@link showValue}.
 */
export function shownValue(path: string, value: unknown, secretKeys: ReadonlySet<string> = new Set()): string {
    if (isSecretPath(path, secretKeys)) {
        return "[secret]";
    }
    if (isCredentialNamePath(path) && looksLikeKeyMaterial(value)) {
        return redactKeyMaterial(value);
    }
    if (isCredentialNamePath(path) && Array.isArray(value) && value.some((v) => looksLikeKeyMaterial(v))) {
        return `[redacted: a list of ${value.length} holding key material]`;
    }
    return showValue(value);
}

/**
 * The value at `path` of `raw` through own properties, reading a string on the way as the JSON it holds: the
 * recorded `rollouts.<svc>` state is one JSON string, and a problem inside it names the value inside it.
 */
function recordedValueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = raw;
    for (const seg of path) {
        if (typeof cur === "string") {
            cur = jsonOrText(cur);
        }
        if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, seg)) {
            return undefined;
        }
        cur = (cur as Record<PropertyKey, unknown>)[seg];
    }
    return cur;
}

/**
 * The fix of a value inside the recorded state of one service's rollout: that state is one JSON string
 * (`rollouts.<svc>`) that mesh-release writes whole, so no `--path` reaches into it.
 */
function recordedStateFix(svc: PropertyKey): string {
    const key = displayPath(["rollouts", svc]);
    return (
        `mesh-release writes ${key} whole, as one JSON string, so no --path reaches inside it: remove the damaged state ` +
        `(pulumi config rm --path '${key}'), or set the whole string again (pulumi config set --path '${key}' '<the state as JSON>')`
    );
}

/** A key that breaks the rule of its map's keys: the rule itself (from the key schema's messages) and a key that keeps it. */
function invalidKeyProblem(issue: Extract<z.core.$ZodIssue, { code: "invalid_key" }>): StackConfigProblem {
    const key = String(issue.path[issue.path.length - 1] ?? "");
    const parent = issue.path.slice(0, -1);
    const where = displayPath(parent);
    const path = displayPath(issue.path);
    const rules = [...new Set(issue.issues.map((i) => i.message))];
    const rule = rules.length === 0 ? "it must be a valid key" : `it ${rules.join(", and ")}`;
    const lookalike = isLookalikeName(key) ? `; it has look-alike characters: ${describeLookalikes(key)}` : "";
    const suggestion = foldLookalikes(key)
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^-+|-+$/g, "")
        .slice(0, 63)
        .replace(/-+$/, "");
    return {
        propertyPath: formatPath(issue.path),
        reason: `${path} is not a valid key of ${where} (the key ${showValue(key)})${lookalike}; ${rule}`,
        fix:
            `pulumi config rm --path '${path}', then set it again under a valid key` +
            (suggestion === "" || suggestion === key ? "" : ` such as '${displayPath([...parent, suggestion])}'`),
    };
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
            const shownPath = displayPath([...issue.path, key]);
            const guess = didYouMean(foldLookalikes(key), allowed);
            const where = issue.path.length === 0 ? `the ${PROJECT} namespace` : displayPath(issue.path);
            const lookalike = isLookalikeName(key) ? ` (it has look-alike characters: ${describeLookalikes(key)})` : "";
            return {
                propertyPath: path,
                reason:
                    `${shownPath} is not a key of ${where}${lookalike}` +
                    (guess === undefined ? `; allowed keys: ${allowed.join(", ")}` : `; did you mean "${guess}"?`),
                fix:
                    `pulumi config rm --path '${shownPath}'` +
                    (guess === undefined
                        ? ", or move it where docs/config.md documents it"
                        : `, then set '${formatPath([...issue.path, guess])}'`),
            };
        });
    }
    if (issue.code === "invalid_key") {
        return [invalidKeyProblem(issue)];
    }
    const path = formatPath(issue.path);
    const secret = isSecretPath(path, secretKeys);
    const value = recordedValueAt(raw, issue.path);
    const label = path === "" ? "the config" : displayPath(issue.path);
    const rule = issue.message.startsWith("must") ? `it ${issue.message}` : issue.message;
    // A value inside the recorded state of a rollout (rollouts.<svc>.<field>): one JSON string, set whole.
    const inRecordedState = issue.path[0] === "rollouts" && issue.path.length > 2 && issue.path[1] !== undefined;
    let fix = inRecordedState && issue.path[1] !== undefined ? recordedStateFix(issue.path[1]) : setFix(label, { secret });
    let reason = value === undefined ? `${label} is missing; it is required` : `${label} is ${shownValue(path, value, secretKeys)}; ${rule}`;
    if (issue.code === "invalid_value" && value !== undefined && !secret) {
        // A mistyped enum value: the closest allowed one (case, stray spaces, look-alikes, a typo).
        const allowed = issue.values.map((v) => String(v));
        const guess = typeof value === "string" ? didYouMean(foldLookalikes(value).trim(), allowed) : undefined;
        if (guess !== undefined) {
            reason += `; did you mean ${show(guess)}?`;
            fix = inRecordedState ? fix : setFix(label, { value: guess });
        }
    }
    const pasted = looksLikeKeyMaterial(value) || (Array.isArray(value) && value.some((v) => looksLikeKeyMaterial(v)));
    if (isCredentialNamePath(path) && pasted && !/(^|\.)credentialNames?(\[\d+\])?$/.test(path)) {
        reason += "; this looks like key material: it must not be in config at all (remove it, and rotate the key if the stack file was shared)";
        fix = `pulumi config rm --path '${label}'; mount the file into the proxy from a Secret and ${setFix(label, { value: "<path in the proxy>" })}, or name the Secret in credentialName instead`;
    } else if (isCredentialNamePath(path) && pasted) {
        reason +=
            "; this looks like key material: it must not be in config at all (remove it, and rotate the key if the stack file was shared)";
        fix =
            `pulumi config rm --path '${label}'; put the certificate and key in a Kubernetes TLS Secret in the gateway's namespace ` +
            `(kubectl create secret tls <name> --cert=<file> --key=<file> -n istio-system), then ${setFix(label, { value: "<name>" })}`;
    }
    return [{ propertyPath: path, reason, fix }];
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
            // the rule of the key itself is in the nested issues; issueProblems states it
            return "must be a valid key";
        default:
            return undefined;
    }
}
