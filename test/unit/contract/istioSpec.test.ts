/**
 * contract/istioSpec.ts: the `routing` key's Istio specs as zod schemas from the pinned CRD bundle. The committed
 * schemas (contract/istio/specs.json) are the bundle's, every CEL rule of the five kinds is known (loading a kind
 * with an unknown rule fails), and the conversion keeps what the API server would refuse refused.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { CEL_RULES, istioSpecSchema, ROUTING_KINDS } from "../../../contract/istioSpec";
import { extractSpecSchemas, pinnedBundle, REGENERATE_SPECS, SPECS_FILE } from "../../../scripts/istio-spec-schemas";

const ROOT = path.resolve(__dirname, "..", "..", "..");

describe("contract/istioSpec.ts: Istio's specs from the pinned CRDs", function () {
    this.timeout(180_000);

    it(`${SPECS_FILE} is the pinned bundle's (else run: ${REGENERATE_SPECS})`, () => {
        const { file, version } = pinnedBundle();
        expect(fs.readFileSync(path.join(ROOT, SPECS_FILE), "utf8") === extractSpecSchemas(fs.readFileSync(file, "utf8"), version), `${SPECS_FILE} is out of date; run: ${REGENERATE_SPECS}`).to.equal(true);
    });

    it("every kind loads: each CEL rule the five kinds carry is one CEL_RULES knows", () => {
        for (const kind of ROUTING_KINDS) expect(() => istioSpecSchema(kind), kind).to.not.throw();
        const text = fs.readFileSync(path.join(ROOT, SPECS_FILE), "utf8");
        for (const m of text.matchAll(/"rule": "((?:[^"\\]|\\.)*)"/g)) {
            const rule = JSON.parse(`"${m[1] ?? ""}"`) as string;
            expect(CEL_RULES, rule).to.have.property(rule.trim());
        }
    });

    const cases: [string, "VirtualService" | "DestinationRule" | "ServiceEntry" | "Gateway" | "Sidecar", unknown, boolean][] = [
        ["a minimal VirtualService", "VirtualService", { hosts: ["r"], http: [{ route: [{ destination: { host: "r" } }] }] }, true],
        ["an unknown field", "VirtualService", { hosts: ["r"], bogus: 1 }, false],
        ["a destination without its required host", "VirtualService", { hosts: ["r"], http: [{ route: [{ destination: { subset: "v1" } }] }] }, false],
        ["a duration of 0.5ms", "VirtualService", { hosts: ["r"], http: [{ timeout: "0.5ms", route: [{ destination: { host: "r" } }] }] }, false],
        ["a duration that is no Go duration", "DestinationRule", { host: "r", trafficPolicy: { connectionPool: { tcp: { connectTimeout: "1d" } } } }, false],
        ["two consistent-hash keys", "DestinationRule", { host: "r", trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x", useSourceIp: true } } } }, false],
        ["simple and consistentHash together", "DestinationRule", { host: "r", trafficPolicy: { loadBalancer: { simple: "RANDOM", consistentHash: { useSourceIp: true } } } }, false],
        ["locality failover", "DestinationRule", { host: "r", trafficPolicy: { loadBalancer: { localityLbSetting: { enabled: true, failover: [{ from: "us-east", to: "eu-west" }] } }, outlierDetection: { consecutive5xxErrors: 7, interval: "5m", baseEjectionTime: "15m" } } }, true],
        ["a ServiceEntry port used twice", "ServiceEntry", { hosts: ["a.example.com"], ports: [{ number: 80, name: "a", protocol: "HTTP" }, { number: 80, name: "b", protocol: "HTTP" }] }, false],
        ["DNS_ROUND_ROBIN with two endpoints", "ServiceEntry", { hosts: ["a.example.com"], resolution: "DNS_ROUND_ROBIN", endpoints: [{ address: "a" }, { address: "b" }], ports: [{ number: 80, name: "h", protocol: "HTTP" }] }, false],
        ["a Gateway server with credentialName and credentialNames", "Gateway", { servers: [{ port: { number: 443, name: "https", protocol: "HTTPS" }, hosts: ["*"], tls: { mode: "SIMPLE", credentialName: "a", credentialNames: ["b"] } }] }, false],
        ["a Sidecar with REGISTRY_ONLY", "Sidecar", { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } }, true],
        ["a workloadSelector label value with a wildcard", "Sidecar", { workloadSelector: { labels: { app: "*" } } }, false],
    ];
    for (const [what, kind, spec, valid] of cases) {
        it(`${what}: ${valid ? "accepted" : "refused"}`, () => {
            const res = istioSpecSchema(kind).safeParse(spec);
            expect(res.success, JSON.stringify(res.error?.issues)).to.equal(valid);
        });
    }
});
