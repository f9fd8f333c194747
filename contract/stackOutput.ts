/**
 * A stack output that crosses a stack (the platform output a service stack reads, contract/platformOutput.ts) or a
 * run (the release lease a later update reads, contract/lease.ts) is a contract object: one zod schema types what
 * the writer exports and parses what the reader gets, once, at the edge. A value that does not parse gets our
 * message: the stack, the output key, each wrong value at its path (bounded, nothing invisible printed raw), the
 * rule and the fix; one written by a newer version of mesh-traffic says so. Pure (the read itself is the program's:
 * stacks/stackOutputs.ts).
 */
import type { z } from "zod";
import { show } from "../components/validation";
import { valueAt } from "./paths";
import { didYouMean } from "./didYouMean";
import { allowedKeysAt, displayPath, ruleMessage, showValue } from "./problems";

/** One stack output's contract: its key, its schema, its version, and what to do about a value that does not parse. */
export interface StackOutputContract<S extends z.ZodType> {
    /** The output's key (`platform`, `meshReleaseLease`). */
    readonly key: string;
    /** What it is, in a message: `a platform output`. */
    readonly what: string;
    /** Parses a value the writer typed by the same schema; every object strict (an unknown key is refused). */
    readonly schema: S;
    /** The version this program writes and reads (the output's `version`; absent reads as 1, the first). */
    readonly version: number;
    /** The fix of a value this program's writer would not have written (damaged, hand-edited). */
    readonly fix: (stack: string) => string;
    /** The fix of a value a newer version wrote (its `version` is higher than {@link version}). */
    readonly newerFix: (stack: string) => string;
}

/** A stack output parsed: its value, or why not, with the fix. */
export type StackOutputRead<T> =
    | { readonly ok: true; readonly value: T }
    | { readonly ok: false; readonly newer: boolean; readonly reason: string; readonly fix: string };

/** The most issues one message lists; the rest are counted. */
const ISSUES_SHOWN = 3;

/** zod's built-in messages as rules; a literal's one allowed value without "one of". */
const outputRule = (issue: z.core.$ZodRawIssue): string | undefined =>
    issue.code === "invalid_value" && issue.values.length === 1 ? `must be ${show(issue.values[0])}` : ruleMessage(issue);

/** One issue as `<key>.<path> is <value>; <rule>`, or an unknown key with a "did you mean". */
function issueText(key: string, issue: z.core.$ZodIssue, value: unknown, schema: z.ZodType): string {
    if (issue.code === "unrecognized_keys") {
        const allowed = allowedKeysAt(issue.path, schema);
        return issue.keys
            .map((k) => {
                const guess = didYouMean(k, allowed);
                return `${displayPath([key, ...issue.path, k])} is not a key it has${guess === undefined ? "" : `; did you mean ${show(guess)}?`}`;
            })
            .join("; ");
    }
    const at = valueAt(value, issue.path);
    const label = displayPath([key, ...issue.path]);
    const rule = issue.message.startsWith("must") ? `it ${issue.message}` : issue.message;
    return at === undefined ? `${label} is missing; it is required` : `${label} is ${showValue(at)}; ${rule}`;
}

/**
 * Parses the output `contract.key` of stack `stack` (its value `value`, present: an absent output is the reader's
 * own case). A value whose `version` is a number above the contract's was written by a newer mesh-traffic: it is
 * not parsed further, and its fix is the upgrade.
 */
export function parseStackOutput<S extends z.ZodType>(contract: StackOutputContract<S>, stack: string, value: unknown): StackOutputRead<z.output<S>> {
    const where = `the output ${show(contract.key)} of stack ${show(stack)}`;
    const version = valueAt(value, ["version"]);
    if (typeof version === "number" && version > contract.version) {
        return {
            ok: false,
            newer: true,
            reason:
                `${where} is ${contract.what} of version ${showValue(version)}, written by a newer mesh-traffic; ` +
                `this one reads version ${contract.version} (a newer version's fields may change what it means)`,
            fix: contract.newerFix(stack),
        };
    }
    const parsed = contract.schema.safeParse(value, { error: outputRule });
    if (parsed.success) {
        return { ok: true, value: parsed.data };
    }
    // an unknown key first: a mistyped key is also a missing one, and the unknown one says which
    const ordered = [...parsed.error.issues].sort((a, b) => Number(b.code === "unrecognized_keys") - Number(a.code === "unrecognized_keys"));
    const issues = ordered.map((i) => issueText(contract.key, i, value, contract.schema));
    const more = issues.length > ISSUES_SHOWN ? `; and ${issues.length - ISSUES_SHOWN} more` : "";
    return {
        ok: false,
        newer: false,
        reason: `${where} is not ${contract.what} this program can read: ${issues.slice(0, ISSUES_SHOWN).join("; ")}${more}`,
        fix: contract.fix(stack),
    };
}
