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

        it("a service stack refuses routing and names the platform stack as its place", () => {
            const problems = problemsOf({ layout: "service", platformStack: "dev", services: { "sample-app": { image: "app:{version}", stable: { version: "v1" } } }, routing: { virtualServices: { r: reviewsVs } } });
            const p = problems.find((x) => x.propertyPath === "routing");
            expect(p?.reason, JSON.stringify(problems)).to.match(/platform stack/);
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
