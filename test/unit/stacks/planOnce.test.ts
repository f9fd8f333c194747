/**
 * The mesh is planned once per program run (issue 18): the program (stacks/index.ts meshProgram, as `pulumi up` runs
 * it) plans the stack once (stacks/stackPlan.ts: planMeshStack once) and each component once (its plan function
 * called once per component: the check reads the plan's problems, the constructor takes the same plan,
 * components/planOnce.ts). Counted with spies on the plan modules' exports under Pulumi mocks, for every committed
 * stack and for a platform and a service stack of both routing APIs.
 *
 * What it does not prove: a call of planMeshStack from inside stacks/meshPlan.ts itself does not go through the
 * module's exports and is not counted (its only such callers are the default arguments that the program path never
 * takes: every plan function it calls is counted, and the components' plans would be counted twice).
 *
 * And what the reuse must not cost a package user: args the stack never planned are planned by their component, on
 * every construction; a stored plan's args are frozen, so they cannot change under their plan.
 */
import { expect } from "chai";
import { committedStackFiles, rawStackConfig } from "../../support/emitted";
import { gatewayApiEnvironment, prodEnvironment } from "../../support/environments";
import { programError, runProgram } from "../../support/programUnderMocks";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";
import * as canaryPlan from "../../../components/canaryPlan";
import * as egressGatewayPlan from "../../../components/egressGatewayPlan";
import * as gatewayApiPlan from "../../../components/gatewayApiPlan";
import * as ingressGatewayPlan from "../../../components/ingressGatewayPlan";
import * as internalGatewayPlan from "../../../components/internalGatewayPlan";
import * as istioRoutingPlan from "../../../components/istioRoutingPlan";
import * as workloadsPlan from "../../../components/workloadsPlan";
import { planOnce, reusePlan } from "../../../components/planOnce";
import * as meshPlan from "../../../stacks/meshPlan";

type Raw = Record<string, unknown>;

/** A plan function to count, its module, and the component type whose constructions it plans (none: the stack's). */
interface Counted {
    module: object;
    fn: string;
    token: string | undefined;
}

const COUNTED: Counted[] = [
    { module: meshPlan, fn: "planMeshStack", token: undefined },
    { module: canaryPlan, fn: "planCanary", token: "mesh-traffic:index:Canary" },
    { module: workloadsPlan, fn: "planWorkloads", token: "mesh-traffic:index:Workloads" },
    { module: ingressGatewayPlan, fn: "planIngressGateway", token: "mesh-traffic:index:IngressGateway" },
    { module: internalGatewayPlan, fn: "planInternalGateway", token: "mesh-traffic:index:InternalGateway" },
    { module: egressGatewayPlan, fn: "planEgressGateway", token: "mesh-traffic:index:EgressGateway" },
    { module: istioRoutingPlan, fn: "planIstioRouting", token: "mesh-traffic:index:IstioRouting" },
    { module: gatewayApiPlan, fn: "planGatewayApiCanary", token: "mesh-traffic:index:GatewayApiCanary" },
    { module: gatewayApiPlan, fn: "planGatewayApiIngress", token: "mesh-traffic:index:GatewayApiIngress" },
    { module: gatewayApiPlan, fn: "planWaypoint", token: "mesh-traffic:index:Waypoint" },
];

/** Replaces each counted export by a counting wrapper (the modules are CommonJS under ts-node); returns the counts and the undo. */
function spyOnPlans(): { calls: Map<string, number>; restore: () => void } {
    const calls = new Map<string, number>();
    const undo: (() => void)[] = [];
    for (const c of COUNTED) {
        const exportsOf = c.module as Record<string, unknown>;
        const original = exportsOf[c.fn] as (...args: unknown[]) => unknown;
        expect(original, c.fn).to.be.a("function");
        exportsOf[c.fn] = (...args: unknown[]): unknown => {
            calls.set(c.fn, (calls.get(c.fn) ?? 0) + 1);
            return original(...args);
        };
        expect(exportsOf[c.fn], `${c.fn} can be counted`).to.not.equal(original);
        undo.push(() => {
            exportsOf[c.fn] = original;
        });
    }
    return { calls, restore: () => undo.forEach((u) => u()) };
}

