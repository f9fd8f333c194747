/**
 * Which config paths each release operation writes (docs/config-contract.md). Pure: operation in,
 * {@link ConfigEdit}s out. The driver turns them into `pulumi config set --path` writes.
 *
 * `pulumi config set --path` stores `true`/`false` as booleans and integers as numbers, whatever the
 * field's type. {@link typedByPulumi} finds string values that would be mistyped, so callers refuse them
 * before anything is written.
 */
import { valueAt } from "../../contract/paths";
import type { RolloutState } from "../../contract/release";
import { MESH_ROUTE_KINDS, SERVICE_PROTOCOLS, type MeshRouteKind, type ServiceProtocol } from "../../contract/schema";
import type { ConfigEdit, ConfigPath } from "../driver/driver";
import type { ConfigProblem } from "./errors";

const service = (svc: string, ...rest: string[]): ConfigPath => ["services", svc, ...rest];

/** The recorded state, one JSON string at `rollouts.<svc>` (see `recordedRolloutStateSchema`). */
export function stateEdit(svc: string, state: RolloutState): ConfigEdit {
    return { path: ["rollouts", svc], value: JSON.stringify(state) };
}

/**
 * Shift: the canary version routed at `weight` percent, with the rollout's revision (the release the session-affinity
 * cookies name: the same at every step of a rollout, another for the next rollout), recorded with the state. A state
 * recorded before revisions existed writes none (the canary version stands in).
 */
export function shiftEdits(svc: string, version: string, weight: number, state: RolloutState): ConfigEdit[] {
    return [
        { path: service(svc, "canary", "version"), value: version },
        { path: service(svc, "canary", "weight"), value: weight },
        { path: service(svc, "canary", "routed"), value: true },
        ...(state.revision === undefined ? [] : [{ path: service(svc, "canary", "revision"), value: state.revision }]),
        stateEdit(svc, state),
    ];
}

/**
 * Rollback and abort: all traffic to stable at once; the canary stays deployed, unrouted. When the version
 * rolled back is already the stable one (a promotion stopped after its first update: `canary.version`
 * holds the previous stable), the two versions are swapped back, so the previous stable takes the traffic.
 * `current` is the stack's `stable.version` and `canary.version` now.
 */
export function rollbackEdits(svc: string, state: RolloutState | undefined, current: { stable?: string; canary?: string } = {}): ConfigEdit[] {
    const restore = state === undefined ? undefined : stableToRestore(state, current);
    return [
        ...(state !== undefined && restore !== undefined
            ? [
                  { path: service(svc, "stable", "version"), value: restore },
                  { path: service(svc, "canary", "version"), value: state.version },
              ]
            : []),
        { path: service(svc, "canary", "weight"), value: 0 },
        { path: service(svc, "canary", "routed"), value: false },
        ...(state !== undefined ? [stateEdit(svc, state)] : []),
    ];
}

/**
 * The version a rollback must make stable again, when the version rolled back already is the stable one
 * (a promotion stopped after its first update): the recorded previous stable, else the configured canary.
 * `undefined` when nothing needs restoring; {@link cannotRestore} says when it would but cannot.
 */
export function stableToRestore(state: RolloutState, current: { stable?: string; canary?: string }): string | undefined {
    if (current.stable !== state.version) {
        return undefined;
    }
    const previous = state.previousStable ?? (current.canary !== state.version ? current.canary : undefined);
    return previous !== undefined && previous !== state.version ? previous : undefined;
}

/** The version rolled back is the stable one and no previous stable is known: a rollback cannot undo it. */
export function cannotRestore(state: RolloutState, current: { stable?: string; canary?: string }): boolean {
    return current.stable === state.version && stableToRestore(state, current) === undefined;
}

/** The stack's `stable.version` and `canary.version` of `svc` in `config`, as {@link rollbackEdits} takes them. */
export function versionsOf(config: unknown, svc: string): { stable?: string; canary?: string } {
    const stable = valueAt(config, service(svc, "stable", "version"));
    const canary = valueAt(config, service(svc, "canary", "version"));
    return { ...(typeof stable === "string" ? { stable } : {}), ...(typeof canary === "string" ? { canary } : {}) };
}

/** The stack's `services.<svc>.protocol` in `config` (`http` when unset, as the stack schema defaults it). */
export function protocolOf(config: unknown, svc: string): ServiceProtocol {
    const protocol = valueAt(config, service(svc, "protocol"));
    return SERVICE_PROTOCOLS.find((p) => p === protocol) ?? "http";
}

