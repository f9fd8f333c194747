/**
 * `mesh-release import` through the CLI (release/cli/program.ts -> importer/command.ts), on the unit CLI runner: exit 0
 * with the fragment on stdout and the summary on stderr; exit 2 for a refusal naming every problem; exit 2 for a
 * bad option, named while parsing, before any file is read; --help says where the routing of the per-service
 * layout goes.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { harness, runCliOn } from "../release/fakes";

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: web-gateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: { number: 80, name: http, protocol: HTTP }
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: web
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match:
    - uri: { exact: /productpage }
    route:
    - destination: { host: productpage, port: { number: 9080 } }
`;

describe("mesh-release import (CLI)", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "mesh-import-cli-"));
        fs.writeFileSync(path.join(dir, "gateway.yaml"), GATEWAY);
        fs.writeFileSync(path.join(dir, "mixed.yaml"), `${GATEWAY}---\napiVersion: v1\nkind: Service\nmetadata: { name: productpage }\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: web }\nspec: {}\n`);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const run = (...argv: string[]): ReturnType<typeof runCliOn> => runCliOn(["import", ...argv], harness());

    it("a file: exit 0, the fragment to paste under config: on stdout, the summary on stderr", async () => {
        const r = await run(path.join(dir, "gateway.yaml"));
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^ {2}mesh-traffic:routing:\n {4}virtualServices:\n {6}web:\n/);
        const config = (parse(`config:\n${r.stdout}`) as { config: Record<string, { virtualServices: Record<string, unknown>; gateways: Record<string, unknown> }> }).config;
        expect(Object.keys(config["mesh-traffic:routing"]?.gateways ?? {})).to.deep.equal(["web-gateway"]);
        expect(config["mesh-traffic:routing"]?.virtualServices["web"]).to.deep.equal({ hosts: ["*"], gateways: ["web-gateway"], http: [{ match: [{ uri: { exact: "/productpage" } }], route: [{ destination: { host: "productpage", port: { number: 9080 } } }] }] });
        expect(r.stderr).to.equal("mesh-release import: 2 objects (1 VirtualService, 1 Gateway): paste the fragment under config: of Pulumi.<stack>.yaml, or run again with --stack <name>\n");
    });

    it("a refusal: exit 2, every problem named with file, document, kind and name, nothing on stdout", async () => {
        const file = path.join(dir, "mixed.yaml");
        const r = await run(file);
        expect(r.code).to.equal(2);
        expect(r.stdout).to.equal("");
        expect(r.stderr).to.include("2 problems in the input (nothing was written)");
        expect(r.stderr).to.include(`${file} document 3 (Service productpage): Service (v1) is not an Istio traffic object`);
        expect(r.stderr).to.include(`${file} document 4 (VirtualService web): a second VirtualService named web (the first: ${file} document 2 (VirtualService web))`);
    });

    it("bad options: exit 2 while parsing, each named (a missing file, --namespace, --replace without --stack, --layout)", async () => {
        const r = await run(path.join(dir, "nope.yaml"), "--namespace", "Shop_1", "--replace");
        expect(r.code).to.equal(2);
        expect(r.stderr).to.include("3 options are invalid");
        expect(r.stderr).to.include(`nope.yaml is not a file (${path.join(dir, "nope.yaml")} does not exist)`);
        expect(r.stderr).to.include('--namespace is "Shop_1"; it must be a namespace name (a DNS-1123 label');
        expect(r.stderr).to.include("--replace replaces routing objects of the stack given with --stack");
        const layout = await run(path.join(dir, "gateway.yaml"), "--layout", "service");
        expect(layout.code).to.equal(2);
        expect(layout.stderr).to.include("Allowed choices are single, platform");
        const none = await run();
        expect(none.code).to.equal(2);
        expect(none.stderr).to.include("missing required argument 'files'");
    });

    it("--layout platform: the fragment, and stderr says it goes to the platform stack", async () => {
        const r = await run("--layout", "platform", path.join(dir, "gateway.yaml"));
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.include("mesh-traffic:routing:");
        expect(r.stderr).to.include("paste the fragment under config: of the platform stack (Pulumi.<env>.yaml; never a service stack's)");
    });

    it("--help: exit 0, says the per-service layout's routing goes to the platform stack", async () => {
        const r = await run("--help");
        expect(r.code).to.equal(0);
        expect(r.stdout).to.include("Per-service layout (--layout platform): the routing goes to the platform stack (<env>), never to a service stack");
        expect(r.stdout).to.include("--skip-unsupported");
    });
});
