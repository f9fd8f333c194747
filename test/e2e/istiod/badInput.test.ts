/**
 * Config that Istio's CRD schema accepts but istiod drops or warns about, each case shown on the real istiod with
 * objects written straight to the API server (as someone bypassing our validation would), then refused by our own
 * validation before `up` for the equivalent stack config (path, rule, fix):
 * - a redirect code istiod does not translate (any 3xx but 301, 302, 303, 307, 308): istiod logs "Redirect Code N
 *   is not yet supported" and sends the route without an action;
 * - a routed version without pods (replicas 0): istiod reports the subset's cluster without instances
 *   (push status pilot_eds_no_instances) and sends it no endpoint, so Envoy would answer that share with 503 UH.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { parseStackConfig, StackConfigError } from "../../../stacks/readConfig";
import { sidecarNode, TYPE, XdsClient, type Resource } from "../../../sim/xds/client";
import { endpointVersions, findVirtualHost } from "../../../sim/xds/plan";
import { connectCluster } from "../../support/cluster";
import { ensureIstiod, IstiodDebug, type IstiodHandle } from "../../support/istiod";
import { baseStackConfig, sampleApp } from "../../support/stackFixtures";
import { deleteRaw, ensureCreated } from "../stack/kubeRaw";
import type { KubeObject } from "../../support/cluster";

describe("bad input istiod drops or warns about (real istiod), refused by our validation before up", function () {
    this.timeout(300_000);
    const ns = `mesh-bad-${randomBytes(4).toString("hex")}`;
    const fqdn = `sample-app.${ns}.svc.cluster.local`;
    let istiod: IstiodHandle;
    let debug: IstiodDebug;
    let client: XdsClient | undefined;
    let offset = 0;
    const kc = () => connectCluster().kubeConfig;
    const objects: KubeObject[] = [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
        {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "sample-app", namespace: ns },
            spec: { selector: { app: "sample-app" }, ports: [{ name: "http", port: 8080, targetPort: 8080 }] },
        },
        // v1 has a pod (its stand-in); v2 has none, as a Deployment with 0 replicas.
        { apiVersion: "networking.istio.io/v1", kind: "WorkloadEntry", metadata: { name: "sample-app-v1", namespace: ns }, spec: { address: "127.0.0.1", labels: { app: "sample-app", version: "v1" }, ports: { http: 20999 } } },
        {
            apiVersion: "networking.istio.io/v1",
            kind: "DestinationRule",
            metadata: { name: "sample-app", namespace: ns },
            spec: { host: "sample-app", subsets: [{ name: "stable", labels: { version: "v1" } }, { name: "canary", labels: { version: "v2" } }] },
        },
        {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "sample-app", namespace: ns },
            spec: {
                hosts: ["sample-app"],
                http: [
                    { name: "redirect-0", match: [{ uri: { prefix: "/old" } }], redirect: { uri: "/new", redirectCode: 305 } },
                    {
                        name: "catch-all",
                        route: [
                            { destination: { host: "sample-app", subset: "stable" }, weight: 75 },
                            { destination: { host: "sample-app", subset: "canary" }, weight: 25 },
                        ],
                    },
                ],
            },
        },
    ];

    before(async function () {
        this.timeout(1_900_000); // on a cold machine this waits for the background pilot-discovery build
        istiod = await ensureIstiod();
        debug = new IstiodDebug(istiod);
        offset = debug.logOffset();
        // The API server (with Istio's CRD schema) accepts every object as it is.
        for (const o of objects) expect(await ensureCreated(kc(), o), `${o.kind}/${o.metadata.name} created`).to.equal(true);
        client = new XdsClient({ address: istiod.xdsAddress, node: sidecarNode({ namespace: ns, podName: "bad-client", ip: "10.254.4.1", labels: { app: "client" } }) });
    });

    after(async () => {
        client?.close();
        for (const o of [...objects].reverse()) await deleteRaw(kc(), o).catch(() => undefined);
    });

    it("redirectCode 305: istiod warns and sends the route without an action; our validation refuses it at services.<svc>.redirects[0].redirectCode", async () => {
        const vh = await client!.waitFor("the sample-app virtual host", (c) => findVirtualHost(c.resources(TYPE.route), { name: "sample-app", namespace: ns }, 8080));
        const route = ((vh["routes"] ?? []) as Resource[]).find((r) => r["name"] === "redirect-0");
        expect(route, "istiod still sends the route").to.not.equal(undefined);
        expect(Object.keys(route ?? {}).filter((k) => ["redirect", "route", "directResponse"].includes(k)), "its action").to.deep.equal([]);
        const deadline = Date.now() + 10_000;
        let warned: string[] = [];
        while (warned.length === 0 && Date.now() < deadline) {
            warned = debug.logSince(offset).filter((l) => l.includes("Redirect Code 305 is not yet supported"));
            await new Promise((r) => setTimeout(r, 200));
        }
        expect(warned, "istiod's warning").to.have.length.greaterThan(0);

        const raw = baseStackConfig();
        sampleApp(raw)["redirects"] = [{ prefix: "/old", uri: "/new", redirectCode: 305 }];
        expect(() => parseStackConfig("bad", raw, { secretKeys: [] })).to.throw(StackConfigError, /services\.sample-app\.redirects\[0\]\.redirectCode is 305; istiod only translates 301, 302, 303, 307, 308/);
    });

    it("a routed canary without pods: istiod reports its cluster without instances and sends no endpoint; our validation refuses replicas 0", async () => {
        const eps = await client!.waitFor("the subsets' endpoints", (c) => {
            const cla = c.resources(TYPE.endpoint);
            const stable = cla.find((e) => e["clusterName"] === `outbound|8080|stable|${fqdn}`);
            const canary = cla.find((e) => e["clusterName"] === `outbound|8080|canary|${fqdn}`);
            return stable !== undefined && canary !== undefined ? { stable: endpointVersions(stable), canary: endpointVersions(canary) } : undefined;
        });
        expect(eps).to.deep.equal({ stable: ["v1"], canary: [] });
        const deadline = Date.now() + 10_000;
        let status: Record<string, unknown> = {};
        while (Date.now() < deadline) {
            status = await debug.pushStatus();
            if (JSON.stringify(status["pilot_eds_no_instances"] ?? {}).includes(`outbound|8080|canary|${fqdn}`)) break;
            await new Promise((r) => setTimeout(r, 200));
        }
        expect(Object.keys((status["pilot_eds_no_instances"] ?? {}) as Record<string, unknown>), "push status pilot_eds_no_instances").to.include(`outbound|8080|canary|${fqdn}`);

        const raw = baseStackConfig();
        const s = sampleApp(raw);
        s.canary = { ...s.canary, version: "v2", weight: 25, replicas: 0 };
        expect(() => parseStackConfig("bad", raw, { secretKeys: [] })).to.throw(StackConfigError, /services\.sample-app\.canary\.replicas is 0 but the catch-all route sends 25 % to the canary version "v2"/);
    });
});
