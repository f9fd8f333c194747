/**
 * The importer runs the Pulumi program's own config check on what it would write (importer/check.ts -> stacks/config.ts
 * `checkStackConfig`): a spec the stack config refuses is refused by the import, at the input's object and its
 * `spec.<path>`, with the check's rule; a clash with what the stack already makes is named too; a problem the stack
 * had before the import is not the import's (counted, and the import goes ahead).
 */
import { expect } from "chai";
import * as fs from "node:fs";
import { stringify } from "yaml";
import { importFiles, type ImportRun } from "./run";
import { stackConfig, SVC } from "../release/fakes";
import { prodEnvironment } from "../../support/environments";

const lines = (r: ImportRun): string[] => r.stderr.split("\n").filter((l) => l.startsWith("  - "));

/** A stack settings file of the release fakes' stack config (one service, sample-app, in namespace shop), with `extra` keys. */
const stackFile = (extra: Record<string, unknown> = {}): string =>
    `# a stack\n${stringify({ config: Object.fromEntries(Object.entries({ ...stackConfig(), ...extra }).map(([k, v]) => [`mesh-traffic:${k}`, v])) })}`;

describe("importer: what it writes passes the stack config check (pulumi up's)", () => {
    const tmp: string[] = [];
    const run = async (files: Record<string, string>, req: Parameters<typeof importFiles>[1] = {}): Promise<ImportRun> => {
        const r = await importFiles(files, req);
        tmp.push(r.dir);
        return r;
    };
    after(() => tmp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("an unknown spec field: refused at the object and spec path, with the check's did-you-mean", async () => {
        const r = await run({ "vs.yaml": "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: web }\nspec:\n  hosts: [web]\n  http:\n  - rout:\n    - destination: { host: web }\n" });
        expect(r.code).to.equal(2);
        expect(lines(r)).to.have.length(1);
        expect(lines(r)[0]).to.include("vs.yaml document 1 (VirtualService web): spec.http[0].rout");
        expect(lines(r)[0]).to.include('did you mean "route"');
        expect(lines(r)[0]).to.include("(the stack config check, which pulumi up runs); fix: correct spec.http[0].rout in the input and import again");
    });

    it("a subset no DestinationRule defines (Istio answers 503): refused, naming the subset and the fix", async () => {
        const r = await run({ "vs.yaml": "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: web }\nspec:\n  hosts: [web]\n  http:\n  - route:\n    - destination: { host: web, subset: v9 }\n" });
        expect(r.code).to.equal(2);
        expect(lines(r)[0]).to.include('vs.yaml document 1 (VirtualService web): spec.http[0].route[0].destination.subset is "v9"; no DestinationRule of this stack defines subsets for host "web"');
    });

    it("YAML as kubectl reads it (1.1): an unquoted on is a boolean, refused where Istio takes a string, with the fix to quote it", async () => {
        const vs = (value: string): string => `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: web }\nspec:\n  hosts: [web]\n  http:\n  - match:\n    - headers:\n        x-flag: { exact: ${value} }\n    route:\n    - destination: { host: web }\n`;
        const r = await run({ "vs.yaml": vs("on") });
        expect(r.code).to.equal(2);
        expect(lines(r)[0]).to.include("vs.yaml document 1 (VirtualService web): spec.http[0].match[0].headers.x-flag.exact is true; it must be a string");
        expect(lines(r)[0]).to.include("fix: correct spec.http[0].match[0].headers.x-flag.exact in the input (quote it: kubectl too reads an unquoted yes, no, on, off, y or n as a boolean) and import again");
        const quoted = await run({ "vs.yaml": vs('"on"') });
        expect(quoted.code, quoted.stderr).to.equal(0);
        expect(quoted.stdout, "written quoted: as a string to a reader of either YAML version").to.include('exact: "on"');
    });

    it("a DestinationRule for a host the stack's service already has one for: refused at the imported object", async () => {
        const dr = `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: app-policy }\nspec:\n  host: ${SVC}\n  trafficPolicy: { loadBalancer: { simple: RANDOM } }\n`;
        const r = await run({ "dr.yaml": dr, "Pulumi.dev.yaml": stackFile() }, { stack: "dev" });
        expect(r.code).to.equal(2);
        expect(lines(r)[0]).to.include(`dr.yaml document 1 (DestinationRule app-policy): spec.host is "${SVC}"; services.${SVC} already has the DestinationRule of this host`);
        expect(fs.readFileSync(`${r.dir}/Pulumi.dev.yaml`, "utf8")).to.equal(stackFile());
    });

    it("a platform stack is checked with its service stacks: a DestinationRule for a service stack's host is refused, a gateway-bound VirtualService is not", async () => {
        const env = prodEnvironment();
        const file = (config: Record<string, unknown>): string => stringify({ config: Object.fromEntries(Object.entries(config).map(([k, v]) => [`mesh-traffic:${k}`, v])) });
        const stacks = Object.fromEntries([env.platform, ...env.services].map((s) => [`Pulumi.${s.stack}.yaml`, file(s.config)]));
        const dr = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: checkout-policy }\nspec:\n  host: checkout\n  trafficPolicy: { loadBalancer: { simple: RANDOM } }\n";
        const r = await run({ "dr.yaml": dr, ...stacks }, { stack: "prod" });
        expect(r.code).to.equal(2);
        expect(lines(r)[0]).to.include('dr.yaml document 1 (DestinationRule checkout-policy): spec.host is "checkout", a host of service checkout (stack "prod.checkout"), which has its own DestinationRule');
        const gw = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: { name: promo }\nspec:\n  selector: { istio: ingressgateway }\n  servers:\n  - port: { number: 80, name: http, protocol: HTTP }\n    hosts: [promo.example.com]\n---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: promo }\nspec:\n  hosts: [promo.example.com]\n  gateways: [promo]\n  http:\n  - route:\n    - destination: { host: checkout }\n";
        const ok = await run({ "gw.yaml": gw, ...stacks }, { stack: "prod" });
        expect(ok.code, ok.stderr).to.equal(0);
    });

    it("a problem the stack had before is not the import's: it is counted and the import is written", async () => {
        const bad = stackFile({ createNamespace: "perhaps" });
        const gw = "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: { name: web-gateway }\nspec:\n  selector: { istio: ingressgateway }\n  servers:\n  - port: { number: 80, name: http, protocol: HTTP }\n    hosts: ['*']\n";
        const r = await run({ "gw.yaml": gw, "Pulumi.dev.yaml": bad }, { stack: "dev" });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stderr).to.include("stack dev's config had 1 problem before the import (none of them the import's): pulumi preview --stack dev names them");
        expect(fs.readFileSync(`${r.dir}/Pulumi.dev.yaml`, "utf8")).to.include("web-gateway:");
    });
});