describe("the mesh is planned once per program run (stacks/stackPlan.ts, components/planOnce.ts)", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();

    /** Runs the program as `stack` and returns how often each plan ran and how many components of each type it registered. */
    async function countedRun(raw: Raw, stack: string): Promise<{ calls: Record<string, number>; built: Record<string, number> }> {
        mesh.rec.reset();
        const spy = spyOnPlans();
        try {
            await runProgram(mesh.stacks, raw, stack);
            await mesh.rec.settled();
        } finally {
            spy.restore();
        }
        const calls: Record<string, number> = {};
        const built: Record<string, number> = {};
        for (const c of COUNTED) {
            calls[c.fn] = spy.calls.get(c.fn) ?? 0;
            built[c.fn] = c.token === undefined ? 1 : mesh.rec.byType(c.token).length;
        }
        return { calls, built };
    }

    const committed = committedStackFiles().filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f));

    it("finds the committed stacks", () => {
        expect(committed).to.include.members(["Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.production.yaml"]);
    });

    for (const file of committed) {
        const stack = file.slice("Pulumi.".length, -".yaml".length);
        it(`${file}: planMeshStack runs once, and each component's plan once per component`, async () => {
            const { calls, built } = await countedRun(rawStackConfig(file), stack);
            expect(built["planCanary"], "the stack has canaries").to.be.greaterThan(0);
            expect(calls).to.deep.equal(built);
        });
    }

    it("an Istio platform stack and its service stack (read against the platform's output): once each", async () => {
        const env = prodEnvironment();
        const platform = await countedRun(env.platform.config, env.platform.stack);
        expect(platform.built["planIngressGateway"]).to.equal(1);
        expect(platform.calls).to.deep.equal(platform.built);
        const outputs = await runProgram(mesh.stacks, env.platform.config, env.platform.stack);
        await mesh.rec.settled();
        mesh.rec.stackOutputs.set(env.platform.stack, { platform: outputs.platform });
        const service = env.services[0];
        expect(service).to.not.equal(undefined);
        const run = await countedRun((service as { config: Raw }).config, (service as { stack: string }).stack);
        expect(run.built["planCanary"]).to.equal(1);
        expect(run.calls).to.deep.equal(run.built);
    });

    it("gateway-api: the platform and a service stack once each; a GatewayApiCanary's plan holds a Canary's, and the Istio check plans each service's Canary args too (named here)", async () => {
        const env = gatewayApiEnvironment();
        const platform = await countedRun(env.platform.config, env.platform.stack);
        expect(platform.built["planGatewayApiIngress"]).to.equal(1);
        // planGatewayApiIngress runs planIngressGateway inside; the Istio check plans the ingress's own args once.
        expect(platform.calls).to.deep.equal({ ...platform.built, planIngressGateway: 2 });
        const outputs = await runProgram(mesh.stacks, env.platform.config, env.platform.stack);
        await mesh.rec.settled();
        mesh.rec.stackOutputs.set(env.platform.stack, { platform: outputs.platform });
        const service = env.services[0] as { stack: string; config: Raw };
        const run = await countedRun(service.config, service.stack);
        expect(run.built["planGatewayApiCanary"]).to.equal(1);
        // one planCanary inside the GatewayApiCanary's plan, one of the service's Canary args by the Istio check
        expect(run.calls).to.deep.equal({ ...run.built, planCanary: 2 });
    });

    it("a service stack reads its platform before the check, yet a bad config is still reported first: an unreadable platform only once the config is good", async () => {
        const env = prodEnvironment();
        const service = env.services[0] as { stack: string; config: Raw };
        const svcName = Object.keys(service.config["services"] as Raw)[0] as string;
        const bad = { ...service.config, platformStack: "prod-gone", services: { [svcName]: { ...((service.config["services"] as Record<string, Raw>)[svcName] as Raw), port: 70000 } } };
        mesh.rec.missingStacks.add("prod-gone");
        try {
            const first = await programError(mesh.stacks, bad, service.stack);
            expect(first).to.be.instanceOf(mesh.stacks.StackConfigError);
            expect((first as InstanceType<typeof mesh.stacks.StackConfigError>).problems.map((p) => p.propertyPath)).to.deep.equal([`services.${svcName}.port`]);
            const then = await programError(mesh.stacks, { ...service.config, platformStack: "prod-gone" }, service.stack);
            expect((then as InstanceType<typeof mesh.stacks.StackConfigError>).problems.map((p) => p.propertyPath)).to.deep.equal(["platformStack"]);
            expect((then as Error).message).to.contain('platformStack is "prod-gone", a stack this backend does not hold');
        } finally {
            mesh.rec.missingStacks.delete("prod-gone");
        }
    });

    it("a package user's args (never planned by the stack) are planned by the component each time, and their problems thrown each time", async () => {
        const { Canary } = await import("../../../components/canary");
        const args = { namespace: "shop", service: "Bad_Name", stable: { version: "v1" } };
        const spy = spyOnPlans();
        try {
            for (let i = 0; i < 2; i++) {
                expect(() => new Canary(`user-${i}`, args), `construction ${i}`).to.throw(/service is "Bad_Name"/);
            }
            expect(spy.calls.get("planCanary")).to.equal(2);
        } finally {
            spy.restore();
        }
        expect(Object.isFrozen(args), "a component never freezes a user's args").to.equal(false);
    });

    it("no caller's config is frozen: the raw config, the checked config and a config planned or built by a caller stay as they were", () => {
        const raw = rawStackConfig("Pulumi.production.yaml");
        const checked = mesh.stacks.checkStackConfig(raw);
        expect(checked.config, "production checks").to.not.equal(undefined);
        const cfg = checked.config as NonNullable<typeof checked.config>;
        mesh.stacks.stackObjects(cfg);
        mesh.stacks.checkMeshPlan(cfg);
        mesh.stacks.buildMeshStack(cfg);
        const deepFrozen = (v: unknown): boolean => typeof v === "object" && v !== null && (Object.isFrozen(v) || Object.values(v).some(deepFrozen));
        expect(deepFrozen(raw), "raw").to.equal(false);
        expect(deepFrozen(cfg), "checked config").to.equal(false);
        expect(Object.isFrozen((checked.plan as NonNullable<typeof checked.plan>).config), "the plan's own copy is frozen").to.equal(true);
    });

    it("planOnce stores a plan by plan function, name and args object, and freezes the args' plain data; reusePlan finds it and stores nothing itself", () => {
        let runs = 0;
        const plan = (name: string, a: { items: number[] }): { problems: never[]; sum: number } => {
            runs++;
            return { problems: [], sum: a.items.reduce((x, y) => x + y, 0) + name.length };
        };
        const args = { items: [1, 2] };
        const first = planOnce(plan, args, "a");
        expect(planOnce(plan, args, "a")).to.equal(first);
        expect(reusePlan(plan, args, "a")).to.equal(first);
        expect(runs).to.equal(1);
        expect(reusePlan(plan, args, "b").sum, "another name is another plan").to.equal(4);
        expect(reusePlan(plan, { items: [1, 2] }, "a"), "an equal but other args object is planned anew").to.not.equal(first);
        expect(runs).to.equal(3);
        expect(reusePlan(plan, args, "b")).to.not.equal(reusePlan(plan, args, "b"));
        expect(() => args.items.push(3), "the planned args cannot change under their plan").to.throw(TypeError);
        expect(Object.isFrozen(args)).to.equal(true);
    });
});
