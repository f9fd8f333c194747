/**
 * What the `mesh-release` command line takes and gives: the typed requests {@link parseArgs} (program.ts) makes
 * from argv, and the I/O {@link execute} (execute.ts) is given (bin/mesh-release.ts builds the real one).
 */
import type { Clock } from "../core/clock";
import type { TrafficDriver } from "../driver/driver";
import type { ConfigProblem, ExitCode } from "../core/errors";
import type { PathKind, StackFile, Target } from "../env/target";
import type { DeployedStack, EnvOp } from "../env/plan";
import type { EnvDriver } from "../env/run";
import type { Write } from "../reporters/types";
import type { ConfigValidator, ReleaseDeps, RolloutRequest } from "../rollout";
import type { ProgramChoice } from "../driver/program";
import type { ImportRequest } from "../../importer/command";
import type { AbTestRequest, FaultRequest, StatusRequest } from "../orchestration/oneShot";

/** Flags every command takes. */
export interface CommonOptions {
    /** `--stack`: an explicit stack (never given with `--env`: the two are refused together while parsing). */
    stack?: string;
    /** `--env`: the environment; the service's stack is `<env>.<service>` (or `<env>` in the single-stack layout). */
    env?: string;
    /** Absolute Pulumi project directory (`--cwd` / `--work-dir`, default the current directory). */
    workDir: string;
    json: boolean;
    /** `--report <file>`: where the HTML report goes (absolute). */
    report?: string;
    /** Directory holding `bin/pulumi`: `--pulumi-root`, else $MESH_TOOLCHAIN_DIR, else undefined (PATH). */
    pulumiRoot?: string;
    /** Stream Pulumi's engine output to stderr. */
    verbose: boolean;
    /** Which program each update runs (release/driver/program.ts). Default "auto". */
    program: ProgramChoice;
}

export type CliRequest =
    | { command: "canary" | "promote" | "rollback" | "abort"; common: CommonOptions; rollout: RolloutRequest; /** `--gate-poll`: how often a gate's record is read, ms. */ gatePollMs?: number }
    | { command: "approve" | "reject"; common: CommonOptions; gate: GateRequest }
    | { command: "ab-test"; common: CommonOptions; abTest: AbTestRequest }
    | { command: "fault"; common: CommonOptions; fault: FaultRequest }
    | { command: "status"; common: CommonOptions; status: StatusRequest }
    | { command: "env"; common: CommonOptions; env: EnvRequest }
    | { command: "import"; import: ImportRequest };

/** `mesh-release approve|reject --service <svc> [--step N] [--by NAME] [--reason TEXT]`: the decision on a pending approval gate (release/orchestration/approve.ts). */
export interface GateRequest {
    service: string;
    /** The gated step's weight, percent. */
    step?: number;
    by?: string;
    reason?: string;
}

/** `mesh-release env up|preview|status --env <env> [--concurrency N]`: the environment fan-out (release/env/). */
export interface EnvRequest {
    op: EnvOp;
    env: string;
    /** Service stacks run at most this many at a time. */
    concurrency: number;
}

export type ParseResult = { kind: "request"; request: CliRequest } | { kind: "exit"; exitCode: ExitCode };

/** Where parseArgs reads defaults from. */
export interface ParseEnv {
    cwd: string;
    env: Readonly<Record<string, string | undefined>>;
    /** Help text and commander's usage errors. */
    stdout: Write;
    stderr: Write;
    /** What a path given as an option names (`--cwd`, `--pulumi-root`, `--report`). Default: the disk (release/env/target.ts). */
    pathKind?: (absolutePath: string) => PathKind;
}

/** The stack-facing parts the CLI needs; bin/mesh-release.ts builds the Pulumi + Prometheus ones. */
export interface Connection {
    driver: TrafficDriver;
    metrics: ReleaseDeps["metrics"];
    clock?: Clock;
    validate?: ConfigValidator;
    /** The live-split check before each window (release/core/live.ts). */
    live?: ReleaseDeps["live"];
}

/** Builds the connection to the resolved stack (and its platform stack, whose `release` policy it inherits). */
export type Connect = (common: CommonOptions, target: Target, hooks: { onOutput?: (text: string) => void; onNotice?: (text: string) => void }) => Connection;

/** The stacks of an environment on the backend, for `mesh-release env`; bin/mesh-release.ts builds the Automation API one. */
export interface EnvConnection {
    driver: EnvDriver;
    /** Stacks the backend holds (name, resource count). */
    deployed: () => Promise<DeployedStack[]>;
    /** Checks the environment's stacks together before anything is applied (stacks/environment.ts); [] when fine. */
    check?: (env: string, files: readonly StackFile[]) => ConfigProblem[];
}

export type ConnectEnv = (common: CommonOptions, hooks: { onOutput?: (text: string) => void }) => EnvConnection;

/** Lists the project's stacks (release/env/target.ts); tests pass a fixed list. */
export type StackLister = (workDir: string) => readonly StackFile[];

export interface CliIO extends ParseEnv {
    /** stdout is a terminal: live view with ANSI; otherwise plain lines. */
    tty: boolean;
    connect: Connect;
    /** For `mesh-release env`. */
    connectEnv?: ConnectEnv;
    /** The project's stacks, for `--env` resolution. Default: the `Pulumi.<stack>.yaml` files in the work dir. */
    listStacks?: StackLister;
    /** Aborted on SIGINT/SIGTERM: the running update is cancelled and the rollout rolls back. */
    signal?: AbortSignal;
    /** The terminal view's clock (tests pass a fixed one). */
    now?: () => Date;
    /** Redraw period of the live view, ms (0 in tests). */
    tickMs?: number;
    /** Standard input, for `mesh-release import -`. */
    readStdin?: () => Promise<string>;
}
