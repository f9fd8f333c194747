/**
 * The README's table of the pinned istio module's Istio-API samples (what test/e2e/istiod/samples.test.ts proves of
 * each: equal xDS from istiod as written and as our stack makes it from `mesh-release import`, or why not) is the
 * one test/support/sampleOracle.ts `oracleTable` generates: a sample added by a newer module, a sample newly covered
 * or newly refused changes the table, and this test says what to paste.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import { gatewayApiSampleFiles, istioApiSampleFiles } from "../../support/istioSamples";
import { checkStackConfig } from "../../../stacks/config";
import {
    GATEWAY_API_CASES,
    GATEWAY_API_NOT_COVERED,
    IMPORT_REFUSES,
    NOT_COVERED,
    oracleTable,
    sampleCases,
    sampleGatewayName,
    versionServiceAliases,
    versionServicesMissing,
} from "../../support/sampleOracle";

const README = path.resolve(__dirname, "..", "..", "..", "README.md");
const START = "<!-- samples-oracle:start (test/unit/importer/oracleTable.test.ts) -->";
const END = "<!-- samples-oracle:end -->";

describe("README: the Istio-API samples istiod proves (the oracle's table)", () => {
    it("the README's table is the generated one", () => {
        const readme = fs.readFileSync(README, "utf8");
        const from = readme.indexOf(START);
        const to = readme.indexOf(END);
        expect(from, `README.md has a line ${START}`).to.be.greaterThan(-1);
        expect(to, `README.md has a line ${END} after it`).to.be.greaterThan(from);
        const table = readme.slice(from + START.length, to).trim();
        const want = oracleTable();
        expect(table, `README.md's table between the markers must be:\n${want}\n`).to.equal(want);
    });

    it("every Istio-API sample is in one of the table's three classes, and the reasons name real files", () => {
        const all = istioApiSampleFiles();
        const covered = sampleCases().map((c) => c.file);
        expect([...covered, ...Object.keys(NOT_COVERED)].sort()).to.deep.equal(all);
        expect(Object.keys(IMPORT_REFUSES).filter((f) => !covered.includes(f)), "refusals are of covered files").to.deep.equal([]);
        expect(all.filter((f) => f.startsWith("bookinfo/networking/")).length).to.be.greaterThanOrEqual(20);
        expect(covered).to.include.members(["tcp-echo/tcp-echo-20-v2.yaml", "websockets/route.yaml", "extauthz/local-ext-authz.yaml", "external/github.yaml", "httpbin/httpbin-gateway.yaml", "helloworld/helloworld-gateway.yaml"]);
    });

    it("every Gateway API sample is compared (GATEWAY_API_CASES) or not covered with a reason (GATEWAY_API_NOT_COVERED), never both", () => {
        const all = gatewayApiSampleFiles();
        const compared = GATEWAY_API_CASES.map((c) => c.file);
        expect([...compared, ...Object.keys(GATEWAY_API_NOT_COVERED)].sort()).to.deep.equal(all);
        expect(compared).to.include.members(["bookinfo/gateway-api/route-reviews-90-10.yaml", "bookinfo/gateway-api/route-all-v1.yaml"]);
        // the plain-HTTP Gateways (ingress.protocol HTTP, hosts "*", exact paths)
        expect(compared).to.include.members([
            "bookinfo/gateway-api/bookinfo-gateway.yaml",
            "ambient-argo/application/ingress-gateway.yaml",
            "helloworld/gateway-api/helloworld-gateway.yaml",
            "helloworld/gateway-api/helloworld-route.yaml",
            "httpbin/gateway-api/httpbin-gateway.yaml",
        ]);
    });

    it("every Gateway API fixture is a config the program takes (what the e2e test applies), and names the sample's Gateway when it has one", () => {
        for (const c of GATEWAY_API_CASES) {
            const raw = { namespace: "oracle", createNamespace: false, routingApi: "gateway-api", services: c.services, ...(c.ingress === undefined ? {} : { ingress: c.ingress }) };
            expect(checkStackConfig(raw).problems, c.file).to.deep.equal([]);
            expect(sampleGatewayName(c) !== undefined, `${c.file}: a sample with a Gateway has an ingress fixture, and only then`).to.equal(c.ingress !== undefined);
        }
        const bookinfo = GATEWAY_API_CASES.find((c) => c.file === "bookinfo/gateway-api/bookinfo-gateway.yaml");
        expect(bookinfo === undefined ? [] : versionServiceAliases(bookinfo)).to.deep.equal([["productpage-v1", "productpage"]]);
        const httpbin = GATEWAY_API_CASES.find((c) => c.file === "httpbin/gateway-api/httpbin-gateway.yaml");
        expect(httpbin === undefined ? [] : versionServicesMissing(httpbin)).to.deep.equal(["httpbin-v1"]);
    });
});
