/**
 * Per-service stacks on the real engine (built CLI, Node language host, Kubernetes provider, local
 * kube-apiserver): a platform stack and two service stacks of one project (test/support/environments.ts),
 * in order: platform up -> service stacks up (each reads the platform's outputs through the engine) -> every
 * live Istio spec equals the hand-written one below and the live set passes the analyzer's delegation
 * rules -> a weight step of one service touches only its delegate -> a service stack whose platform stack
 * does not exist is refused with nothing created -> destroy, services first.
 *
 * Not proven here: Envoy's view of the merged routes (no istiod in the local control plane); the merge is
 * modelled by test/support/istioAnalyzer.ts after istiod's source.
 */
import type { OpMap } from "@pulumi/pulumi/automation";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { expect } from "chai";
import { connectCluster, resourceVersions, type Cluster, type KubeObject, type OurKind } from "../../support/cluster";
import { exampleEnvironment } from "../../support/environments";
import { analyzeMesh } from "../../support/istioAnalyzer";
import { createProjectDir, projectStack, type PlainConfig, type ProjectStack } from "../../support/pulumiProject";
import { expectedIstioSpecs, OUR_LABELS } from "./expected";

/** Operations other than `same` in a change summary. */
const changesOf = (summary: OpMap | undefined): Record<string, number> =>
    Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && (n ?? 0) > 0)) as Record<string, number>;

/** `Kind/name` -> object, over every kind we create. */
function byKey(all: Record<OurKind, KubeObject[]>): Map<string, KubeObject> {
    const out = new Map<string, KubeObject>();
    for (const [kind, objs] of Object.entries(all)) {
        for (const o of objs) out.set(`${kind}/${o.metadata.name}`, o);
    }
    return out;
}

/** Replaces the whole `mesh-traffic:` config of a temp stack file with `raw`. */
const replaceWith =
    (raw: PlainConfig) =>
    (c: PlainConfig): void => {
        for (const k of Object.keys(c)) delete c[k];
        Object.assign(c, structuredClone(raw));
    };

/** Hand-written: the Istio objects of the example environment in `ns` with checkout's canary at `weight`. */
function expectedSpecs(ns: string, weight: number): Record<string, unknown> {
    const dev = expectedIstioSpecs(ns, 0);
    const egress = Object.fromEntries(Object.entries(dev).filter(([k]) => k.includes("egress")));
    const checkout = { host: "checkout", port: { number: 8080 } };
    const stable = { ...checkout, subset: "stable" };
    const canary = { ...checkout, subset: "canary" };
    const common = { fault: { delay: { percentage: { value: 5 }, fixedDelay: "1s" } }, timeout: "5s", retries: { attempts: 2, perTryTimeout: "2s", retryOn: "5xx" } };
    return {
        ...egress,
        "Gateway/ingress": {
            selector: { istio: "ingressgateway" },
            servers: [
                { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["shop.example.com"], tls: { httpsRedirect: true } },
                { port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["shop.example.com"], tls: { mode: "SIMPLE", credentialName: "shop-tls" } },
            ],
        },
        // The root: prefix matches only, each delegating to a service's delegate.
        "VirtualService/ingress": {
            hosts: ["shop.example.com"],
            gateways: [`${ns}/ingress`],
            http: [
                { name: "route-0", match: [{ uri: { prefix: "/api" } }], delegate: { name: "checkout-delegate", namespace: ns } },
                { name: "route-1", match: [{ uri: { prefix: "/" } }], delegate: { name: "frontend-delegate", namespace: ns } },
            ],
        },
        "DestinationRule/checkout": {
            host: "checkout",
            subsets: [
                { name: "stable", labels: { version: "v1" } },
                { name: "canary", labels: { version: "v2" } },
            ],
        },
        // The mesh root: one route, delegating to the same delegate as the ingress root.
        "VirtualService/checkout": { hosts: ["checkout"], http: [{ delegate: { name: "checkout-delegate", namespace: ns } }] },
        "VirtualService/checkout-delegate": {
            exportTo: ["."],
            http: [
                { name: "canary-pin-0", match: [{ headers: { "x-canary": { exact: "true" } } }], route: [{ destination: canary }], ...common },
                {
                    name: "ab-test",
                    match: [{ headers: { "x-new-checkout": { exact: "on" } } }],
                    route: [{ destination: canary }],
                    ...common,
                },
                { name: "uri-0", match: [{ uri: { prefix: "/api/legacy" } }], route: [{ destination: stable }], ...common },
                {
                    name: "catch-all",
                    route: [
                        { destination: stable, weight: 100 - weight },
                        { destination: canary, weight },
                    ],
                    ...common,
                },
            ],
        },
        "DestinationRule/frontend": { host: "frontend", subsets: [{ name: "stable", labels: { version: "v7" } }] },
        "VirtualService/frontend": { hosts: ["frontend"], http: [{ delegate: { name: "frontend-delegate", namespace: ns } }] },
        "VirtualService/frontend-delegate": {
            exportTo: ["."],
            http: [{ name: "catch-all", route: [{ destination: { host: "frontend", port: { number: 80 }, subset: "stable" } }] }],
        },
    };
}

