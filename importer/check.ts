/**
 * What the importer would write, through the Pulumi program's own config check (stacks/config.ts
 * `checkStackConfig`: the `routing` schema from the pinned CRDs, the IstioRouting plan's rules, the name owners
 * across the stack), so that what it writes is what `pulumi up` accepts. The config is checked as Pulumi hands it
 * to the program (contract/stackConfig.ts `configFromValues`), before and after the import: a problem the stack already
 * had is not the import's, and is only counted. A platform stack is checked with its service stacks, as
 * `mesh-release env` checks an environment (stacks/environment.ts). Pure.
 */
import { escapeRegExp } from "../contract/paths";
import { checkStackConfig } from "../stacks/config";
import { checkEnvironment, type StackConfigInput } from "../stacks/environment";
import { configFromValues } from "../contract/stackConfig";
import type { RoutingKey } from "./parse";
import type { ImportProblem, Origin } from "./problems";

export interface RoutingCheck {
    /** The new problems, each at the imported object it is about when it is one. */
    problems: ImportProblem[];
    /** How many problems the config had before the import (none of them the import's). */
    before: number;
}

/** `routing.<key>.<name>[.<rest>]` of a problem's path. */
const ROUTING_PATH = /^routing\.([A-Za-z]+)\.([a-z0-9-]+)(.*)$/;

/** A problem of the check, on `stack` when it came from the environment check. */
type Checked = { propertyPath: string; reason: string; fix: string; stack?: string };

/**
 * The problems `after` has and `before` has not, each said at the input's object when it is about one
 * (`routing.<key>.<name>` of `stack`, the stack written to; `originOf` finds it): in the input's terms
 * (`spec.<path>`), with the stack config check named as its source.
 */
function newProblems(before: readonly Checked[], after: readonly Checked[], stack: string | undefined, originOf: (key: RoutingKey, name: string) => Origin | undefined): RoutingCheck {
    const keyOf = (p: Checked): string => `${p.stack ?? ""}\n${p.propertyPath}\n${p.reason}`;
    const known = new Set(before.map(keyOf));
    const problems = after
        .filter((p) => !known.has(keyOf(p)))
        .map((p): ImportProblem => {
            const ours = p.stack === undefined || p.stack === stack;
            const m = ours ? ROUTING_PATH.exec(p.propertyPath) : null;
            const origin = m !== null ? originOf(m[1] ?? "", m[2] ?? "") : undefined;
            if (m === null || origin === undefined) {
                return { what: `${ours ? "" : `stack ${p.stack ?? ""}: `}${p.reason} (the stack config check, which pulumi up runs)`, fix: p.fix };
            }
            const spec = new RegExp(`routing\\.${escapeRegExp(m[1] ?? "")}\\.${escapeRegExp(m[2] ?? "")}(?![-a-z0-9])`, "g");
            const at = `spec${m[3] ?? ""}`;
            // YAML 1.1, as kubectl reads it (importer/parse.ts): an unquoted yes/no/on/off/y/n is a boolean
            const quote = / is (true|false); it must be a string/.test(p.reason) ? ` (quote it: kubectl too reads an unquoted yes, no, on, off, y or n as a boolean)` : "";
            return {
                origin,
                what: `${p.reason.replace(spec, "spec")} (the stack config check, which pulumi up runs)`,
                fix: `correct ${at} in the input${quote} and import again`,
            };
        });
    return { problems, before: before.length };
}

/**
 * The stack check's new problems once the import is in: `before` and `after` are the stack's plain config (keys
 * without the `mesh-traffic:` prefix) without and with it.
 */
export function checkRouting(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>, originOf: (key: RoutingKey, name: string) => Origin | undefined): RoutingCheck {
    const check = (config: Readonly<Record<string, unknown>>): Checked[] => checkStackConfig(configFromValues(config)).problems;
    return newProblems(check(before), check(after), undefined, originOf);
}

/**
 * For a platform stack: the environment check's new problems (stacks/environment.ts `checkEnvironment`: the
 * platform's own check, and its routing against the hosts its service stacks own), `services` being its service
 * stacks' configs as the program reads them.
 */
export function checkPlatformRouting(
    stack: string,
    before: Readonly<Record<string, unknown>>,
    after: Readonly<Record<string, unknown>>,
    services: readonly StackConfigInput[],
    originOf: (key: RoutingKey, name: string) => Origin | undefined,
): RoutingCheck {
    const check = (config: Readonly<Record<string, unknown>>): Checked[] => checkEnvironment({ stack, config: configFromValues(config) }, services);
    return newProblems(check(before), check(after), stack, originOf);
}
