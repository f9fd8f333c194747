/**
 * The one shared helper for Pulumi runtime mocks in unit tests.
 *
 *   const rec = await setupMocks();              // first, before importing program modules
 *   const { Canary } = await import("../../../components");
 *   rec.reset();                                 // per test
 *   new Canary("sample-app", args);
 *   await rec.settled();                          // every registration has reached the mock monitor
 *   rec.byType("kubernetes:networking.istio.io/v1:VirtualService")
 *
 * Each record holds the resource's type, name, inputs, URN and its parent's URN, type and name (read from
 * the RegisterResource request, which `Mocks.newResource` does not see). `outputValue` reads an Output, `outputError`
 * the error it fails with.
 */
import * as pulumi from "@pulumi/pulumi";

/** One registered resource as the engine would have seen it. */
export interface RecordedResource {
    type: string;
    name: string;
    /** Inputs after serialization (Outputs resolved, secrets unwrapped as the engine sees them). */
    inputs: Record<string, unknown>;
    urn: string;
    /** Parent URN; the stack's URN for top-level resources. */
    parentUrn: string | undefined;
    /** Parent type and name, from the parent's URN. */
    parentType: string | undefined;
    parentName: string | undefined;
    custom: boolean;
}

/** The recorder returned by {@link setupMocks}. */
export interface MockRecorder {
    /** Every resource registered since the last reset, in registration order. */
    readonly resources: RecordedResource[];
    /** Forget every record (call at the start of each test). */
    reset(): void;
    /** Resolves when every registration started so far has been recorded. */
    settled(): Promise<void>;
    /** Records of one type token. */
    byType(type: string): RecordedResource[];
    /** The single record with this name (and type, when given); throws when there is not exactly one. */
    one(name: string, type?: string): RecordedResource;
    /**
     * Outputs of the stacks the engine's `pulumi:pulumi:readStackOutputs` may read (a service stack's platform,
     * a stack's own lease), by stack name (set per test; a stack not listed reads as a stack without outputs). Not cleared by `reset`.
     */
    readonly stackOutputs: Map<string, Record<string, unknown>>;
    /** Stack names the backend does not hold: reading one fails as the engine does (`unknown stack "<name>"`). Not cleared by `reset`. */
    readonly missingStacks: Set<string>;
}

/** Last URN segment's type and name: `urn:pulumi:stack::project::a$b$T::name` -> [T, name]. */
export function parseUrn(urn: string): { type: string; name: string } {
    const parts = urn.split("::");
    const types = parts[2] ?? "";
    return { type: types.split("$").pop() ?? "", name: parts.slice(3).join("::") };
}

// The RegisterResource request/response are protobuf objects that the SDK does not type publicly.
interface RegisterRequestLike {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
}
interface RegisterResponseLike {
    getUrn(): string;
}
type Callback = (err: unknown, response: RegisterResponseLike | undefined) => void;
interface MonitorLike {
    registerResource(req: RegisterRequestLike, callback: Callback): Promise<void>;
}

let installed: MockRecorder | undefined;

/**
 * Installs `pulumi.runtime.setMocks` with a recording monitor (once per process; later calls return the
 * same recorder). Custom resources get id `<name>-id` and their inputs as state.
 */
