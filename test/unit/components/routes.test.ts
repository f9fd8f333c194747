import { expect } from "chai";
import fc from "fast-check";
import type { HTTPRoute } from "../../../components/istio/types";
import {
    type CanaryPin,
    canaryHttpRoutes,
    checkGatewayRoutes,
    checkRouting,
    checkShadowedPrefix,
    cookieRegex,
    gatewayHttpRoutes,
    gatewayRouteWarnings,
    liveWeights,
    mergeUnderRoot,
    RoutingInput,
    splitDestinations,
} from "../../../components/routes";
import { RE2 } from "re2-wasm";

const base: RoutingInput = { host: "sample-app", subsets: ["stable", "canary"], canary: { version: "v2", weight: 10 } };
const dest = (subset: string, weight?: number) =>
    weight === undefined ? { destination: { host: "sample-app", subset } } : { destination: { host: "sample-app", subset }, weight };

describe("routes (pure)", () => {
    describe("liveWeights", () => {
        const table: Array<[string, RoutingInput["canary"], { stable: number; canary: number }]> = [
            ["no canary", undefined, { stable: 100, canary: 0 }],
            ["canary without version", { weight: 0 }, { stable: 100, canary: 0 }],
            ["canary 25", { version: "v2", weight: 25 }, { stable: 75, canary: 25 }],
            ["canary default weight", { version: "v2" }, { stable: 100, canary: 0 }],
            ["canary 100", { version: "v2", weight: 100 }, { stable: 0, canary: 100 }],
            ["unrouted canary at 50", { version: "v2", weight: 50, routed: false }, { stable: 100, canary: 0 }],
        ];
        for (const [what, canary, weights] of table) {
            it(what, () => expect(liveWeights(canary)).to.deep.equal(weights));
        }
    });

    describe("splitDestinations", () => {
        it("omits a 0-weight destination and drops the weight of a lone one", () => {
            expect(splitDestinations("sample-app", undefined, { stable: 100, canary: 0 })).to.deep.equal([dest("stable")]);
            expect(splitDestinations("sample-app", undefined, { stable: 0, canary: 100 })).to.deep.equal([dest("canary")]);
            expect(splitDestinations("sample-app", 8080, { stable: 90, canary: 10 })).to.deep.equal([
                { destination: { host: "sample-app", subset: "stable", port: { number: 8080 } }, weight: 90 },
                { destination: { host: "sample-app", subset: "canary", port: { number: 8080 } }, weight: 10 },
            ]);
        });
    });

    describe("cookieRegex", () => {
        it("matches the cookie anywhere in the header, not a suffix of another cookie", () => {
            const re = new RE2(cookieRegex("canary", "always"), "u");
            expect(cookieRegex("canary", "always")).to.equal("^(.*?;\\s*)?canary=always(;.*)?$");
            expect(re.test("canary=always")).to.equal(true);
            expect(re.test("a=b; canary=always; c=d")).to.equal(true);
            expect(re.test("xcanary=always")).to.equal(false);
            expect(re.test("canary=alwaysnot")).to.equal(false);
        });
        it("escapes regex metacharacters in names and values", () => {
            expect(cookieRegex("a.b", "1+1")).to.equal("^(.*?;\\s*)?a\\.b=1\\+1(;.*)?$");
        });
    });

    describe("canaryHttpRoutes: order and content", () => {
        it("weighted catch-all only", () => {
            expect(canaryHttpRoutes(base)).to.deep.equal([{ name: "catch-all", route: [dest("stable", 90), dest("canary", 10)] }]);
        });

        it("full order: fault header route, pins, A/B, redirects, URI routes, catch-all", () => {
            const routes = canaryHttpRoutes({
                ...base,
                subsets: ["stable", "canary", "legacy"],
                pins: [
                    { header: "x-canary", exact: "true" },
                    { header: "x-user", prefix: "beta-" },
                    { header: "x-group", regex: "^(qa|dev)$" },
                    { cookie: "canary", value: "always" },
                ],
                abTest: { header: "x-new-feature", cookie: "new-feature" },
                redirects: [{ prefix: "/old-api", uri: "/new-api" }],
                uriRoutes: [
                    { prefix: "/api/v1", subset: "legacy", rewrite: "/api" },
                    { prefix: "/api/v2", weights: { stable: 50, canary: 50 } },
                    { prefix: "/static" },
                ],
                faults: { delay: { percentage: 50, fixedDelay: "5s" }, header: { name: "test-fault", value: "true" } },
                timeout: "10s",
            });
            expect(routes.map((r) => r.name)).to.deep.equal([
                "fault-injection",
                "canary-pin-0",
                "canary-pin-1",
                "canary-pin-2",
                "canary-pin-3",
                "ab-test",
                "redirect-0",
                "uri-0",
                "uri-1",
                "uri-2",
                "catch-all",
            ]);
            expect(routes[0]).to.deep.equal({
                name: "fault-injection",
                match: [{ headers: { "test-fault": { exact: "true" } } }],
                route: [dest("stable", 90), dest("canary", 10)],
                fault: { delay: { percentage: { value: 50 }, fixedDelay: "5s" } },
                timeout: "10s",
            });
            expect(routes[2]?.match).to.deep.equal([{ headers: { "x-user": { prefix: "beta-" } } }]);
            expect(routes[3]?.match).to.deep.equal([{ headers: { "x-group": { regex: "^(qa|dev)$" } } }]);
            expect(routes[4]).to.deep.equal({
                name: "canary-pin-3",
                match: [{ headers: { cookie: { regex: "^(.*?;\\s*)?canary=always(;.*)?$" } } }],
                route: [dest("canary")],
                timeout: "10s",
            });
            expect(routes[5]?.match).to.deep.equal([
                { headers: { "x-new-feature": { exact: "enabled" } } },
                { headers: { cookie: { regex: "^(.*?;\\s*)?new-feature=enabled(;.*)?$" } } },
            ]);
            expect(routes[6]).to.deep.equal({ name: "redirect-0", match: [{ uri: { prefix: "/old-api" } }], redirect: { uri: "/new-api", redirectCode: 301 } });
            expect(routes[7]).to.deep.equal({
                name: "uri-0",
                match: [{ uri: { prefix: "/api/v1" } }],
                route: [dest("legacy")],
                timeout: "10s",
                rewrite: { uri: "/api" },
            });
            expect(routes[8]?.route).to.deep.equal([dest("stable", 50), dest("canary", 50)]);
            expect(routes[9]?.route).to.deep.equal([dest("stable", 90), dest("canary", 10)]);
            expect(routes[10]).to.deep.equal({ name: "catch-all", route: [dest("stable", 90), dest("canary", 10)], timeout: "10s" });
        });

        it("fault without header applies to every forwarding route; retries and timeout too", () => {
            const routes = canaryHttpRoutes({
                ...base,
                pins: [{ header: "x-canary", exact: "true" }],
                faults: { abort: { percentage: 10, httpStatus: 503 } },
                timeout: "10s",
                retries: { attempts: 3, perTryTimeout: "3s", retryOn: "5xx,reset,connect-failure,refused-stream" },
            });
            const expected = {
                fault: { abort: { percentage: { value: 10 }, httpStatus: 503 } },
                timeout: "10s",
                retries: { attempts: 3, perTryTimeout: "3s", retryOn: "5xx,reset,connect-failure,refused-stream" },
            };
            expect(routes).to.deep.equal([
                { name: "canary-pin-0", match: [{ headers: { "x-canary": { exact: "true" } } }], route: [dest("canary")], ...expected },
                { name: "catch-all", route: [dest("stable", 90), dest("canary", 10)], ...expected },
            ]);
        });

        it("mirror goes on the catch-all, to the canary subset", () => {
            const routes = canaryHttpRoutes({ ...base, canary: { version: "v2", weight: 0 }, mirror: { percentage: 10 } });
            expect(routes).to.deep.equal([
                { name: "catch-all", route: [dest("stable")], mirror: { host: "sample-app", subset: "canary" }, mirrorPercentage: { value: 10 } },
            ]);
        });

        it("an unrouted canary leaves no canary reference at all", () => {
            const routes = canaryHttpRoutes({
                ...base,
                canary: { version: "v2", weight: 40, routed: false },
                pins: [{ header: "x-canary", exact: "true" }],
                abTest: { header: "x-flag" },
                mirror: { percentage: 5 },
                uriRoutes: [
                    { prefix: "/beta", subset: "canary" },
                    { prefix: "/split", weights: { stable: 30, canary: 70 } },
                ],
            });
            expect(JSON.stringify(routes)).not.to.contain("canary");
            expect(routes).to.deep.equal([
                { name: "uri-0", match: [{ uri: { prefix: "/beta" } }], route: [dest("stable")] },
                { name: "uri-1", match: [{ uri: { prefix: "/split" } }], route: [dest("stable")] },
                { name: "catch-all", route: [dest("stable")] },
            ]);
        });

        it("no canary version: stable only", () => {
            expect(canaryHttpRoutes({ host: "sample-app", subsets: ["stable"] })).to.deep.equal([{ name: "catch-all", route: [dest("stable")] }]);
        });
    });

    describe("checkRouting: every error path", () => {
        const table: Array<[string, Partial<RoutingInput>, Array<{ propertyPath: string; reason: string }>]> = [
            ["weight 120", { canary: { version: "v2", weight: 120 } }, [{ propertyPath: "canary.weight", reason: "canary.weight is 120; it must be an integer from 0 to 100" }]],
            ["weight 2.5", { canary: { version: "v2", weight: 2.5 } }, [{ propertyPath: "canary.weight", reason: "canary.weight is 2.5; it must be an integer from 0 to 100" }]],
            [
                "canary weight with no canary version",
                { subsets: ["stable"], canary: { weight: 25 } },
                [{ propertyPath: "canary.weight", reason: "canary.weight is 25 but canary.version is not set; set canary.version or set the weight to 0" }],
            ],
            [
                "route to an undefined subset",
                { uriRoutes: [{ prefix: "/x", subset: "v3" }] },
                [
                    {
                        propertyPath: "uriRoutes[0].subset",
                        reason: 'uriRoutes[0].subset is "v3"; it must name a subset the DestinationRule of "sample-app" defines ("stable", "canary")',
                    },
                ],
            ],
            [
                "route to the canary subset without a canary version",
                { subsets: ["stable"], canary: undefined, uriRoutes: [{ prefix: "/x", subset: "canary" }] },
                [
                    {
                        propertyPath: "uriRoutes[0].subset",
                        reason: 'uriRoutes[0].subset is "canary"; it must name a subset the DestinationRule of "sample-app" defines ("stable")',
                    },
                ],
            ],
            [
                "split weights not summing to 100",
                { uriRoutes: [{ prefix: "/x", weights: { stable: 60, canary: 30 } }] },
                [{ propertyPath: "uriRoutes[0].weights", reason: "the weights of uriRoutes[0].weights are [60,30] and sum to 90; they must sum to 100" }],
            ],
            [
                "RE2-rejected lookahead",
                { pins: [{ header: "x-user", regex: "(?=x)" }] },
                [
                    {
                        propertyPath: "pins[0].regex",
                        reason: 'pins[0].regex is "(?=x)"; it must be a regular expression RE2 accepts (Istio uses RE2: no lookarounds, no backreferences); RE2 says: invalid perl operator: (?=',
                    },
                ],
            ],
            [
                "RE2-rejected backreference",
                { pins: [{ header: "x-user", regex: "(a)\\1" }] },
                [
                    {
                        propertyPath: "pins[0].regex",
                        reason: 'pins[0].regex is "(a)\\\\1"; it must be a regular expression RE2 accepts (Istio uses RE2: no lookarounds, no backreferences); RE2 says: invalid escape sequence: \\1',
                    },
                ],
            ],
            ["pin with two matchers", { pins: [{ header: "x", exact: "a", prefix: "b" }] }, [{ propertyPath: "pins[0]", reason: "pins[0] sets 2 of exact, prefix, regex; it must set exactly one" }]],
            // The component provider's CanaryPin is the components' CanaryPin flattened (no unions in a schema): these reach the check from Python, Go, C#, YAML.
            [
                "pin with cookie and header fields",
                { pins: [{ cookie: "c", value: "v", header: "x-a", exact: "1" } as unknown as CanaryPin] },
                [{ propertyPath: "pins[0]", reason: "pins[0] sets cookie and header, exact; a pin is a header pin { header, one of exact, prefix, regex } or a cookie pin { cookie, value }, not both" }],
            ],
            [
                "pin with neither header nor cookie",
                { pins: [{ exact: "1" } as unknown as CanaryPin] },
                [{ propertyPath: "pins[0]", reason: "pins[0] sets neither header nor cookie; a pin is a header pin { header, one of exact, prefix, regex } or a cookie pin { cookie, value }" }],
            ],
            ["timeout 5x", { timeout: "5x" }, [{ propertyPath: "timeout", reason: 'timeout is "5x"; it must be a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)' }]],
            ["perTryTimeout 0s", { retries: { attempts: 3, perTryTimeout: "0s" } }, [{ propertyPath: "retries.perTryTimeout", reason: 'retries.perTryTimeout is "0s"; it must be a duration of at least 1ms, such as "1ms" or "5s"' }]],
            [
                "fixedDelay 1d and percentage 120",
                { faults: { delay: { percentage: 120, fixedDelay: "1d" } } },
                [
                    { propertyPath: "faults.delay.percentage", reason: "faults.delay.percentage is 120; it must be a number from 0 to 100" },
                    { propertyPath: "faults.delay.fixedDelay", reason: 'faults.delay.fixedDelay is "1d"; it must be a Go-style duration such as "500ms", "30s" or "1m30s" (units h, m, s, ms, us, ns)' },
                ],
            ],
            ["httpStatus 700", { faults: { abort: { percentage: 10, httpStatus: 700 } } }, [{ propertyPath: "faults.abort.httpStatus", reason: "faults.abort.httpStatus is 700; it must be an integer from 200 to 599" }]],
            ["empty faults", { faults: {} }, [{ propertyPath: "faults", reason: "faults sets neither delay nor abort; set one of them or remove faults" }]],
            ["port 70000", { port: 70000 }, [{ propertyPath: "port", reason: "port is 70000; it must be an integer from 1 to 65535" }]],
            ["mirror percentage 120", { mirror: { percentage: 120 } }, [{ propertyPath: "mirror.percentage", reason: "mirror.percentage is 120; it must be a number from 0 to 100" }]],
            [
                "shadowed prefix",
                { uriRoutes: [{ prefix: "/api" }, { prefix: "/api/v2" }] },
                [
                    {
                        propertyPath: "uriRoutes[1].prefix",
                        reason: 'uriRoutes[1].prefix is "/api/v2"; it is shadowed by uriRoutes[0].prefix "/api", which matches first; put the longer prefix first or remove one',
                    },
                ],
            ],
            ["redirect code 200", { redirects: [{ prefix: "/old", uri: "/new", redirectCode: 200 }] }, [{ propertyPath: "redirects[0].redirectCode", reason: "redirects[0].redirectCode is 200; it must be an integer from 300 to 399" }]],
            ["A/B without a flag", { abTest: {} }, [{ propertyPath: "abTest", reason: "abTest sets neither header nor cookie; set at least one flag" }]],
            ["prefix without slash", { uriRoutes: [{ prefix: "api" }] }, [{ propertyPath: "uriRoutes[0].prefix", reason: 'uriRoutes[0].prefix is "api"; it must be a URI prefix starting with "/"' }]],
        ];
        for (const [what, patch, expected] of table) {
            it(what, () => expect(checkRouting({ ...base, ...patch })).to.deep.equal(expected));
        }
        it("collects every problem at once", () => {
            const problems = checkRouting({ ...base, canary: { version: "v2", weight: 120 }, timeout: "5x", port: 70000 });
            expect(problems.map((p) => p.propertyPath)).to.deep.equal(["port", "canary.weight", "timeout"]);
        });
    });

    describe("checkShadowedPrefix (one check for the canary's redirects and URI routes and for gateway routes)", () => {
        const shadowed = (path: string, prefix: string, by: string, byPrefix: string) => [
            {
                propertyPath: `${path}.prefix`,
                reason: `${path}.prefix is "${prefix}"; it is shadowed by ${by}.prefix "${byPrefix}", which matches first; put the longer prefix first or remove one`,
            },
        ];
        const table: Array<[string, string, Array<[string, string]>, ReturnType<typeof checkShadowedPrefix>]> = [
            ["first route", "/api", [], []],
            ["longer prefix after a shorter one", "/api/v2", [["/api", "routes[0]"]], shadowed("routes[1]", "/api/v2", "routes[0]", "/api")],
            ["the same prefix twice", "/api", [["/api", "routes[0]"]], shadowed("routes[1]", "/api", "routes[0]", "/api")],
            ["after the catch-all /", "/x", [["/", "routes[0]"]], shadowed("routes[1]", "/x", "routes[0]", "/")],
            ["shorter prefix after a longer one", "/api", [["/api/v2", "routes[0]"]], []],
            ["string prefix, not path segments (/apiv2 after /api)", "/apiv2", [["/api", "routes[0]"]], shadowed("routes[1]", "/apiv2", "routes[0]", "/api")],
            ["siblings", "/b", [["/a", "routes[0]"], ["/c", "routes[1]"]], []],
            [
                "the first shadowing route is named",
                "/a/b/c",
                [["/x", "routes[0]"], ["/a", "routes[1]"], ["/a/b", "routes[2]"]],
                shadowed("routes[3]", "/a/b/c", "routes[1]", "/a"),
            ],
            ["a redirect shadows a URI route", "/old/page", [["/old", "redirects[0]"]], shadowed("uriRoutes[0]", "/old/page", "redirects[0]", "/old")],
        ];
        for (const [what, prefix, earlier, expected] of table) {
            it(what, () => {
                const path = expected[0]?.propertyPath.replace(/\.prefix$/, "") ?? `routes[${earlier.length}]`;
                expect(checkShadowedPrefix({ prefix, path }, earlier.map(([p, at]) => ({ prefix: p, path: at })))).to.deep.equal(expected);
            });
        }
        it("both call sites report it the same way", () => {
            const viaCanary = checkRouting({ ...base, uriRoutes: [{ prefix: "/api", subset: "stable" }, { prefix: "/api/v2", subset: "stable" }] });
            const viaGateway = checkGatewayRoutes("uriRoutes", [{ prefix: "/api", host: "a" }, { prefix: "/api/v2", host: "a" }]);
            const reason = 'uriRoutes[1].prefix is "/api/v2"; it is shadowed by uriRoutes[0].prefix "/api", which matches first; put the longer prefix first or remove one';
            expect(viaCanary.map((p) => p.reason)).to.deep.equal([reason]);
            expect(viaGateway.map((p) => p.reason)).to.deep.equal([reason]);
        });
    });

    describe("gateway routes", () => {
        it("prefix routes in order, weighted where a canary exists", () => {
            expect(
                gatewayHttpRoutes([
                    { prefix: "/api", host: "sample-app", port: 8080, weights: { stable: 75, canary: 25 } },
                    { prefix: "/", host: "sample-app-frontend", port: 80 },
                ]),
            ).to.deep.equal([
                {
                    name: "route-0",
                    match: [{ uri: { prefix: "/api" } }],
                    route: [
                        { destination: { host: "sample-app", subset: "stable", port: { number: 8080 } }, weight: 75 },
                        { destination: { host: "sample-app", subset: "canary", port: { number: 8080 } }, weight: 25 },
                    ],
                },
                { name: "route-1", match: [{ uri: { prefix: "/" } }], route: [{ destination: { host: "sample-app-frontend", port: { number: 80 } } }] },
            ]);
        });
        it("rejects weights not summing to 100, a shadowed prefix and an empty list", () => {
            expect(checkGatewayRoutes("routes", [{ prefix: "/", host: "a", weights: { stable: 50, canary: 60 } }, { prefix: "/api", host: "b" }])).to.deep.equal([
                { propertyPath: "routes[0].weights", reason: "the weights of routes[0].weights are [50,60] and sum to 110; they must sum to 100" },
                {
                    propertyPath: "routes[1].prefix",
                    reason: 'routes[1].prefix is "/api"; it is shadowed by routes[0].prefix "/", which matches first; put the longer prefix first or remove one',
                },
            ]);
            expect(checkGatewayRoutes("routes", [])).to.have.length(1);
        });
    });

    describe("a service's routes under a gateway prefix (istiod's delegate merge, pilot/pkg/model/virtualservice.go)", () => {
        const root = { name: "route-0", match: [{ uri: { prefix: "/api" } }] };
        const service: RoutingInput = {
            ...base,
            canary: { version: "v2", weight: 20 },
            port: 8080,
            pins: [{ header: "x-canary", exact: "true" }],
            abTest: { header: "x-ab", cookie: "ab" },
            redirects: [{ prefix: "/api/old", uri: "/api/new" }],
            uriRoutes: [{ prefix: "/api/legacy", subset: "stable", rewrite: "/legacy" }, { prefix: "/static", subset: "stable" }],
            mirror: { percentage: 5 },
            timeout: "5s",
            retries: { attempts: 2, retryOn: "5xx" },
            faults: { abort: { percentage: 1, httpStatus: 503 }, header: { name: "x-fault", value: "on" } },
        };
        const p8080 = (subset: string, weight?: number) => ({ ...dest(subset, weight), destination: { ...dest(subset).destination, port: { number: 8080 } } });

        it("every route of the service, in its order, its matches AND-ed with the prefix, names <root>-<route>; a route outside the prefix is dropped", () => {
            const merged = mergeUnderRoot(root, canaryHttpRoutes(service));
            const shared = { timeout: "5s", retries: { attempts: 2, retryOn: "5xx" } };
            const split = [p8080("stable", 80), p8080("canary", 20)];
            expect(merged.routes).to.deep.equal([
                {
                    name: "route-0-fault-injection",
                    match: [{ uri: { prefix: "/api" }, headers: { "x-fault": { exact: "on" } } }],
                    route: split,
                    fault: { abort: { percentage: { value: 1 }, httpStatus: 503 } },
                    ...shared,
                },
                { name: "route-0-canary-pin-0", match: [{ uri: { prefix: "/api" }, headers: { "x-canary": { exact: "true" } } }], route: [p8080("canary")], ...shared },
                {
                    name: "route-0-ab-test",
                    // two flag matches: each nests in the root's one match, each merged with it
                    match: [
                        { uri: { prefix: "/api" }, headers: { "x-ab": { exact: "enabled" } } },
                        { uri: { prefix: "/api" }, headers: { cookie: { regex: cookieRegex("ab", "enabled") } } },
                    ],
                    route: [p8080("canary")],
                    ...shared,
                },
                // the route's own uri (under the root's) is kept: istiod takes the delegate's field
                { name: "route-0-redirect-0", match: [{ uri: { prefix: "/api/old" } }], redirect: { uri: "/api/new", redirectCode: 301 } },
                { name: "route-0-uri-0", match: [{ uri: { prefix: "/api/legacy" } }], route: [p8080("stable")], rewrite: { uri: "/legacy" }, ...shared },
                {
                    name: "route-0-catch-all",
                    match: [{ uri: { prefix: "/api" } }],
                    route: split,
                    ...shared,
                    mirror: { host: "sample-app", subset: "canary", port: { number: 8080 } },
                    mirrorPercentage: { value: 5 },
                },
            ]);
            expect(merged.dropped.map((r) => r.name)).to.deep.equal(["uri-1"]);
        });

        it("Istio's nesting rules: prefix under prefix, exact under prefix, regex never under a prefix; the root's fields fill the route's gaps", () => {
            const routes = [
                { name: "a", match: [{ uri: { prefix: "/apiv2" } }], route: [dest("stable")] }, // a string prefix, as Istio compares it
                { name: "b", match: [{ uri: { exact: "/api/x" } }], route: [dest("stable")] },
                { name: "c", match: [{ uri: { regex: "/api/.*" } }], route: [dest("stable")] },
                { name: "d", match: [{ uri: { prefix: "/ap" } }], route: [dest("stable")] }, // wider than the root: dropped
                { name: "e", match: [{ uri: { prefix: "/x" } }, { uri: { prefix: "/api/y" } }], route: [dest("stable")] }, // one match outside: dropped whole
                { name: "f", timeout: "1s", route: [dest("stable")] },
            ];
            const merged = mergeUnderRoot({ ...root, timeout: "9s", retries: { attempts: 1 } }, routes);
            expect(merged.routes.map((r) => [r.name, r.match, r.timeout, r.retries])).to.deep.equal([
                ["route-0-a", [{ uri: { prefix: "/apiv2" } }], "9s", { attempts: 1 }],
                ["route-0-b", [{ uri: { exact: "/api/x" } }], "9s", { attempts: 1 }],
                ["route-0-f", [{ uri: { prefix: "/api" } }], "1s", { attempts: 1 }],
            ]);
            expect(merged.dropped.map((r) => r.name)).to.deep.equal(["c", "d", "e"]);
        });

        it("a gateway route carrying the service's routes: the root's name and prefix, nothing of its own; the other routes keep route-<i>", () => {
            const http = gatewayHttpRoutes([
                { prefix: "/api", host: "sample-app", port: 8080, routes: canaryHttpRoutes({ ...base, port: 8080, pins: [{ header: "x-canary", exact: "true" }] }) },
                { prefix: "/", host: "sample-app-frontend", port: 80 },
            ]);
            expect(http.map((r) => [r.name, r.match])).to.deep.equal([
                ["route-0-canary-pin-0", [{ uri: { prefix: "/api" }, headers: { "x-canary": { exact: "true" } } }]],
                ["route-0-catch-all", [{ uri: { prefix: "/api" } }]],
                ["route-1", [{ uri: { prefix: "/" } }]],
            ]);
        });

        it("two services behind one gateway with different prefixes: names unique in the VirtualService, each service under its own prefix", () => {
            const other: RoutingInput = { host: "frontend", subsets: ["stable"], pins: [], redirects: [{ prefix: "/old", uri: "/" }] };
            const http = gatewayHttpRoutes([
                { prefix: "/api", host: "sample-app", routes: canaryHttpRoutes({ ...base, pins: [{ header: "x-canary", exact: "true" }] }) },
                { prefix: "/", host: "frontend", routes: canaryHttpRoutes(other) },
            ]);
            expect(http.map((r) => [r.name, r.match?.[0]?.uri, r.route?.map((d) => `${d.destination.host}/${d.destination.subset ?? ""}`)])).to.deep.equal([
                ["route-0-canary-pin-0", { prefix: "/api" }, ["sample-app/canary"]],
                ["route-0-catch-all", { prefix: "/api" }, ["sample-app/stable", "sample-app/canary"]],
                ["route-1-redirect-0", { prefix: "/old" }, undefined],
                ["route-1-catch-all", { prefix: "/" }, ["frontend/stable"]],
            ]);
            expect(new Set(http.map((r) => r.name)).size).to.equal(http.length);
        });

        it("a carried route outside the prefix: left out of the VirtualService, named in a warning; no problem", () => {
            const routes = [
                { prefix: "/api", host: "sample-app", routes: canaryHttpRoutes({ ...base, uriRoutes: [{ prefix: "/static", subset: "stable" }, { prefix: "/api/v1", subset: "stable" }] }) },
            ];
            expect(checkGatewayRoutes("routes", routes)).to.deep.equal([]);
            expect(gatewayHttpRoutes(routes).map((r) => r.name)).to.deep.equal(["route-0-uri-1", "route-0-catch-all"]);
            expect(gatewayRouteWarnings("routes", routes)).to.deep.equal([
                'routes[0] sends "/api" to "sample-app", whose route "uri-0" matches uri prefix "/static", outside "/api": no request through this ' +
                    "gateway route can reach it, so the gateway's VirtualService leaves it out (istiod drops a delegate's route that does not nest " +
                    'in its root route the same way); mesh traffic still takes it. To route it through the gateway, move it under "/api" or add a ' +
                    "gateway route for its prefix",
            ]);
            expect(gatewayRouteWarnings("routes", [{ prefix: "/", host: "a", routes: routes[0]!.routes }]), "every prefix nests in /").to.deep.equal([]);
        });

        it("refuses carried routes with weights or delegate, unnamed or twice-named routes, a delegating route, none reachable, and an empty list", () => {
            const r = (name: string | undefined, extra: Partial<HTTPRoute> = {}): HTTPRoute => ({ ...(name === undefined ? {} : { name }), route: [dest("stable")], ...extra });
            expect(
                checkGatewayRoutes("routes", [
                    { prefix: "/a", host: "x", weights: { stable: 100, canary: 0 }, routes: [r("catch-all")] },
                    { prefix: "/b", host: "x", routes: [r(undefined, { match: [{ uri: { prefix: "/b/1" } }] }), r("c"), r("c", { delegate: { name: "d" } })] },
                    { prefix: "/c", host: "x", routes: [r("only", { match: [{ uri: { prefix: "/elsewhere" } }] })] },
                    { prefix: "/d", host: "x", routes: [] },
                ]),
            ).to.deep.equal([
                { propertyPath: "routes[0]", reason: "routes[0] sets routes and weights; it must set at most one of routes, weights, delegate" },
                {
                    propertyPath: "routes[1].routes[0].name",
                    reason: 'routes[1].routes[0].name is missing; each carried route needs a name of its own (the gateway\'s route is named "route-<i>-<name>", unique in the VirtualService)',
                },
                {
                    propertyPath: "routes[1].routes[2].name",
                    reason: 'routes[1].routes[2].name is "c"; each carried route needs a name of its own (the gateway\'s route is named "route-<i>-<name>", unique in the VirtualService)',
                },
                {
                    propertyPath: "routes[1].routes[2].delegate",
                    reason: "routes[1].routes[2] delegates; a carried route must route, redirect or fail itself (Istio allows one level of delegation)",
                },
                {
                    propertyPath: "routes[2].routes",
                    reason: 'routes[2].routes: none of its 1 route(s) can be reached under routes[2].prefix "/c" (each matches a URI outside it); carry a route without a URI match, such as the catch-all',
                },
                { propertyPath: "routes[3].routes", reason: "routes[3].routes is []; it must list the service's routes (at least its catch-all), or be left out" },
            ]);
        });
    });

    describe("properties (fast-check)", () => {
        const subsetsUsed = (routes: HTTPRoute[]) =>
            routes.flatMap((r) => [...(r.route ?? []).map((d) => d.destination.subset), ...(r.mirror ? [r.mirror.subset] : [])]).filter((s): s is string => s !== undefined);

        const input = fc
            .record({
                hasCanary: fc.boolean(),
                weight: fc.integer({ min: 0, max: 100 }),
                routed: fc.boolean(),
                pins: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 3 }),
                ab: fc.boolean(),
                uri: fc.array(
                    fc.record({ kind: fc.constantFrom("subset", "weights", "split"), subset: fc.constantFrom("stable", "canary", "legacy"), w: fc.integer({ min: 0, max: 100 }) }),
                    { maxLength: 3 },
                ),
                mirror: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
                faultHeader: fc.option(fc.boolean(), { nil: undefined }),
            })
            .map((g): RoutingInput => ({
                host: "svc",
                subsets: g.hasCanary ? ["stable", "canary", "legacy"] : ["stable", "legacy"],
                canary: g.hasCanary ? { version: "v2", weight: g.weight, routed: g.routed } : undefined,
                pins: g.pins.map((v) => ({ header: "x-pin", exact: v })),
                abTest: g.ab ? { header: "x-ab" } : undefined,
                uriRoutes: g.uri.map((u, i) => {
                    const prefix = `/p${i}x`;
                    if (u.kind === "subset") return { prefix, subset: u.subset === "canary" && !g.hasCanary ? "stable" : u.subset };
                    if (u.kind === "weights") {
                        const weights: Record<string, number> = g.hasCanary ? { stable: 100 - u.w, canary: u.w } : { stable: 100 - u.w, legacy: u.w };
                        return { prefix, weights };
                    }
                    return { prefix };
                }),
                mirror: g.mirror === undefined || !g.hasCanary ? undefined : { percentage: g.mirror },
                faults: g.faultHeader === undefined ? undefined : { abort: { percentage: 1, httpStatus: 503 }, header: g.faultHeader ? { name: "x-f", value: "1" } : undefined },
            }));

        it("valid input: weights sum to 100, catch-all last, every subset defined, unrouted canary never referenced", () => {
            fc.assert(
                fc.property(input, (inp) => {
                    expect(checkRouting(inp)).to.deep.equal([]);
                    const routes = canaryHttpRoutes(inp);
                    const last = routes[routes.length - 1];
                    expect(last?.name).to.equal("catch-all");
                    expect(last?.match).to.equal(undefined);
                    routes.slice(0, -1).forEach((r) => expect(r.match?.length ?? 0).to.be.greaterThan(0));
                    for (const r of routes) {
                        if (r.route === undefined) continue;
                        expect(r.route.length).to.be.greaterThan(0);
                        const sum = r.route.length === 1 ? (r.route[0]?.weight ?? 100) : r.route.reduce((a, d) => a + (d.weight ?? 0), 0);
                        expect(sum).to.equal(100);
                        r.route.forEach((d) => expect(d.weight ?? 100).to.be.greaterThan(0));
                    }
                    for (const s of subsetsUsed(routes)) expect(inp.subsets).to.include(s);
                    const w = liveWeights(inp.canary);
                    expect(w.stable + w.canary).to.equal(100);
                    if (!(inp.canary?.version !== undefined && inp.canary.routed !== false)) {
                        expect(subsetsUsed(routes)).not.to.include("canary");
                    }
                }),
                { numRuns: 300 },
            );
        });
    });
});