describe("per-service stacks end to end (platform + two service stacks, the platform read through the engine, delegation)", function () {
    this.timeout(600_000);
    this.slow(60_000);
    const started = Date.now();
    const hex = randomBytes(4).toString("hex");
    const env = `e2e-${hex}`;
    const ns = `mesh-layout-${hex}`;
    const example = exampleEnvironment(env, ns);
    let cluster: Cluster;
    let projectDir = "";
    let platform: ProjectStack | undefined;
    const services: ProjectStack[] = [];
    const extra: ProjectStack[] = [];
    let deployed = false;

    const need = <T>(v: T | undefined, what: string): T => {
        if (v === undefined) throw new Error(`${what} was not created (see the before hook)`);
        return v;
    };
    const live = async (): Promise<Map<string, KubeObject>> => byKey(await cluster.listOurs(ns));
    const requireDeployed = (): void => {
        if (!deployed) throw new Error("this case needs the environment deployed by the `up` cases, which failed");
    };

    before(async function () {
        this.timeout(120_000);
        cluster = connectCluster();
        projectDir = createProjectDir();
        const envVars = { PULUMI_K8S_ENABLE_SERVER_SIDE_APPLY: "true" };
        platform = await projectStack({ projectDir, stackName: example.platform.stack, namespace: ns, edit: replaceWith(example.platform.config), envVars });
        for (const s of example.services) {
            services.push(await projectStack({ projectDir, stackName: s.stack, namespace: ns, edit: replaceWith(s.config), envVars }));
        }
    });

    after(async function () {
        this.timeout(600_000);
        try {
            // Every stack's teardown runs, whatever failed before it; the failures are reported together.
            const failed: string[] = [];
            for (const s of [...extra, ...services.reverse(), ...(platform !== undefined ? [platform] : [])]) {
                await s.dispose().catch((err: Error) => failed.push(err.message));
            }
            if (failed.length > 0) throw new Error(failed.join("\n"));
        } finally {
            fs.rmSync(projectDir, { recursive: true, force: true });
            console.log(`    layouts e2e: ${Math.round((Date.now() - started) / 1000)} s in all (namespace ${ns})`);
        }
    });

    it("the platform stack: namespace, ingress Gateway, the root VirtualService whose routes only delegate, egress; its `platform` output", async () => {
        const p = need(platform, "the platform stack");
        const res = await p.stack.up({ onOutput: p.log });
        expect(res.summary.result, res.stdout).to.equal("succeeded");
        expect(await cluster.namespaceExists(ns)).to.equal(true);
        const objs = await live();
        const want = expectedSpecs(ns, 20);
        const platformKeys = ["Gateway/ingress", "VirtualService/ingress", ...Object.keys(want).filter((k) => k.includes("egress"))];
        expect([...objs.keys()].sort()).to.deep.equal(platformKeys.sort());
        for (const k of platformKeys) expect(objs.get(k)?.spec, k).to.deep.equal(want[k]);
        const out = await p.stack.outputs();
        expect(out["platform"]?.value).to.deep.equal({
            version: 1,
            layout: "platform",
            namespace: ns,
            routes: [
                { gateway: "ingress", index: 0, prefix: "/api", service: "checkout" },
                { gateway: "ingress", index: 1, prefix: "/", service: "frontend" },
            ],
            gatewayHosts: { ingress: ["shop.example.com"], internalGateway: [] },
        });
        expect(out["services"]?.value).to.deep.equal({});
    });

    it("the service stacks: each reads the platform's outputs (no StackReference kept in its state) and creates its Workloads, one DestinationRule, its delegate and its mesh root; every live spec is the hand-written one", async () => {
        for (const s of services) {
            const res = await s.stack.up({ onOutput: s.log });
            expect(res.summary.result, res.stdout).to.equal("succeeded");
            const state = (await s.stack.exportStack()).deployment as { resources?: { type: string }[] };
            const types = (state.resources ?? []).map((r) => r.type);
            expect(types, "the service stack's state").to.include("kubernetes:networking.istio.io/v1:VirtualService");
            expect(types, "no copy of the platform's outputs in the service stack's state").to.not.include("pulumi:pulumi:StackReference");
        }
        deployed = true;
        const objs = await live();
        const want = expectedSpecs(ns, 20);
        const workloads = ["Deployment/checkout-v1", "Deployment/checkout-v2", "Service/checkout", "Deployment/frontend-v7", "Service/frontend"];
        expect([...objs.keys()].sort()).to.deep.equal([...Object.keys(want), ...workloads].sort());
        for (const [k, spec] of Object.entries(want)) {
            expect(objs.get(k)?.spec, k).to.deep.equal(spec);
            expect(objs.get(k)?.metadata.labels, `${k} labels`).to.include(OUR_LABELS);
        }
        const checkout = await need(services[0], "the checkout stack").stack.outputs();
        expect(checkout["namespace"]?.value, "namespace from the platform's output").to.equal(ns);
        expect(checkout["services"]?.value).to.deep.equal({
            checkout: {
                weights: { stable: 80, canary: 20 },
                subsets: ["stable", "canary"],
                versions: { stable: "v1", canary: "v2" },
                hosts: ["checkout"],
                gatewayHosts: ["shop.example.com"],
            },
        });
    });

    it("the live objects of all three stacks pass the analyzer, delegation included (delegates exist, are visible, nest, one level)", async () => {
        requireDeployed();
        const objs = [...(await live()).values()]
            .filter((o) => (o.apiVersion ?? "").startsWith("networking.istio.io/"))
            .map((o) => ({ apiVersion: o.apiVersion ?? "", kind: o.kind ?? "", metadata: { name: o.metadata.name, namespace: ns }, spec: o.spec ?? {} }));
        expect(objs.length).to.be.greaterThan(8);
        expect(analyzeMesh(objs)).to.deep.equal([]);
    });

    it("a weight step of checkout updates its delegate only: the ingress root, the mesh root and the other stacks' objects keep their resourceVersion", async () => {
        requireDeployed();
        const s = need(services[0], "the checkout stack");
        const before = resourceVersions(await cluster.listOurs(ns));
        await s.setConfigPath("services.checkout.canary.weight", 50);
        const res = await s.stack.up({ onOutput: s.log });
        expect(changesOf(res.summary.resourceChanges), res.stdout).to.deep.equal({ update: 1 });
        const after = resourceVersions(await cluster.listOurs(ns));
        const moved = Object.keys(after).filter((k) => after[k] !== before[k]);
        expect(moved).to.deep.equal(["VirtualService/checkout-delegate"]);
        expect((await live()).get("VirtualService/checkout-delegate")?.spec).to.deep.equal(expectedSpecs(ns, 50)["VirtualService/checkout-delegate"]);
    });

    it("a service stack whose platformStack does not exist is refused at platformStack before anything is created", async () => {
        requireDeployed();
        const orphan = await projectStack({
            projectDir,
            stackName: `${env}.orphan`,
            namespace: ns,
            edit: replaceWith({
                layout: "service",
                platformStack: `${env}-nope`,
                skipAwait: true,
                services: { orphan: { image: "ghcr.io/acme/orphan:{version}", stable: { version: "v1" } } },
            }),
        });
        extra.push(orphan);
        const before = [...(await live()).keys()];
        let err: unknown;
        try {
            await orphan.stack.up({ onOutput: orphan.log });
        } catch (e) {
            err = e;
        }
        expect(err, "up of a service stack without a platform").to.be.instanceOf(Error);
        // The engine's read of the platform's outputs fails; the program names the config path, the value, the engine's answer and the fix.
        expect(String(err)).to.include(`stack "${env}.orphan": 1 problem in the mesh-traffic config (nothing was deployed)`);
        expect(String(err)).to.include(`platformStack is "${env}-nope", a stack this backend does not hold (the engine: `);
        expect(String(err)).to.include(`unknown stack "${env}-nope"`);
        expect(String(err)).to.include("fix: pulumi config set platformStack <env>");
        expect([...(await live()).keys()]).to.deep.equal(before);
    });

    it("destroy, service stacks first (make before break in reverse), then the platform: none of our objects is left", async () => {
        requireDeployed();
        for (const s of [...services].reverse()) {
            const res = await s.stack.destroy({ onOutput: s.log });
            expect(res.summary.result, res.stdout).to.equal("succeeded");
        }
        const p = need(platform, "the platform stack");
        await p.stack.destroy({ onOutput: p.log });
        const all = await cluster.listOurs(ns);
        for (const kind of Object.keys(all) as OurKind[]) {
            expect(all[kind].map((o) => o.metadata.name), `${kind} in ${ns} after destroy`).to.deep.equal([]);
        }
    });
});
