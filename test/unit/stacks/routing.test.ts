/**
 * The general traffic model (`routing`): Istio's own objects by name. Every traffic-management example of the pinned
 * istio module's samples is accepted as stack config and emitted unchanged under mocks; bad input (the CRD schema's
 * rules and what Istio would accept and then ignore) is refused with the path, the value, the rule and the fix.
 */
import { expect } from "chai";
import { ROUTING_KEYS, type RoutingKind } from "../../../contract/istioKinds";
import { checkStackConfig, type StackConfigProblem } from "../../../stacks/config";
import { sampleObjects, TRAFFIC_SAMPLE_FILES, type SampleObject } from "../../support/istioSamples";
import { stacksUnderMocks } from "../../support/stacksUnderMocks";
import { parseStackConfig } from "../../../stacks/readConfig";
import { platformOutputs } from "../../../stacks/layout";
import { checkEnvironment } from "../../../stacks/environment";
import { prodEnvironment } from "../../support/environments";

type Routing = Record<string, Record<string, Record<string, unknown>>>;

/** `routing` of sample objects: by kind key and name. */
function routingOf(objects: readonly SampleObject[]): Routing {
    const out: Routing = {};
    for (const o of objects) {
        const key = ROUTING_KEYS[o.kind as RoutingKind];
        (out[key] ??= {})[o.metadata.name] = o.spec;
    }
    return out;
}

/** The sample's objects plus the DestinationRules its routes' subsets need (bookinfo's are in destination-rule-all). */
/** Samples that Istio's tasks apply on top of another (its objects of the same name replaced). */
const APPLIED_AFTER: Readonly<Record<string, string>> = { "tcp-echo/tcp-echo-20-v2.yaml": "tcp-echo/tcp-echo-all-v1.yaml" };

function sampleRouting(file: string): Routing {
    const own = sampleObjects(file);
    const needsDr = file.startsWith("bookinfo/networking/virtual-service-") || file.startsWith("bookinfo/networking/fault-injection");
    const before = APPLIED_AFTER[file];
    return routingOf([...(needsDr ? sampleObjects("bookinfo/networking/destination-rule-all.yaml") : []), ...(before === undefined ? [] : sampleObjects(before)), ...own]);
}

const problemsOf = (raw: Record<string, unknown>): StackConfigProblem[] => checkStackConfig(raw).problems;

function routingProblems(routing: unknown, extra: Record<string, unknown> = {}): StackConfigProblem[] {
    return problemsOf({ namespace: "bookinfo", createNamespace: false, routing, ...extra });
}

