/**
 * Test support for the policy pack: runs one CrossGuard policy's validate function as the policy SDK's server does
 * (props, type, name, the policy's config: its configSchema defaults overlaid by a config file's entry) and collects
 * what it reports.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export const POLICY_DIR = path.resolve(__dirname, "..", "..", "..", "policy");

/** One environment's policy config file (`policy/config/<env>.json`). */
export function envPolicyConfig(env: string): Record<string, unknown> {
    return JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "config", `${env}.json`), "utf8")) as Record<string, unknown>;
}

/** The config a policy gets: its schema's defaults, overlaid by a config file's entry for it (as the engine merges them). */
export function configFor(policy: AnyPolicy, file: Record<string, unknown> = {}): Record<string, unknown> {
    const config: Record<string, unknown> = {};
    for (const [k, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        if (schema.default !== undefined) {
            config[k] = schema.default;
        }
    }
    const entry = file[policy.name];
    if (typeof entry === "object" && entry !== null) {
        for (const [k, v] of Object.entries(entry)) {
            if (k !== "enforcementLevel") {
                config[k] = v;
            }
        }
    }
    return config;
}

/** The enforcement level a config file gives a policy (or its own). */
export function levelOf(policy: AnyPolicy, file: Record<string, unknown> = {}): string | undefined {
    const entry = file[policy.name];
    if (typeof entry === "string") {
        return entry;
    }
    const level = typeof entry === "object" && entry !== null ? (entry as { enforcementLevel?: string }).enforcementLevel : undefined;
    return level ?? policy.enforcementLevel;
}

/** A resource of the stack as the policy sees it. */
export interface FakeResource {
    type: string;
    name: string;
    props: Record<string, unknown>;
}

/** Runs a resource policy on one resource; returns the messages it reported. */
export async function runResource(policy: ResourceValidationPolicy, r: FakeResource, config: Record<string, unknown> = configFor(policy)): Promise<string[]> {
    const messages: string[] = [];
    const args: ResourceValidationArgs = {
        type: r.type,
        props: r.props,
        urn: `urn:pulumi:test::mesh-traffic::${r.type}::${r.name}`,
        name: r.name,
        opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } } as unknown as ResourceValidationArgs["opts"],
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string) => {
            throw new Error(`not applicable: ${reason ?? ""}`);
        },
    };
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const v of validations) {
        await v(args, (m) => messages.push(m));
    }
    return messages;
}

/** Runs a stack policy on the given resources; returns the messages it reported. */
export async function runStack(policy: StackValidationPolicy, resources: readonly FakeResource[], config: Record<string, unknown> = configFor(policy)): Promise<string[]> {
    const messages: string[] = [];
    const args: StackValidationArgs = {
        resources: resources.map((r) => ({ type: r.type, name: r.name, props: r.props, urn: `urn:pulumi:test::mesh-traffic::${r.type}::${r.name}` }) as unknown as PolicyResource),
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
    } as unknown as StackValidationArgs;
    await policy.validateStack(args, (m) => messages.push(m));
    return messages;
}

/** Runs any policy on a stack's resources: a resource policy on each, a stack policy on all. */
export async function runPolicy(policy: AnyPolicy, resources: readonly FakeResource[], config: Record<string, unknown>): Promise<string[]> {
    if ("validateStack" in policy) {
        return runStack(policy, resources, config);
    }
    const out: string[] = [];
    for (const r of resources) {
        out.push(...(await runResource(policy, r, config)));
    }
    return out;
}
