/**
 * test/support/xdsSummary.ts, which puts names aside in istiod's answers for two namespaces: whole-token replacement
 * (a namespace inside a longer one, an IP inside a longer one, are left alone), undecoded `Any` bytes compared as text,
 * filter chains in one order, and the diff that a failing oracle test prints.
 */
import { expect } from "chai";
import { jsonDiff, nameReplacer, normalise } from "../../support/xdsSummary";

describe("xdsSummary: istiod's answers with names put aside", () => {
    const replace = nameReplacer([["oracle-x-a1", "<ns>"], ["10.0.0.1", "<ip:reviews>"]]);

    it("replaces names and IPs as whole tokens only", () => {
        expect(replace("outbound|9080|v1|reviews.oracle-x-a1.svc.cluster.local")).to.equal("outbound|9080|v1|reviews.<ns>.svc.cluster.local");
        expect(replace("/apis/networking.istio.io/v1/namespaces/oracle-x-a1/virtual-service/reviews")).to.equal("/apis/networking.istio.io/v1/namespaces/<ns>/virtual-service/reviews");
        expect(replace("oracle-x-a12.svc")).to.equal("oracle-x-a12.svc");
        expect(replace("10.0.0.1_9080")).to.equal("<ip:reviews>_9080");
        expect(replace("10.0.0.12_9080")).to.equal("10.0.0.12_9080");
        expect(replace("110.0.0.1")).to.equal("110.0.0.1");
    });

    it("compares an Any without a proto by its bytes as text, names replaced", () => {
        const bytes = (ns: string): string => Buffer.from(`\n:outbound|27017||mongodb.${ns}.svc.cluster.local`, "latin1").toString("base64");
        const a = normalise({ typedConfig: { typeUrl: "type.googleapis.com/envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy", value: bytes("oracle-x-a1") } }, replace);
        const b = normalise({ typedConfig: { typeUrl: "type.googleapis.com/envoy.extensions.filters.network.mongo_proxy.v3.MongoProxy", value: bytes("oracle-x-b1") } }, nameReplacer([["oracle-x-b1", "<ns>"]]));
        expect(a).to.deep.equal(b);
        const c = normalise({ typedConfig: { typeUrl: "t", value: bytes("other-ns-zz") } }, replace);
        expect(c).to.not.deep.equal(normalise({ typedConfig: { typeUrl: "t", value: bytes("oracle-x-a1") } }, replace));
    });

    it("diffs named elements by name, reports their order, and values by path", () => {
        const a = { routes: [{ name: "r1", x: 1 }, { name: "r2", x: 2 }] };
        expect(jsonDiff(a, a)).to.deep.equal([]);
        expect(jsonDiff(a, { routes: [{ name: "r1", x: 1 }, { name: "r2", x: 3 }] })).to.deep.equal([".routes[r2].x: 2 | 3"]);
        expect(jsonDiff(a, { routes: [{ name: "r2", x: 2 }, { name: "r1", x: 1 }] })).to.deep.equal(['.routes: order ["r1","r2"] | ["r2","r1"]']);
        expect(jsonDiff(a, { routes: [{ name: "r1", x: 1 }] })).to.deep.equal(['.routes[r2]: {"name":"r2","x":2} | (absent)']);
        expect(jsonDiff({ w: [1, 2] }, { w: [2, 1] })).to.deep.equal([".w[0]: 1 | 2", ".w[1]: 2 | 1"]);
    });
});
