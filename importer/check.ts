/**
 * What the importer would write, through the Pulumi program's own config check (stacks/config.ts
 * `checkStackConfig`: the `routing` schema from the pinned CRDs, the IstioRouting plan's rules, the name owners
 * across the stack), so that what it writes is what `pulumi up` accepts. The config is checked as Pulumi hands it
 * to the program (release/env/check.ts `rawStackConfig`), before and after the import: a problem the stack already
 * had is not the import's, and is only counted. Pure.
 */
import { escapeRegExp } from "../contract/paths";
import { checkStackConfig } from "../stacks/config";
import { rawStackConfig } from "../release/env/check";
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

const keyOf = (p: { propertyPath: string; reason: string }): string => `${p.propertyPath}\n${p.reason}`;

/**
 * The problems `after` (the stack's plain config with the import, keys without the `mesh-traffic:` prefix) has and
 * `before` has not. `originOf` finds the input object of `routing.<key>.<name>`; a problem there is said in the
 * input's terms (`spec.<path>`), with the stack config check named as its source.
 */
export function checkRouting(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>, originOf: (key: RoutingKey, name: string) => Origin | undefined): RoutingCheck {
    const old = checkStackConfig(rawStackConfig(before)).problems;
    const known = new Set(old.map(keyOf));
    const problems = checkStackConfig(rawStackConfig(after))
        .problems.filter((p) => !known.has(keyOf(p)))
        .map((p): ImportProblem => {
            const m = ROUTING_PATH.exec(p.propertyPath);
            const origin = m !== null ? originOf(m[1] ?? "", m[2] ?? "") : undefined;
            if (m === null || origin === undefined) {
                return { what: `${p.reason} (the stack config check, which pulumi up runs)`, fix: p.fix };
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
    return { problems, before: old.length };
}
