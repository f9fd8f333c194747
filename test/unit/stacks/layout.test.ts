/**
 * Stack layouts under Pulumi mocks: the single layout emits exactly what the program emitted before layouts
 * existed (test/fixtures/single-layout, every committed stack, every object), but for the ingress VirtualService,
 * which since issue 19 carries each service's routes under its prefix (the snapshots' only change); a platform stack emits the
 * namespace, gateways and root VirtualServices whose routes delegate; a service stack emits its Workloads,
 * DestinationRule, delegate and mesh root VirtualService, read against its platform stack through a
 * StackReference; together they pass Istio's schema and the analyzer's delegation rules. Then every refusal
 * of a wrong layout or a wrong combination of stacks, each naming the stack, path, value, rule and fix.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { committedStackFiles, emitted, istioObjects, rawStackConfig, REPO_ROOT } from "../../support/emitted";
import { analyzeMesh, mergedVirtualServices, type IstioObject } from "../../support/istioAnalyzer";
import { prodEnvironment as environment } from "../../support/environments";
import { flatConfig, programError, setStackName } from "../../support/programUnderMocks";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";
import type * as Stacks from "../../../stacks";

type Raw = Record<string, unknown>;

describe("stack layouts", function () {
    this.timeout(200_000);
    const mesh = stacksUnderMocks();

    describe("single (the default): today's objects, unchanged but for the ingress VirtualService's routes (issue 19)", () => {
        const files = committedStackFiles();
        it("has a snapshot for every committed stack", () => {
            const snapshots = fs.readdirSync(path.join(REPO_ROOT, "test", "fixtures", "single-layout")).sort();
            expect(snapshots).to.deep.equal(files.map((f) => `${f.slice("Pulumi.".length, -".yaml".length)}.json`));
        });
        for (const file of files) {
            const stack = file.slice("Pulumi.".length, -".yaml".length);
            it(`${file}: every registered resource (type, name, parent, inputs) equals the snapshot`, async () => {
                mesh.rec.reset();
                const cfg = mesh.stacks.parseStackConfig(stack, rawStackConfig(file));
                expect(cfg.layout).to.equal("single");
                mesh.stacks.buildMeshStack(cfg);
                await mesh.rec.settled();
                const before = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "single-layout", `${stack}.json`), "utf8")) as unknown;
                expect(JSON.parse(JSON.stringify(emitted(mesh.rec)))).to.deep.equal(before);
            });
        }
        it("the snapshot comparison would catch a change (one changed weight fails it)", async () => {
            mesh.rec.reset();
            const raw = rawStackConfig("Pulumi.dev.yaml");
            (raw["services"] as Record<string, { canary: { weight: number } }>)["sample-app"]!.canary.weight = 5;
            mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig("dev", raw));
            await mesh.rec.settled();
            const before = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "test", "fixtures", "single-layout", "dev.json"), "utf8")) as unknown;
            expect(JSON.parse(JSON.stringify(emitted(mesh.rec)))).to.not.deep.equal(before);
        });
    });

    describe("platform and service stacks under mocks", () => {
        let platformObjects: IstioObject[];
        let platformOut: Stacks.MeshStackOutputs;

        before(async () => {
            mesh.rec.reset();
            const env = environment();
            const built = mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig("prod", env.platform.config));
            platformOut = built.outputs;
            await mesh.rec.settled();
            platformObjects = istioObjects(mesh.rec);
        });

        it("the platform stack: namespace, gateway, egress and a root VirtualService whose routes only delegate; no service objects", () => {
            expect(mesh.rec.byType("kubernetes:core/v1:Namespace").map((r) => r.name)).to.deep.equal(["namespace"]);
            expect(mesh.rec.byType("kubernetes:apps/v1:Deployment")).to.deep.equal([]);
            expect(platformObjects.filter((o) => o.kind === "DestinationRule").map((o) => o.metadata.name)).to.deep.equal(["egress-egressgateway"]);
            const root = platformObjects.find((o) => o.kind === "VirtualService" && o.metadata.name === "ingress");
            expect(root?.spec).to.deep.equal({
                hosts: ["shop.example.com"],
                gateways: ["shop/ingress"],
                http: [
                    { name: "route-0", match: [{ uri: { prefix: "/api" } }], delegate: { name: "checkout-delegate", namespace: "shop" } },
                    { name: "route-1", match: [{ uri: { prefix: "/" } }], delegate: { name: "frontend-delegate", namespace: "shop" } },
                ],
            });
            expect(platformObjects.flatMap((o) => mesh.schema.validate(o))).to.deep.equal([]);
        });

        it("the platform stack's internal gateway routes delegate too, to the same delegates", async () => {
            mesh.rec.reset();
            const env = environment();
            env.platform.config["internalGateway"] = { enabled: true, hosts: ["*.shop.svc.cluster.local"], routes: [{ prefix: "/", service: "checkout" }] };
            const out = mesh.stacks.buildMeshStack(mesh.stacks.parseStackConfig("prod", env.platform.config)).outputs;
            await mesh.rec.settled();
            const internal = istioObjects(mesh.rec).find((o) => o.kind === "VirtualService" && o.metadata.name === "internal");
            expect(internal?.spec["http"]).to.deep.equal([
                { name: "route-0", match: [{ uri: { prefix: "/" } }], delegate: { name: "checkout-delegate", namespace: "shop" } },
            ]);
            expect(out.platform?.routes.filter((r) => r.gateway === "internalGateway")).to.deep.equal([{ gateway: "internalGateway", index: 0, prefix: "/", service: "checkout" }]);
            expect(out.platform?.gatewayHosts.internalGateway).to.deep.equal(["*.shop.svc.cluster.local"]);
        });

        it("the platform stack exports what its service stacks read", () => {
            expect(platformOut.platform).to.deep.equal({
                version: 1,
                layout: "platform",
                namespace: "shop",
                routes: [
                    { gateway: "ingress", index: 0, prefix: "/api", service: "checkout" },
                    { gateway: "ingress", index: 1, prefix: "/", service: "frontend" },
                ],
                gatewayHosts: { ingress: ["shop.example.com"], internalGateway: [] },
            });
            expect(platformOut.services).to.deep.equal({});
            expect(platformOut.ingressHosts).to.deep.equal(["shop.example.com"]);
        });

        it("a service stack through meshProgram: reads its platform's output (no StackReference resource kept in its state), then Workloads, one DR, delegate + mesh root; all valid with the platform", async () => {
            const env = environment();
            mesh.rec.stackOutputs.set("prod", { platform: platformOut.platform });
            const saved = pulumi.runtime.allConfig();
            const all: IstioObject[] = [...platformObjects];
            const outputs: Record<string, Stacks.MeshStackOutputs> = {};
            try {
                for (const s of env.services) {
                    mesh.rec.reset();
                    pulumi.runtime.setAllConfig(flatConfig(s.config));
                    setStackName(s.stack); // a service stack is named <platformStack>.<svc> (checkServiceStackName)
                    outputs[s.stack] = await mesh.stacks.meshProgram();
                    await mesh.rec.settled();
                    const objs = istioObjects(mesh.rec);
                    expect(mesh.rec.byType("kubernetes:core/v1:Namespace"), "a service stack creates no namespace").to.deep.equal([]);
                    // the platform's outputs list every service's routes: a StackReference would keep a copy of them in
                    // every service stack's state, written on every weight step
                    expect(mesh.rec.byType("pulumi:pulumi:StackReference"), "no StackReference in the state").to.deep.equal([]);
                    expect(objs.every((o) => o.metadata.namespace === "shop"), "objects go to the platform's namespace").to.equal(true);
                    all.push(...objs);
                }
            } finally {
                pulumi.runtime.setAllConfig(saved);
                setStackName("unit");
            }
            const checkout = all.filter((o) => o.metadata.name.startsWith("checkout"));
            expect(checkout.map((o) => `${o.kind}/${o.metadata.name}`).sort()).to.deep.equal([
                "DestinationRule/checkout",
                "VirtualService/checkout",
                "VirtualService/checkout-delegate",
            ]);
            const meshRoot = checkout.find((o) => o.metadata.name === "checkout" && o.kind === "VirtualService");
            expect(meshRoot?.spec).to.deep.equal({ hosts: ["checkout"], http: [{ delegate: { name: "checkout-delegate", namespace: "shop" } }] });
            const delegate = checkout.find((o) => o.metadata.name === "checkout-delegate");
            expect(delegate?.spec["hosts"], "a delegate has no hosts").to.equal(undefined);
            expect(delegate?.spec["gateways"], "a delegate has no gateways").to.equal(undefined);
            expect(delegate?.spec["exportTo"]).to.deep.equal(["."]);
            const routes = delegate?.spec["http"] as { name: string; fault?: unknown; timeout?: string; retries?: unknown; route?: { weight?: number; destination: { subset?: string } }[] }[];
            expect(routes.map((r) => r.name)).to.deep.equal(["canary-pin-0", "ab-test", "uri-0", "catch-all"]);
            const catchAll = routes[routes.length - 1];
            expect(catchAll?.route?.map((d) => [d.destination.subset, d.weight])).to.deep.equal([
                ["stable", 80],
                ["canary", 20],
            ]);
            expect(routes.every((r) => r.fault !== undefined && r.timeout === "5s" && r.retries !== undefined), "faults, timeout, retries on every route").to.equal(true);
            // What istiod routes with: the ingress root's /api route merged with the delegate gives gateway
            // traffic the pins, the A/B flag, the URI route, faults, retries and timeouts, not only the split.
            const ingress = mergedVirtualServices(all).find((o) => o.metadata.name === "ingress");
            const merged = (ingress?.spec["http"] as { name: string; match?: unknown[]; fault?: unknown; timeout?: string }[]).filter((r) => r.name.startsWith("route-0"));
            expect(merged.map((r) => [r.name, r.match])).to.deep.equal([
                ["route-0-canary-pin-0", [{ uri: { prefix: "/api" }, headers: { "x-canary": { exact: "true" } } }]],
                ["route-0-ab-test", [{ uri: { prefix: "/api" }, headers: { "x-new-checkout": { exact: "on" } } }]],
                ["route-0-uri-0", [{ uri: { prefix: "/api/legacy" } }]],
                ["route-0-catch-all", [{ uri: { prefix: "/api" } }]],
            ]);
            expect(merged.every((r) => r.fault !== undefined && r.timeout === "5s"), "gateway traffic gets faults and timeouts").to.equal(true);
            expect(all.flatMap((o) => mesh.schema.validate(o)), "Istio's schema").to.deep.equal([]);
            expect(analyzeMesh(all), "analyzer rules, delegation included").to.deep.equal([]);
            expect(outputs["prod.checkout"]).to.deep.equal({
                namespace: "shop",
                services: {
                    checkout: {
                        weights: { stable: 80, canary: 20 },
                        subsets: ["stable", "canary"],
                        versions: { stable: "v1", canary: "v2" },
                        hosts: ["checkout"],
                        gatewayHosts: ["shop.example.com"],
                    },
                },
                ingressHosts: [],
                egressHosts: [],
            });
        });

        it("a service stack whose platformStack exports no platform output is refused before any object is registered", async () => {
            const env = environment();
            const cfg = { ...env.services[1]!.config, platformStack: "nope" };
            mesh.rec.reset();
            const err = await programError(mesh.stacks, cfg);
            expect(err).to.be.instanceOf(mesh.stacks.StackConfigError);
            const msg = (err as Error).message;
            expect(msg).to.contain('stack "unit"');
            expect(msg).to.contain('platformStack is "nope", a stack that exports no platform output');
            expect(msg).to.contain("fix: pulumi config set platformStack <env>");
            await mesh.rec.settled();
            expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:")), "nothing applied").to.deep.equal([]);
        });

        it("a service stack whose platformStack the backend does not hold is refused at platformStack, naming the engine's answer, before any object is registered", async () => {
            const env = environment();
            const cfg = { ...env.services[1]!.config, platformStack: "prod-nope" };
            mesh.rec.missingStacks.add("prod-nope");
            try {
                mesh.rec.reset();
                const err = await programError(mesh.stacks, cfg);
                expect(err).to.be.instanceOf(mesh.stacks.StackConfigError);
                const e = err as InstanceType<typeof mesh.stacks.StackConfigError>;
                expect(e.problems.map((p) => p.propertyPath)).to.deep.equal(["platformStack"]);
                expect(e.message).to.contain('stack "unit"');
                expect(e.message).to.contain('platformStack is "prod-nope", a stack this backend does not hold (the engine: ');
                expect(e.message).to.contain('unknown stack "prod-nope"');
                expect(e.message).to.contain("fix: pulumi config set platformStack <env>");
                await mesh.rec.settled();
                expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:")), "nothing applied").to.deep.equal([]);
            } finally {
                mesh.rec.missingStacks.delete("prod-nope");
            }
        });

        it("a second stack holding a service another stack owns is refused by its own program, whoever runs up: its name is not <platformStack>.<svc>", async () => {
            const env = environment();
            mesh.rec.stackOutputs.set("prod", { platform: platformOut.platform });
            mesh.rec.reset();
            const err = await programError(mesh.stacks, structuredClone(env.services[0]!.config), "prod.checkout-copy");
            expect(err).to.be.instanceOf(mesh.stacks.StackConfigError);
            const e = err as InstanceType<typeof mesh.stacks.StackConfigError>;
            expect(e.problems.map((p) => p.propertyPath)).to.deep.equal(["services.checkout"]);
            expect(e.message).to.contain('stack "prod.checkout-copy"');
            expect(e.message).to.contain('this service stack is "prod.checkout-copy", but a service stack of "checkout" with platformStack "prod" must be named "prod.checkout"');
            expect(e.message).to.contain("fix: pulumi stack rename prod.checkout");
            await mesh.rec.settled();
            expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:")), "nothing applied").to.deep.equal([]);
            // the stack the name says is accepted (the case above runs the same config through meshProgram as prod.checkout)
            expect(await programError(mesh.stacks, structuredClone(env.services[0]!.config), "prod.checkout")).to.equal(undefined);
            expect(await programError(mesh.stacks, structuredClone(env.services[0]!.config), "organization/mesh-traffic/prod.checkout"), "a fully qualified name").to.equal(undefined);
        });

        it("a delegate prefix must nest in every root of its service: one delegate serves the ingress and the internal gateway root, and istiod drops it for a root it does not start with", () => {
            const svc = { uriRoutes: [{ prefix: "/checkout/api" }], redirects: [{ prefix: "/checkout/old" }] } as unknown as Stacks.ServiceConfig;
            const roots: Stacks.RootRoute[] = [
                { gateway: "ingress", index: 0, prefix: "/checkout", service: "checkout" },
                { gateway: "internalGateway", index: 0, prefix: "/internal/checkout", service: "checkout" },
            ];
            const p = mesh.stacks.checkDelegateNesting("checkout", svc, roots);
            expect(p.map((x) => x.propertyPath)).to.deep.equal(["services.checkout.uriRoutes[0].prefix", "services.checkout.redirects[0].prefix"]);
            expect(p[0]?.reason).to.contain('is "/checkout/api", which the root route "/internal/checkout" of the platform stack does not cover');
            expect(p[0]?.fix).to.contain("route the service under one prefix on every gateway");
            // roots that nest in each other: a prefix under both is fine
            const nested: Stacks.RootRoute[] = [
                { gateway: "ingress", index: 0, prefix: "/", service: "checkout" },
                { gateway: "internalGateway", index: 0, prefix: "/checkout", service: "checkout" },
            ];
            expect(mesh.stacks.checkDelegateNesting("checkout", svc, nested)).to.deep.equal([]);
        });

        it("a service stack whose delegate matches a prefix no root route covers is refused by the program", async () => {
            const env = environment();
            const cfg = structuredClone(env.services[0]!.config);
            ((cfg["services"] as Raw)["checkout"] as { uriRoutes: { prefix: string }[] }).uriRoutes[0]!.prefix = "/legacy";
            mesh.rec.stackOutputs.set("prod", { platform: platformOut.platform });
            mesh.rec.reset();
            const err = await programError(mesh.stacks, cfg);
            expect((err as Error).message).to.contain(
                'services.checkout.uriRoutes[0].prefix is "/legacy", which no root route of the platform stack covers (it routes "/api" to checkout)',
            );
            await mesh.rec.settled();
            expect(mesh.rec.resources.filter((r) => r.type.startsWith("kubernetes:"))).to.deep.equal([]);
        });
    });

    describe("layout keys of one stack", () => {
        const problems = (raw: Raw): Stacks.StackConfigProblem[] => mesh.stacks.checkStackConfig(raw).problems;
        const svc = { image: "x:{version}", stable: { version: "v1" } };

        it("a service stack with ingress, namespace, two services and no platformStack: each refused with its fix", () => {
            const p = problems({
                layout: "service",
                namespace: "shop",
                ingress: { enabled: false },
                services: { a: svc, b: svc },
            });
            expect(p.map((x) => x.propertyPath).sort()).to.deep.equal(["ingress", "namespace", "platformStack", "services"]);
            const ingress = p.find((x) => x.propertyPath === "ingress");
            expect(ingress?.reason).to.equal(
                'ingress is set, but this stack has layout "service", whose keys are layout, platformStack, skipAwait, services, routing, release, rollouts; ' +
                    "ingress belongs in the platform stack, whose ingress root VirtualService delegates to the service stacks",
            );
            expect(ingress?.fix).to.equal("pulumi config rm 'ingress' (and set it where it belongs)");
            expect(p.find((x) => x.propertyPath === "services")?.reason).to.equal(
                'services has 2 services ("a", "b"); a service stack (layout service) holds exactly one service',
            );
            expect(p.find((x) => x.propertyPath === "platformStack")?.reason).to.contain("platformStack is missing");
        });

        it("a key at its Pulumi.yaml default counts as unset (the engine passes every declared key's default to the program)", () => {
            const defaults = { platformStack: "", services: {}, rollouts: {}, egress: [], ingress: {}, internalGateway: {}, egressGateway: {}, createNamespace: true, namespace: "mesh-traffic" };
            expect(problems({ layout: "platform", ...defaults })).to.deep.equal([]);
            const svc1 = { a: svc };
            expect(problems({ ...defaults, layout: "service", platformStack: "prod", services: svc1 })).to.deep.equal([]);
            expect(problems({ layout: "platform", services: { a: svc }, rollouts: {} }).map((x) => x.propertyPath)).to.deep.equal(["services"]);
        });

        it("a service stack with no service", () => {
            expect(problems({ layout: "service", platformStack: "prod" }).map((x) => x.reason)).to.deep.equal([
                "services has no service; a service stack (layout service) holds exactly one service",
            ]);
        });

        it("a platform stack with services, and a single stack with platformStack", () => {
            expect(problems({ layout: "platform", services: { a: svc } }).map((x) => x.propertyPath)).to.deep.equal(["services"]);
            expect(problems({ platformStack: "prod", services: { a: svc } }).map((x) => x.propertyPath)).to.deep.equal(["platformStack"]);
        });

        it("an unknown layout is a schema problem with the allowed values and a did-you-mean", () => {
            expect(problems({ layout: "services" })).to.deep.equal([
                {
                    propertyPath: "layout",
                    reason: 'layout is "services"; it must be one of "single", "platform", "service"; did you mean "service"?',
                    fix: "pulumi config set --path 'layout' service",
                },
            ]);
        });

        it("a platform stack's routes may name services it does not hold (their stacks hold them); a single stack's may not", () => {
            const env = environment();
            expect(problems(env.platform.config)).to.deep.equal([]);
            const single = { ...env.platform.config, layout: "single" };
            expect(problems(single).map((x) => x.propertyPath)).to.deep.equal(["ingress.routes[0].service", "ingress.routes[1].service"]);
        });

        it("readStackConfig reads layout and platformStack as plain strings", () => {
            const saved = pulumi.runtime.allConfig();
            try {
                pulumi.runtime.setAllConfig({ "mesh-traffic:layout": "service", "mesh-traffic:platformStack": "2026", "mesh-traffic:services": JSON.stringify({ a: svc }) });
                const cfg = mesh.stacks.readStackConfig();
                expect([cfg.layout, cfg.platformStack]).to.deep.equal(["service", "2026"]);
            } finally {
                pulumi.runtime.setAllConfig(saved);
            }
        });
    });

    describe("checkEnvironment: the rules across an environment's stacks", () => {
        it("a good environment has no problem", () => {
            const env = environment();
            expect(mesh.stacks.checkEnvironment(env.platform, env.services)).to.deep.equal([]);
        });

        it("a service claimed by two stacks", () => {
            const env = environment();
            const twin = { stack: "prod.checkout2", config: structuredClone(env.services[0]!.config) };
            const p = mesh.stacks.checkEnvironment(env.platform, [...env.services, twin]);
            expect(p).to.deep.equal([
                {
                    stack: "prod.checkout2",
                    propertyPath: "services.checkout",
                    reason:
                        'this service stack is "prod.checkout2", but a service stack of "checkout" with platformStack "prod" must be named "prod.checkout": ' +
                        "stack names are unique, so the name makes this stack the only owner of the service (a second stack holding it would co-own its objects, and destroying that copy would delete the service)",
                    fix: "pulumi stack rename prod.checkout (if no other stack is named so), or hold in this stack the service its name says",
                },
                {
                    stack: "prod.checkout2",
                    propertyPath: "services.checkout",
                    reason: 'services.checkout is claimed by stack "prod.checkout" too; a service belongs to exactly one stack (one Deployment, DestinationRule and delegate per service)',
                    fix: "pulumi config rm --path 'services.checkout' in one of \"prod.checkout\" and \"prod.checkout2\" (pulumi state move the service's resources if they are live)",
                },
            ]);
        });

        it("a root route to a service with no stack", () => {
            const env = environment();
            const p = mesh.stacks.checkEnvironment(env.platform, [env.services[0]!]);
            expect(p).to.have.length(1);
            expect(p[0]).to.include({ stack: "prod", propertyPath: "ingress.routes[1].service" });
            expect(p[0]?.reason).to.equal(
                'ingress.routes[1].service is "frontend", a service no service stack of this environment holds ("checkout"); the root route would delegate to a delegate VirtualService that does not exist',
            );
            expect(p[0]?.fix).to.contain("pulumi stack init prod.frontend");
        });

        it("a delegate for a prefix no root routes", () => {
            const env = environment();
            const svc = (env.services[0]!.config["services"] as Raw)["checkout"] as { redirects?: unknown[] };
            svc.redirects = [{ prefix: "/old", uri: "/api/new" }];
            const p = mesh.stacks.checkEnvironment(env.platform, env.services);
            expect(p.map((x) => [x.stack, x.propertyPath])).to.deep.equal([["prod.checkout", "services.checkout.redirects[0].prefix"]]);
        });

        it("a service stack naming another platform stack, a stack with the wrong layout, a host claimed twice", () => {
            const env = environment();
            env.services[0]!.config["platformStack"] = "staging";
            env.services[1]!.config = { ...env.services[1]!.config };
            ((env.services[1]!.config["services"] as Raw)["frontend"] as { hosts?: string[] }).hosts = ["frontend", "checkout"];
            const wrong = { stack: "prod.old", config: { layout: "single" } };
            const p = mesh.stacks.checkEnvironment(env.platform, [...env.services, wrong]);
            expect(p.map((x) => [x.stack, x.propertyPath])).to.deep.equal([
                ["prod.checkout", "platformStack"],
                ["prod.frontend", "services.frontend.hosts[1]"],
                ["prod.old", "layout"],
            ]);
            expect(p[0]?.reason).to.contain('platformStack is "staging", but this stack is a service stack of environment "prod"');
        });

        it("an object name made by two stacks: a service named like another service's delegate", () => {
            const env = environment();
            const twin = {
                stack: "prod.checkout-delegate",
                config: { layout: "service", platformStack: "prod", services: { "checkout-delegate": { image: "x:{version}", stable: { version: "v1" } } } },
            };
            const p = mesh.stacks.checkEnvironment(env.platform, [...env.services, twin]);
            expect(p.map((x) => [x.stack, x.propertyPath])).to.deep.equal([["prod.checkout-delegate", "services.checkout-delegate"]]);
            expect(p[0]?.reason).to.equal(
                'services.checkout-delegate makes VirtualService "checkout-delegate", which services.checkout (its delegate) of stack "prod.checkout" also makes; each object name of the environment\'s namespace must have one owner',
            );
        });

        it("a fully qualified platformStack (organization/mesh-traffic/prod) names the same platform", () => {
            const env = environment();
            env.services[0]!.config["platformStack"] = "organization/mesh-traffic/prod";
            expect(mesh.stacks.checkEnvironment(env.platform, env.services)).to.deep.equal([]);
        });

        it("a platform stack that is not layout platform, and each stack's own problems, named with their stack", () => {
            const env = environment();
            env.platform.config["layout"] = "single";
            ((env.services[1]!.config["services"] as Raw)["frontend"] as { replicas?: number }).replicas = -1;
            const p = mesh.stacks.checkEnvironment(env.platform, env.services);
            expect(p.map((x) => [x.stack, x.propertyPath])).to.deep.include.members([
                ["prod", "layout"],
                ["prod.frontend", "services.frontend.replicas"],
            ]);
        });
    });
});