/**
 * The kind of the live object that holds a service's split in `config`: its mesh route of the Gateway API (HTTPRoute,
 * GRPCRoute or TCPRoute, by its protocol) with `routingApi: gateway-api`, else its VirtualService. The only kind the
 * live-split read takes (release/core/live.ts `liveSplitOf`), and the one its messages name.
 */
export function liveRouteKindOf(config: unknown, svc: string): "VirtualService" | MeshRouteKind {
    return valueAt(config, ["routingApi"]) === "gateway-api" ? MESH_ROUTE_KINDS[protocolOf(config, svc)] : "VirtualService";
}

/**
 * A one-shot command that acts on HTTP requests (`ab-test`: a header or cookie flag; `fault`: delays and aborts)
 * refused for a tcp service, at its `protocol`: a TCP connection carries no header and gets no HTTP response.
 */
export function tcpRefusal(config: unknown, svc: string, command: "ab-test" | "fault"): ConfigProblem[] {
    if (protocolOf(config, svc) !== "tcp") return [];
    const what = command === "ab-test" ? "an A/B test routes requests by a header or cookie flag" : "fault injection delays or aborts HTTP requests";
    return [
        {
            propertyPath: `services.${svc}.protocol`,
            reason:
                `services.${svc}.protocol is "tcp"; ${what}, and a TCP connection has no headers or HTTP responses (a tcp service is split by weight only): ` +
                `shift its weight with mesh-release canary, or set the protocol to http or grpc (pulumi config set --path services.${svc}.protocol http)`,
        },
    ];
}

/**
 * Promotion, first update: the canary version becomes the stable subset's and no route references the
 * canary any more. The `canary` subset now selects the previous stable version (unrouted, still deployed):
 * the stack rules refuse a canary version equal to the stable one (both subsets would select the same pods
 * and share one Deployment name), and keeping the old version deployed until the second update means no
 * Deployment is recreated. Without a previous version (`undefined`, or the same as `version`) the canary
 * version is removed here already: nothing routes to it after this update either way.
 */
export function promoteRouteEdits(svc: string, version: string, previousStable: string | undefined, state: RolloutState | undefined): ConfigEdit[] {
    return [
        { path: service(svc, "stable", "version"), value: version },
        previousStable !== undefined && previousStable !== version
            ? { path: service(svc, "canary", "version"), value: previousStable }
            : { path: service(svc, "canary", "version"), remove: true },
        { path: service(svc, "canary", "weight"), value: 0 },
        { path: service(svc, "canary", "routed"), value: false },
        ...(state !== undefined ? [stateEdit(svc, state)] : []),
    ];
}

/**
 * Promotion, second update: the canary subset goes (nothing references it any more), and so do the A/B
 * flag (it routes to the canary; a stack without a canary version must not carry one) and the release's revision.
 */
export function promoteFinalizeEdits(svc: string, state: RolloutState | undefined): ConfigEdit[] {
    return [
        { path: service(svc, "canary", "version"), remove: true },
        { path: service(svc, "canary", "revision"), remove: true },
        { path: service(svc, "abTest"), remove: true },
        ...(state !== undefined ? [stateEdit(svc, state)] : []),
    ];
}

/** The A/B flag of `services.<svc>.abTest` (components/routes.ts `AbTestArgs`). */
export interface AbFlag {
    /** Header or cookie name, e.g. `x-new-feature`. */
    name: string;
    /** Flag value that selects the canary. */
    value: string;
    /** True: a cookie `name=value`; false: a header `name: value`. */
    cookie: boolean;
}

/** An HTTP token (RFC 9110): what a header name or a cookie name is made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value we write: visible ASCII, spaces only inside (RFC 9110 field-value without obs-text). */
const HEADER_VALUE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
/** A cookie value (RFC 6265 cookie-octet): visible ASCII but no space, `"`, `,`, `;` or `\\`. */
const COOKIE_VALUE = /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/;

/**
 * Every problem of a header or cookie flag a command would write (`ab-test --flag/--value`, `fault --header`):
 * the name an HTTP token, the value one a request can carry, and neither one `pulumi config set --path` would
 * store as a number or boolean. Pure; the CLI runs it while parsing, the library before writing.
 * @param flags the option names to report, e.g. `{ name: "--flag", value: "--value" }`.
 */
