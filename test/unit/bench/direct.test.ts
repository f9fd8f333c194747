/**
 * The bench's "same change" written straight to the API server (bench/lib/direct.ts): which objects a step changed,
 * their copies, and the copies at a weight. Pure parts only; the writes themselves run in the benches.
 */
import { expect } from "chai";
import { atWeight, changedObjects, directCopies, type ApplyObject } from "../../../bench/lib/direct";

const vs = (name: string, stable: number, canary: number): ApplyObject => ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace: "ns", labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    spec: { http: [{ match: [{ headers: { x: { exact: "1" } } }], route: [{ destination: { host: name, subset: "canary" } }] }, { route: [{ destination: { host: name, subset: "stable" }, weight: stable }, { destination: { host: name, subset: "canary" }, weight: canary }] }] },
});

describe("bench: the direct and kubectl writes of a step's change (bench/lib/direct.ts)", () => {
    it("changedObjects: the objects whose spec the step changed, and new ones; unchanged ones are left out", () => {
        const before = [vs("a-delegate", 100, 0), vs("a", 100, 0), vs("b", 90, 10)];
        const after = [vs("a-delegate", 80, 20), vs("a", 100, 0), vs("b", 90, 10), vs("c", 50, 50)];
        expect(changedObjects(before, after).map((o) => o.metadata.name)).to.deep.equal(["a-delegate", "c"]);
    });

    it("directCopies + atWeight: `<name>-direct` in the namespace, the bench's label only, the split routes at the weight and nothing else changed", () => {
        const original = vs("a-delegate", 80, 20);
        const [copy] = atWeight(directCopies([original], "ns"), 10);
        expect(copy?.metadata).to.deep.equal({ name: "a-delegate-direct", namespace: "ns", labels: { "app.kubernetes.io/part-of": "mesh-bench" } });
        expect(copy?.["spec"]).to.deep.equal(vs("a-delegate", 90, 10)["spec"]);
        expect(original["spec"], "the original is not mutated").to.deep.equal(vs("a-delegate", 80, 20)["spec"]);
    });
});