export async function setupMocks(project = "mesh-traffic", stack = "unit"): Promise<MockRecorder> {
    if (installed !== undefined) {
        return installed;
    }
    const resources: RecordedResource[] = [];
    const pending = new Set<Promise<void>>();
    const inputsByKey = new Map<string, Record<string, unknown>>();
    const stackOutputs = new Map<string, Record<string, unknown>>();
    const missingStacks = new Set<string>();

    await pulumi.runtime.setMocks(
        {
            newResource: (args: pulumi.runtime.MockResourceArgs) => {
                inputsByKey.set(`${args.type}::${args.name}`, args.inputs as Record<string, unknown>);
                return { id: args.custom === false ? undefined : `${args.name}-id`, state: args.inputs as Record<string, unknown> };
            },
            // the engine's builtin readStackOutputs (stacks/index.ts reads the platform with it, release/driver/lease.ts a stack's own lease)
            call: (args: pulumi.runtime.MockCallArgs) => {
                if (args.token !== "pulumi:pulumi:readStackOutputs") {
                    return args.inputs as Record<string, unknown>;
                }
                const name = String((args.inputs as { name?: unknown }).name);
                if (missingStacks.has(name)) {
                    // the engine's answer for a stack the backend does not hold; the SDK reads a failed invoke's gRPC `details`
                    const message = `invocation of pulumi:pulumi:readStackOutputs returned an error: unknown stack "${name}"`;
                    throw Object.assign(new Error(message), { details: message });
                }
                return { name, outputs: stackOutputs.get(name) ?? {} };
            },
        },
        project,
        stack,
        false,
        "organization",
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
    const original = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterRequestLike, callback: Callback): Promise<void> => {
        let done: () => void = () => undefined;
        const p = new Promise<void>((resolve) => (done = resolve));
        pending.add(p);
        return original(req, (err, response) => {
            try {
                if (err === null || err === undefined) {
                    if (response !== undefined) {
                        const parentUrn = req.getParent() === "" ? undefined : req.getParent();
                        const parent = parentUrn === undefined ? undefined : parseUrn(parentUrn);
                        resources.push({
                            type: req.getType(),
                            name: req.getName(),
                            inputs: inputsByKey.get(`${req.getType()}::${req.getName()}`) ?? {},
                            urn: response.getUrn(),
                            parentUrn,
                            parentType: parent?.type,
                            parentName: parent?.name,
                            custom: req.getCustom(),
                        });
                    }
                }
                callback(err, response);
            } finally {
                pending.delete(p);
                done();
            }
        });
    };

    const recorder: MockRecorder = {
        resources,
        stackOutputs,
        missingStacks,
        reset() {
            resources.length = 0;
            inputsByKey.clear();
        },
        async settled() {
            // Registrations are chained on promises; let them start, then wait until none is pending.
            for (let i = 0; i < 50; i++) {
                await new Promise((r) => setImmediate(r));
                if (pending.size === 0) {
                    await new Promise((r) => setImmediate(r));
                    if (pending.size === 0) return;
                } else {
                    await Promise.all([...pending]);
                }
            }
        },
        byType(type: string) {
            return resources.filter((r) => r.type === type);
        },
        one(name: string, type?: string) {
            const found = resources.filter((r) => r.name === name && (type === undefined || r.type === type));
            if (found.length !== 1) {
                throw new Error(`expected exactly one resource named ${name}${type === undefined ? "" : ` of type ${type}`}, found ${found.length}: ${resources.map((r) => `${r.type}::${r.name}`).join(", ")}`);
            }
            return found[0] as RecordedResource;
        },
    };
    installed = recorder;
    return recorder;
}

/** The value of an Output (under mocks every Output resolves). */
export function outputValue<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise<T>((resolve) => o.apply((v) => resolve(v)));
}

/** The error an Output fails with (an apply that threw); fails when the Output resolves instead. */
export async function outputError(o: pulumi.Output<unknown>): Promise<Error> {
    // `promise()` is the Output's own (not in its public type): the value or the error of the apply chain.
    const p = (o as unknown as { promise(): Promise<unknown> }).promise();
    return p.then(
        (v) => {
            throw new Error(`expected the Output to fail, it resolved to ${JSON.stringify(v)}`);
        },
        (err: unknown) => err as Error,
    );
}

/**
 * Forgets the pending promises of children whose inputs failed (a component's args that resolved to a bad value):
 * they never register, and the engine ends the update there, but this process goes on to the next test. Without
 * it the SDK reports them as leaked promises when the test process exits.
 */
export async function forgetFailedRegistrations(): Promise<void> {
    // `leakedPromises` is the SDK's @internal (not in its .d.ts): it returns the leak candidates and clears them.
    const debuggable = (await import("@pulumi/pulumi/runtime/debuggable")) as unknown as { leakedPromises(): unknown };
    debuggable.leakedPromises();
}