export function flagProblems(flag: { name: string; value: string; cookie: boolean }, flags: { name: string; value: string }): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const kind = flag.cookie ? "cookie" : "header";
    if (!TOKEN.test(flag.name)) {
        problems.push({
            propertyPath: flags.name,
            reason: `${flags.name} is ${JSON.stringify(flag.name)}; a ${kind} name must be an HTTP token (letters, digits and !#$%&'*+-.^_\`|~; no spaces, '=' or ':'), such as ${flag.cookie ? "new-feature" : "x-new-feature"}`,
        });
    }
    const valueOk = flag.cookie ? COOKIE_VALUE.test(flag.value) : HEADER_VALUE.test(flag.value);
    if (!valueOk) {
        problems.push({
            propertyPath: flags.value,
            reason: flag.cookie
                ? `${flags.value} is ${JSON.stringify(flag.value)}; a cookie value must be one or more visible ASCII characters without spaces, '"', ',', ';' or '\\', such as enabled`
                : `${flags.value} is ${JSON.stringify(flag.value)}; a header value must be visible ASCII characters (spaces only between them, no control characters), such as enabled`,
        });
    }
    for (const [option, text] of [
        [flags.name, flag.name],
        [flags.value, flag.value],
    ] as const) {
        const typed = typedByPulumi(text);
        if (typed !== undefined) {
            problems.push({ propertyPath: option, reason: `${option} is ${JSON.stringify(text)}; pulumi config set --path would store it as a ${typed}, not a string; use a word such as "enabled"` });
        }
    }
    return problems;
}

/**
 * A/B test: requests carrying the flag go to the canary; the rest split `split`% to the canary (the
 * catch-all weight). Replaces an earlier flag.
 */
export function abTestEdits(svc: string, flag: AbFlag, split: number): ConfigEdit[] {
    const ab = service(svc, "abTest");
    return [
        { path: ab, remove: true },
        { path: [...ab, flag.cookie ? "cookie" : "header"], value: flag.name },
        { path: [...ab, "value"], value: flag.value },
        { path: service(svc, "canary", "weight"), value: split },
        { path: service(svc, "canary", "routed"), value: true },
    ];
}

export type FaultSpec =
    | { kind: "delay"; percentage: number; fixedDelay: string; header?: { name: string; value: string } }
    | { kind: "abort"; percentage: number; httpStatus: number; header?: { name: string; value: string } };

/** Fault injection on (replacing the same kind of fault; the other kind stays). */
export function faultEdits(svc: string, fault: FaultSpec): ConfigEdit[] {
    const base = service(svc, "faults", fault.kind);
    const header: ConfigEdit[] =
        fault.header !== undefined
            ? [
                  { path: service(svc, "faults", "header", "name"), value: fault.header.name },
                  { path: service(svc, "faults", "header", "value"), value: fault.header.value },
              ]
            : [];
    const fields: ConfigEdit[] = (() => {
        switch (fault.kind) {
            case "delay":
                return [{ path: [...base, "fixedDelay"], value: fault.fixedDelay }];
            case "abort":
                return [{ path: [...base, "httpStatus"], value: fault.httpStatus }];
            default: {
                const never: never = fault;
                return never;
            }
        }
    })();
    return [{ path: base, remove: true }, { path: [...base, "percentage"], value: fault.percentage }, ...fields, ...header];
}

/** Fault injection off. */
export function clearFaultEdits(svc: string): ConfigEdit[] {
    return [{ path: service(svc, "faults"), remove: true }];
}

/**
 * The type `pulumi config set --path` would give a string, when it is not a string: `"true"` and
 * `"false"` become booleans, integers without a leading zero become numbers.
 */
export function typedByPulumi(value: string): "boolean" | "number" | undefined {
    if (value === "true" || value === "false") {
        return "boolean";
    }
    if (/^-?(0|[1-9]\d*)$/.test(value)) {
        return "number";
    }
    return undefined;
}

/** Applies edits to a plain config object (a copy), as Pulumi would. Used to validate before writing. */
export function applyEdits(config: Readonly<Record<string, unknown>>, edits: readonly ConfigEdit[]): Record<string, unknown> {
    const root = structuredClone(config) as Record<string, unknown>;
    for (const edit of edits) {
        const parents = edit.path.slice(0, -1);
        const last = edit.path[edit.path.length - 1];
        if (last === undefined) {
            continue;
        }
        let cur: Record<string, unknown> | undefined = root;
        for (const [i, seg] of parents.entries()) {
            if (cur === undefined) {
                break;
            }
            const existing: unknown = cur[seg];
            if (existing === null || typeof existing !== "object") {
                if ("remove" in edit) {
                    cur = undefined;
                    break;
                }
                cur[seg] = typeof edit.path[i + 1] === "number" ? [] : {};
            }
            cur = cur[seg] as Record<string, unknown>;
        }
        if (cur === undefined) {
            continue;
        }
        if ("remove" in edit) {
            if (Array.isArray(cur) && typeof last === "number") {
                cur.splice(last, 1);
            } else {
                delete cur[last];
            }
        } else {
            cur[last] = edit.value;
        }
    }
    return root;
}