const reviewsDr = { host: "reviews", subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] };
const reviewsVs = { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v1" } }] }] };

describe("routing: Istio's own objects as stack config", function () {
    this.timeout(60_000);

    describe("every traffic-management sample of the pinned istio module is valid stack config", () => {
        for (const file of TRAFFIC_SAMPLE_FILES) {
            it(file, () => {
                const routing = sampleRouting(file);
                expect(Object.keys(routing), "the sample has networking objects").to.not.have.length(0);
                expect(routingProblems(routing).map((p) => p.reason)).to.deep.equal([]);
            });
        }
    });

    describe("bad input: the CRD schema's rules, at the config path, with the rule", () => {
        const cases: [string, unknown, string, RegExp][] = [
            ["an unknown field, with a did-you-mean", { virtualServices: { r: { hosts: ["r"], http: [{ rout: [] }] } } }, "routing.virtualServices.r.http[0].rout", /did you mean "route"/],
            ["a misspelt kind key", { virtualService: {} }, "routing.virtualService", /did you mean "virtualServices"/],
            ["exact and prefix in one match", { virtualServices: { r: { hosts: ["r"], http: [{ match: [{ uri: { exact: "/a", prefix: "/b" } }], route: [{ destination: { host: "r" } }] }] } } }, "routing.virtualServices.r.http[0].match[0].uri", /at most one of exact, prefix, regex/],
            ["a timeout below 1ms", { virtualServices: { r: { hosts: ["r"], http: [{ timeout: "500us", route: [{ destination: { host: "r" } }] }] } } }, "routing.virtualServices.r.http[0].timeout", /at least 1ms/],
            ["a port out of range", { serviceEntries: { e: { hosts: ["a.example.com"], ports: [{ number: 70000, name: "http", protocol: "HTTP" }] } } }, "routing.serviceEntries.e.ports[0].number", /65535/],
            ["an unknown enum value", { serviceEntries: { e: { hosts: ["a.example.com"], resolution: "dns", ports: [{ number: 80, name: "http", protocol: "HTTP" }] } } }, "routing.serviceEntries.e.resolution", /did you mean "DNS"/],
            ["endpoints with resolution NONE", { serviceEntries: { e: { hosts: ["a.example.com"], endpoints: [{ address: "1.2.3.4" }], ports: [{ number: 80, name: "http", protocol: "HTTP" }] } } }, "routing.serviceEntries.e", /resolution NONE/],
            ["an object name that is no Kubernetes name", { gateways: { "My_Gateway": { servers: [] } } }, "routing.gateways.My_Gateway", /Kubernetes object name/],
            ["a string where a number belongs", { virtualServices: { r: { hosts: ["r"], http: [{ route: [{ destination: { host: "r" }, weight: "80" }] }] } } }, "routing.virtualServices.r.http[0].route[0].weight", /must be a number/],
        ];
        for (const [what, routing, path, rule] of cases) {
            it(what, () => {
                const problems = routingProblems(routing);
                const p = problems.find((x) => x.propertyPath === path);
                expect(p, JSON.stringify(problems, null, 1)).to.not.equal(undefined);
                expect(p?.reason).to.match(rule);
                expect(p?.fix).to.be.a("string").and.not.equal("");
            });
        }
    });

    describe("key material pasted into a routing object is refused and never echoed", () => {
        const pem = `-----BEGIN PRIVATE KEY-----\n${"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".repeat(8)}\n-----END PRIVATE KEY-----`;
        const gw = (tls: Record<string, unknown>): unknown => ({ gateways: { public: { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*"], tls }] } } });
        const cases: [string, unknown, string][] = [
            ["a Gateway's credentialName", gw({ mode: "SIMPLE", credentialName: pem }), "routing.gateways.public.servers[0].tls.credentialName"],
            ["a Gateway's credentialNames", gw({ mode: "SIMPLE", credentialNames: ["ok-name", pem] }), "routing.gateways.public.servers[0].tls.credentialNames"],
            ["a Gateway's privateKey", gw({ mode: "SIMPLE", serverCertificate: "/etc/certs/cert.pem", privateKey: pem }), "routing.gateways.public.servers[0].tls.privateKey"],
            ["a DestinationRule's clientCertificate", { destinationRules: { ext: { host: "api.example.com", trafficPolicy: { tls: { mode: "MUTUAL", clientCertificate: pem, privateKey: "/etc/k.pem" } } } } }, "routing.destinationRules.ext.trafficPolicy.tls.clientCertificate"],
        ];
        for (const [what, routing, path] of cases) {
            it(what, () => {
                const problems = routingProblems(routing);
                const p = problems.find((x) => x.propertyPath === path);
                expect(p, JSON.stringify(problems, null, 1)).to.not.equal(undefined);
                expect(p?.reason).to.match(/key material/);
                expect(JSON.stringify(problems)).to.not.include("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC");
            });
        }
    });

    describe("bad input: what Istio would accept and then ignore", () => {
        const cases: [string, unknown, Record<string, unknown>, string, RegExp][] = [
            ["a subset the host's DestinationRule does not define", { destinationRules: { reviews: reviewsDr }, virtualServices: { reviews: { hosts: ["reviews"], http: [{ route: [{ destination: { host: "reviews", subset: "v3" } }] }] } } }, {}, "routing.virtualServices.reviews.http[0].route[0].destination.subset", /defines no subset "v3".*503/],
            ["a subset of a local host without any DestinationRule", { virtualServices: { reviews: reviewsVs } }, {}, "routing.virtualServices.reviews.http[0].route[0].destination.subset", /no DestinationRule of this stack defines subsets for host "reviews"/],
            ["a gateway no one defines, with a did-you-mean", { gateways: { "bookinfo-gateway": { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] } }, virtualServices: { bi: { hosts: ["*"], gateways: ["bookinfo-gatway"], http: [{ route: [{ destination: { host: "productpage" } }] }] } } }, {}, "routing.virtualServices.bi.gateways[0]", /no Gateway of this stack is named "bookinfo-gatway"; did you mean "bookinfo-gateway"/],
            ["a second DestinationRule for one host", { destinationRules: { a: reviewsDr, b: reviewsDr } }, {}, "routing.destinationRules.b.host", /one DestinationRule per host/],
            ["a second mesh VirtualService for one host", { destinationRules: { reviews: reviewsDr }, virtualServices: { a: reviewsVs, b: reviewsVs } }, {}, "routing.virtualServices.b.hosts[0]", /already routes this host for the mesh/],
            ["a VirtualService for a host a service of the stack routes", { virtualServices: { mine: { hosts: ["sample-app"], http: [{ route: [{ destination: { host: "sample-app" } }] }] } } }, { services: { "sample-app": { image: "app:{version}", stable: { version: "v1" } } } }, "routing.virtualServices.mine.hosts[0]", /services\.sample-app already routes this host/],
            ["a delegate no root delegates to", { virtualServices: { orphan: { http: [{ route: [{ destination: { host: "reviews" } }] }] } } }, {}, "routing.virtualServices.orphan.hosts", /no route of this stack delegates to "orphan"/],
            ["tcp routes on a host whose ports all speak HTTP", { serviceEntries: { e: { hosts: ["api.example.com"], resolution: "DNS", ports: [{ number: 80, name: "http", protocol: "HTTP" }] } }, virtualServices: { e: { hosts: ["api.example.com"], tcp: [{ route: [{ destination: { host: "api.example.com" } }] }] } } }, {}, "routing.virtualServices.e.tcp", /every port speaks HTTP/],
            ["two namespace-wide Sidecars", { sidecars: { a: { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } }, b: { egress: [{ hosts: ["./*"] }] } } }, {}, "routing.sidecars.b.workloadSelector", /one such Sidecar per namespace/],
            ["a routing object that takes the name of one the stack makes", { virtualServices: { "sample-app": { hosts: ["other"], http: [{ route: [{ destination: { host: "other" } }] }] } } }, { services: { "sample-app": { image: "app:{version}", stable: { version: "v1" } } } }, "services.sample-app", /VirtualService "sample-app"/],
        ];
        for (const [what, routing, extra, path, rule] of cases) {
            it(what, () => {
                const problems = routingProblems(routing, extra);
                const p = problems.find((x) => x.propertyPath === path);
                expect(p, JSON.stringify(problems, null, 1)).to.not.equal(undefined);
                expect(p?.reason).to.match(rule);
            });
        }

    });

    describe("release: a routing VirtualService carries a service's own routes, the split mesh-release moves", () => {
        const app = { image: "app:{version}", port: 8080, stable: { version: "v1" }, canary: { version: "v2", weight: 20 }, pins: [{ header: "x-canary", exact: "yes" }] };
        const posts = { match: [{ method: { exact: "POST" } }], route: [{ destination: { host: "sample-app", subset: "stable" } }] };
        const withRelease = (vs: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
            namespace: "shop",
            createNamespace: false,
            services: { "sample-app": app },
            routing: { virtualServices: { "sample-app": vs } },
            ...extra,
        });
        const mesh = stacksUnderMocks();

        it("a mesh VirtualService with its own route first, then the service's pins and weighted catch-all; the service emits no VirtualService of its own", async () => {
            const cfg = parseStackConfig("test", withRelease({ hosts: ["sample-app"], http: [posts, { release: "sample-app" }] }));
            mesh.rec.reset();
            mesh.stacks.buildMeshStack(cfg);
            await mesh.rec.settled();
            const vss = mesh.rec.resources.filter((r) => r.type === "kubernetes:networking.istio.io/v1:VirtualService");
            expect(vss.map((r) => (r.inputs["metadata"] as { name: string }).name)).to.deep.equal(["sample-app"]);
            const http = (vss[0]?.inputs["spec"] as { http: { name?: string; route?: { destination: { subset?: string }; weight?: number }[] }[] }).http;
            expect(http[0]).to.deep.equal(posts);
            expect(http.map((r) => r.name)).to.deep.equal([undefined, ...http.slice(1).map((r) => r.name)]);
            const catchAll = http.find((r) => r.name === "catch-all");
            expect(catchAll?.route?.map((d) => [d.destination.subset, d.weight])).to.deep.equal([["stable", 80], ["canary", 20]]);
            expect(http.length).to.be.greaterThan(2);
            for (const o of mesh.rec.resources.filter((r) => String(r.type).startsWith("kubernetes:networking.istio.io/v1:"))) {
                expect(mesh.schema.validate({ apiVersion: o.inputs["apiVersion"], kind: o.inputs["kind"], metadata: o.inputs["metadata"], spec: o.inputs["spec"] })).to.deep.equal([]);
            }
        });

        it("a gateway-bound VirtualService gets the service's routes; the service keeps its mesh VirtualService", async () => {
            const cfg = parseStackConfig("test", withRelease({ hosts: ["shop.example.com"], gateways: ["public"], http: [{ release: "sample-app" }] }, {
                routing: {
                    gateways: { public: { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["shop.example.com"] }] } },
                    virtualServices: { "shop-public": { hosts: ["shop.example.com"], gateways: ["public"], http: [{ release: "sample-app" }] } },
                },
            }));
            mesh.rec.reset();
            mesh.stacks.buildMeshStack(cfg);
            await mesh.rec.settled();
            const vss = mesh.rec.resources.filter((r) => r.type === "kubernetes:networking.istio.io/v1:VirtualService");
            expect(vss.map((r) => (r.inputs["metadata"] as { name: string }).name).sort()).to.deep.equal(["sample-app", "shop-public"]);
            const own = (vss.find((r) => (r.inputs["metadata"] as { name: string }).name === "sample-app")?.inputs["spec"] as { http: unknown[] }).http;
            const gw = (vss.find((r) => (r.inputs["metadata"] as { name: string }).name === "shop-public")?.inputs["spec"] as { http: unknown[] }).http;
            expect(gw).to.deep.equal(own);
        });

        const bad: [string, Record<string, unknown>, string, RegExp][] = [
            ["a service the stack does not have, with a did-you-mean", withRelease({ hosts: ["sample-app"], http: [{ release: "sample-ap" }] }), "routing.virtualServices.sample-app.http[0].release", /did you mean "sample-app"/],
            ["release with other fields", withRelease({ hosts: ["sample-app"], http: [{ release: "sample-app", timeout: "5s" }] }), "routing.virtualServices.sample-app.http[0]", /takes no other field/],
            ["two releases in one VirtualService", withRelease({ hosts: ["sample-app"], http: [{ release: "sample-app" }, { release: "sample-app" }] }), "routing.virtualServices.sample-app.http[1].release", /never match/],
            ["a mesh release that leaves a host of the service unrouted", withRelease({ hosts: ["sample-app"], http: [{ release: "sample-app" }] }, { services: { "sample-app": { ...app, hosts: ["sample-app", "app.shop.svc.cluster.local"] } } }), "routing.virtualServices.sample-app.hosts", /list every host of the service/],
        ];
        for (const [what, raw, path, rule] of bad) {
            it(`refused: ${what}`, () => {
                const problems = problemsOf(raw);
                const p = problems.find((x) => x.propertyPath === path);
                expect(p, JSON.stringify(problems, null, 1)).to.not.equal(undefined);
                expect(p?.reason).to.match(rule);
            });
        }

        it("refused in a platform stack, which has no services", () => {
            const problems = problemsOf({ layout: "platform", namespace: "shop", routing: { gateways: { public: { selector: { istio: "ingressgateway" }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] } }, virtualServices: { gw: { hosts: ["*"], gateways: ["public"], http: [{ release: "sample-app" }] } } } });
            expect(problems.find((p) => p.propertyPath === "routing.virtualServices.gw.http[0].release")?.reason).to.match(/platform stack has no services/);
        });
    });

    describe("a service stack's route table: routing.virtualServices.<svc>, carried by its delegate", () => {
        const env = prodEnvironment();
        const checkout = env.services[0]?.config as Record<string, unknown>;
        const posts = { match: [{ method: { exact: "POST" } }], route: [{ destination: { host: "checkout", subset: "stable" } }], timeout: "3s" };
        const withTable = (table: Record<string, unknown>): Record<string, unknown> => ({ ...checkout, routing: table });
        const mesh = stacksUnderMocks();

        it("its routes come first in the delegate (which gateway roots and the mesh root both delegate to), then the service's pins and split", async () => {
            const platform = platformOutputs(parseStackConfig("prod", env.platform.config));
            const cfg = parseStackConfig("prod.checkout", withTable({ virtualServices: { checkout: { http: [posts, { release: "checkout" }] } } }));
            mesh.rec.reset();
            mesh.stacks.buildMeshStack(cfg, platform);
            await mesh.rec.settled();
            const vss = mesh.rec.resources.filter((r) => r.type === "kubernetes:networking.istio.io/v1:VirtualService");
            const byName = (n: string): { http: Record<string, unknown>[] } | undefined => vss.find((r) => (r.inputs["metadata"] as { name: string }).name === n)?.inputs["spec"] as { http: Record<string, unknown>[] } | undefined;
            const delegate = byName("checkout-delegate");
            expect(delegate?.http[0]).to.deep.equal(posts);
            expect(delegate?.http.some((r) => r["name"] === "catch-all")).to.equal(true);
            expect(byName("checkout")?.http).to.deep.equal([{ delegate: { name: "checkout-delegate", namespace: "shop" } }]);
            expect(vss.map((r) => (r.inputs["metadata"] as { name: string }).name).sort()).to.deep.equal(["checkout", "checkout-delegate"]);
        });

        it("the environment refuses a platform routing object for a host a service stack owns; a gateway-bound one is fine", () => {
            const e = prodEnvironment();
            e.platform.config["routing"] = {
                destinationRules: { "checkout-policy": { host: "checkout.shop.svc.cluster.local", trafficPolicy: { loadBalancer: { simple: "RANDOM" } } } },
                virtualServices: {
                    mine: { hosts: ["checkout"], http: [{ route: [{ destination: { host: "checkout" } }] }] },
                    edge: { hosts: ["checkout"], gateways: ["ingress"], http: [{ route: [{ destination: { host: "checkout" } }] }] },
                },
            };
            const problems = checkEnvironment(e.platform, e.services);
            expect(problems.map((p) => `${p.stack} ${p.propertyPath}`)).to.deep.equal(["prod routing.virtualServices.mine.hosts[0]", "prod routing.destinationRules.checkout-policy.host"]);
            expect(problems[0]?.reason).to.match(/a host of service checkout \(stack "prod.checkout"\)/);
        });

        const bad: [string, Record<string, unknown>, string, RegExp][] = [
            ["a DestinationRule (the platform stack's)", { destinationRules: { x: reviewsDr } }, "routing.destinationRules", /belong in the platform stack/],
            ["a VirtualService named otherwise", { virtualServices: { other: { http: [{ release: "checkout" }] } } }, "routing.virtualServices.other", /named like its service \("checkout"\)/],
            ["gateways", { virtualServices: { checkout: { gateways: ["shop/ingress"], http: [{ release: "checkout" }] } } }, "routing.virtualServices.checkout.gateways", /platform stack binds gateways/],
            ["tcp routes, which a delegate cannot carry", { virtualServices: { checkout: { tcp: [{ route: [{ destination: { host: "checkout" } }] }], http: [{ release: "checkout" }] } } }, "routing.virtualServices.checkout.tcp", /drops tcp routes from a delegate/],
            ["no release at the end", { virtualServices: { checkout: { http: [posts] } } }, "routing.virtualServices.checkout.http", /must end with the route \{ release: checkout \}/],
            ["other hosts", { virtualServices: { checkout: { hosts: ["cart"], http: [{ release: "checkout" }] } } }, "routing.virtualServices.checkout.hosts", /the service's own hosts/],
            ["a subset the service does not have", { virtualServices: { checkout: { http: [{ route: [{ destination: { host: "checkout", subset: "v9" } }] }, { release: "checkout" }] } } }, "routing.virtualServices.checkout.http[0].route[0].destination.subset", /defines no subset "v9"/],
            ["a route after the release", { virtualServices: { checkout: { http: [{ release: "checkout" }, posts] } } }, "routing.virtualServices.checkout.http[0].release", /would never match/],
        ];
        for (const [what, table, path, rule] of bad) {
            it(`refused: ${what}`, () => {
                const problems = problemsOf(withTable(table));
                const p = problems.find((x) => x.propertyPath === path);
                expect(p, JSON.stringify(problems, null, 1)).to.not.equal(undefined);
                expect(p?.reason).to.match(rule);
            });
        }
    });

    describe("services.<svc>.deploy false: workloads deployed elsewhere (Helm, another stack), routed and released here", () => {
        const mesh = stacksUnderMocks();
        const helm = { deploy: false, port: 9080, stable: { version: "v1" }, canary: { version: "v2", weight: 10 } };

        it("makes no Deployment and no Service, only the DestinationRule (subsets by version label) and the VirtualService", async () => {
            const cfg = parseStackConfig("test", { namespace: "bookinfo", createNamespace: false, services: { reviews: helm } });
            mesh.rec.reset();
            mesh.stacks.buildMeshStack(cfg);
            await mesh.rec.settled();
            expect(mesh.rec.byType("kubernetes:apps/v1:Deployment")).to.deep.equal([]);
            expect(mesh.rec.byType("kubernetes:core/v1:Service")).to.deep.equal([]);
            const dr = mesh.rec.byType("kubernetes:networking.istio.io/v1:DestinationRule")[0]?.inputs["spec"] as { subsets: { name: string; labels: Record<string, string> }[] };
            expect(dr.subsets.map((x) => [x.name, x.labels["version"]])).to.deep.equal([["stable", "v1"], ["canary", "v2"]]);
            expect(mesh.rec.byType("kubernetes:networking.istio.io/v1:VirtualService")).to.have.length(1);
        });

        it("refused: a deployed service without an image; settings that only workloads made here would use", () => {
            const missing = problemsOf({ namespace: "x", services: { reviews: { stable: { version: "v1" } } } });
            expect(missing.map((p) => p.propertyPath)).to.deep.equal(["services.reviews.image"]);
            expect(missing[0]?.reason).to.match(/required while services.reviews.deploy is true/);
            expect(missing[0]?.fix).to.match(/deploy' false/);
            const unused = problemsOf({ namespace: "x", services: { reviews: { ...helm, image: "r:{version}", stable: { version: "v1", replicas: 2 } } } });
            expect(unused.map((p) => p.propertyPath)).to.deep.equal(["services.reviews.image", "services.reviews.stable.replicas"]);
            expect(unused[0]?.reason).to.match(/deploy is false: this stack makes no workloads/);
        });
    });

    describe("under mocks: each object is emitted once, by name, spec verbatim", () => {
        const mesh = stacksUnderMocks();

        it("bookinfo's destination rules and the reviews 80/20 split, VirtualServices after what they reference", async () => {
            const routing = sampleRouting("bookinfo/networking/virtual-service-reviews-80-20.yaml");
            const cfg = parseStackConfig("test", { namespace: "bookinfo", createNamespace: false, routing });
            mesh.rec.reset();
            mesh.stacks.buildMeshStack(cfg);
            await mesh.rec.settled();
            const istio = mesh.rec.resources.filter((r) => String(r.type).startsWith("kubernetes:networking.istio.io/v1:"));
            const expected = [...sampleObjects("bookinfo/networking/destination-rule-all.yaml"), ...sampleObjects("bookinfo/networking/virtual-service-reviews-80-20.yaml")];
            expect(istio.map((r) => `${String(r.inputs["kind"])}/${String((r.inputs["metadata"] as { name: string }).name)}`).sort()).to.deep.equal(expected.map((o) => `${o.kind}/${o.metadata.name}`).sort());
            for (const o of expected) {
                const r = istio.find((x) => x.inputs["kind"] === o.kind && (x.inputs["metadata"] as { name: string }).name === o.metadata.name);
                expect(r?.inputs["spec"], `${o.kind}/${o.metadata.name}`).to.deep.equal(o.spec);
                expect((r?.inputs["metadata"] as { namespace: string }).namespace).to.equal("bookinfo");
                expect(r?.inputs["apiVersion"]).to.equal("networking.istio.io/v1");
            }
            for (const o of istio) {
                const problems = mesh.schema.validate({ apiVersion: o.inputs["apiVersion"], kind: o.inputs["kind"], metadata: o.inputs["metadata"], spec: o.inputs["spec"] });
                expect(problems, JSON.stringify(problems)).to.deep.equal([]);
            }
        });
    });
});
