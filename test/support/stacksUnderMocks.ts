/**
 * Test support: the mocha setup of a suite that runs the Pulumi program (stacks/) under Pulumi's runtime
 * mocks. Call it once inside the suite's `describe`: it registers a `before` hook that sets up the mocks
 * first (test/support/mocks.ts) and only then imports the stacks module, as the mocks require. The Istio
 * schema (test/support/istioSchema.ts) is loaded the first time a test reads `schema` (the first load may
 * fetch the pinned CRDs), so a suite that never validates never pays for it.
 *
 *   const mesh = stacksUnderMocks();
 *   it("...", async () => { mesh.rec.reset(); mesh.stacks.buildMeshStack(cfg); await mesh.rec.settled(); ... });
 *   it("...", async () => { const objects = await mesh.build(raw); expect(mesh.crdProblems(objects)).to.deep.equal([]); });
 */
import type * as Stacks from "../../stacks";
import { gatewayApiCrdPath } from "./istioCrds";
import { loadIstioSchema, type IstioSchema, type SchemaProblem } from "./istioSchema";
import { setupMocks, type MockRecorder, type RecordedResource } from "./mocks";

export interface StacksUnderMocks {
    /** The resource recorder (reset it per test). */
    readonly rec: MockRecorder;
    /** The stacks module, imported after the mocks. */
    readonly stacks: typeof Stacks;
    /** Istio's CRD schema validator, loaded on first use. */
    readonly schema: IstioSchema;
    /** The pinned Gateway API CRDs' schema validator, loaded on first use. */
    readonly gatewaySchema: IstioSchema;
    /**
     * Every Istio and Gateway API object among `resources` validated against its pinned CRD schema: one entry per
     * object with problems (`Kind/name` and its problems); [] when all are valid.
     */
    crdProblems(resources: readonly RecordedResource[]): { object: string; problems: SchemaProblem[] }[];
    /** Builds stack `stack` (default "test") from raw config on a reset recorder; resolves with its custom resources. */
    build(raw: Record<string, unknown>, stack?: string): Promise<RecordedResource[]>;
}

export function stacksUnderMocks(): StacksUnderMocks {
    let loaded: { rec: MockRecorder; stacks: typeof Stacks } | undefined;
    let schema: IstioSchema | undefined;
    let gatewaySchema: IstioSchema | undefined;
    before(async () => {
        const rec = await setupMocks();
        loaded = { rec, stacks: await import("../../stacks") };
    });
    const get = (): { rec: MockRecorder; stacks: typeof Stacks } => {
        if (loaded === undefined) {
            throw new Error("stacksUnderMocks: read rec/stacks inside a test or hook of the suite that called it (its before hook sets them)");
        }
        return loaded;
    };
    return {
        get rec() {
            return get().rec;
        },
        get stacks() {
            return get().stacks;
        },
        get schema() {
            schema ??= loadIstioSchema();
            return schema;
        },
        get gatewaySchema() {
            gatewaySchema ??= loadIstioSchema(gatewayApiCrdPath());
            return gatewaySchema;
        },
        crdProblems(resources) {
            return resources.flatMap((r) => {
                const gatewayApi = r.type.includes("gateway.networking.k8s.io");
                if (!gatewayApi && !r.type.includes("networking.istio.io")) return [];
                const kind = r.type.split(":").pop() ?? "";
                const doc = { apiVersion: r.type.split(":")[1] ?? "", kind, metadata: r.inputs["metadata"], spec: r.inputs["spec"] };
                const problems = (gatewayApi ? this.gatewaySchema : this.schema).validate(doc);
                return problems.length === 0 ? [] : [{ object: `${kind}/${(r.inputs["metadata"] as { name?: string }).name ?? r.name}`, problems }];
            });
        },
        async build(raw, stack = "test") {
            const { rec, stacks } = get();
            rec.reset();
            stacks.buildMeshStack(stacks.parseStackPlan(stack, raw));
            await rec.settled();
            return rec.resources.filter((r) => r.custom);
        },
    };
}
