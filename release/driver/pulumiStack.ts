/**
 * {@link TrafficDriver} over a Pulumi stack through the Automation API (`@pulumi/pulumi/automation`,
 * `LocalWorkspace`): config writes by path straight into `Pulumi.<stack>.yaml` (stackFile.ts, no CLI process;
 * where that cannot be done, `stack.removeConfig(key, true)` per removal and one `stack.setAllConfig(map, true)`),
 * then one `up` without the Automation API's read-back ({@link upWithoutReadBack}).
 *
 * The program is either the project directory (a local program: the CLI runs it with its Node language
 * host) or an inline program (a function in this process: no language host needed, the Automation API
 * serves it). Both use the project's `Pulumi.yaml` and `Pulumi.<stack>.yaml` in `workDir`.
 *
 * PULUMI_HOME, PULUMI_BACKEND_URL and what the stack's secrets provider needs (PULUMI_CONFIG_PASSPHRASE, or a KMS's
 * credentials such as VAULT_ADDR + VAULT_TOKEN for `hashivault://`) come from the environment. The CLI is the
 * one under `pulumiRoot` (`<root>/bin/pulumi`) when given, else the one on PATH; it is never downloaded.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
    CommandError,
    ConcurrentUpdateError,
    type EngineEvent,
    LocalWorkspace,
    type OpMap,
    PulumiCommand,
    type PulumiFn,
    type Stack,
    type StepEventMetadata,
    StackAlreadyExistsError,
    StackNotFoundError,
    type UpOptions,
} from "@pulumi/pulumi/automation";
import { PROJECT } from "../../contract/project";
import { configFromCliJson, type CliConfigEntry } from "../../contract/stackConfig";
import { Redactor } from "../../contract/redact";
import { linkedSignal } from "../core/clock";
import { clearLockCommand, isStale, lockOwner, parseStackLocks, thisHost, type StackLock } from "./stackLock";
import { processToken, takeLock } from "./lock";
import { openStackFile, stackFileSecretsProvider, writeStackFile } from "./stackFile";
import { decideLease, LEASE_ENV, LEASE_HELD, LEASE_OUTPUT, leasedProgram, leaseTtl, localLeaseContext, newOwnerId, parseLease, runningOwners, setOwnerRunning, type LeaseClaim } from "./lease";
import { ConfigPath, DriverError, type ConfigEdit, type GateBackend, type PlannedChange, type StackSnapshot, type TrafficDriver, type UpdateOptions, type UpdateResult } from "./driver";
import { gateTag } from "../core/gate";
import { programDigest } from "./fingerprint";
import { createHash } from "node:crypto";

export type ProgramSource =
    /** The project directory's own program (`Pulumi.yaml` `main`), run by the CLI's language host. */
    | { kind: "local" }
    /** A program function run in this process (no Node language host needed). */
    | { kind: "inline"; program: PulumiFn };

export interface PulumiStackDriverOptions {
    /** Stack name (`dev`, or `org/project/dev`). */
    stackName: string;
    /** Project directory with `Pulumi.yaml` and `Pulumi.<stack>.yaml`. */
    workDir: string;
    /** Which program `up` runs. Default `{ kind: "local" }`. */
    program?: ProgramSource;
    /** Directory of a Pulumi CLI installation (`<root>/bin/pulumi`). Default: `pulumi` on PATH. */
    pulumiRoot?: string;
    /** Extra environment for the CLI. Default none (the process environment is inherited). */
    envVars?: Record<string, string>;
    /** Receives the engine's output lines (for `--verbose`). Default: dropped. */
    onOutput?: (text: string) => void;
    /** Receives what the driver did on its own that the user must see (a stale stack lock cleared). */
    onNotice?: (text: string) => void;
    /** Where lock files go. Default `<workDir>/.mesh-release`. */
    lockDir?: string;
    /** Minimum lease TTL, ms (lease.ts). Default {@link DEFAULT_LEASE_TTL_MS}. */
    leaseTtlMs?: number;
    /**
     * Create the stack on the backend when it does not exist (the environment fan-out's new stacks). `"new"`: the
     * caller knows the backend does not hold it (`pulumi stack init` first, select when it appeared meanwhile).
     * Default false.
     */
    create?: boolean | "new";
    /**
     * The secrets provider a stack this driver creates gets (`pulumi stack init --secrets-provider`): `passphrase`, or a
     * KMS URL (`awskms://...`, `azurekeyvault://...`, `gcpkms://...`, `hashivault://<transit key>`), whose data key the KMS
     * wraps, so no passphrase key derivation runs per CLI process (README, "Secrets providers"). Default: the
     * `secretsprovider` the stack's `Pulumi.<stack>.yaml` names, else the backend's default (a passphrase on a DIY
     * backend). Ignored for a stack that exists: its file holds its provider and wrapped key.
     */
    secretsProvider?: string;
}

/**
 * One {@link PulumiCommand} per CLI installation for the whole process: `PulumiCommand.get` runs `pulumi version`
 * (a CLI process, ~0.45 CPU s: the CLI's start-up alone, BENCHMARKS.md) and every driver of a run uses the same CLI.
 */
const commands = new Map<string, Promise<PulumiCommand>>();
export function pulumiCommandFor(root: string | undefined): Promise<PulumiCommand> {
    const key = root ?? "";
    let command = commands.get(key);
    if (command === undefined) {
        command = PulumiCommand.get(root !== undefined ? { root } : undefined);
        commands.set(key, command);
        command.catch(() => commands.delete(key)); // a failure is not cached: the next driver tries again
    }
    return command;
}

/**
 * `stack.up(opts)` without the Automation API's read-back. After every update `Stack.up` runs `pulumi stack
 * output --json` twice (masked and with secrets) and `pulumi stack history --page-size 1`: three more CLI
 * processes, each ~0.45 CPU s of the CLI's start-up, for outputs and a summary no caller here reads from them
 * (a weight step is one update; bench/per-service.ts counts). The change summary comes from the engine's own
 * summary event instead (`onEvent`, streamed during the update). `Stack.up` reads back through `this.outputs()`
 * and `this.info()`: a view of `stack` whose two methods return nothing runs exactly the update
 * (`test/unit/release/pulumiStackCalls.test.ts` holds the CLI calls to `up` alone, with the pinned SDK).
 */
export async function upWithoutReadBack(stack: Stack, opts: Omit<UpOptions, "onEvent">): Promise<{ resourceChanges: OpMap | undefined }> {
    let resourceChanges: OpMap | undefined;
    const onEvent = (event: EngineEvent): void => {
        if (event.summaryEvent !== undefined) {
            resourceChanges = event.summaryEvent.resourceChanges;
        }
    };
    const view = Object.create(stack, {
        outputs: { value: async () => ({}) },
        info: { value: async () => undefined },
    }) as Stack;
    await view.up({ ...opts, onEvent });
    return { resourceChanges };
}

const execFileAsync = promisify(execFile);

/** Pulumi's `--path` syntax: `services.sample-app.canary.abRules[0].header`; odd keys are quoted. */
export function pulumiConfigPath(p: ConfigPath): string {
    return p
        .map((seg, i) => {
            if (typeof seg === "number") {
                return `[${seg}]`;
            }
            if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) {
                return i === 0 ? seg : `.${seg}`;
            }
            return `[${JSON.stringify(seg)}]`;
        })
        .join("");
}

export class PulumiStackDriver implements TrafficDriver {
    readonly stackName: string;
    private readonly opts: PulumiStackDriverOptions;
    private stackPromise: Promise<Stack> | undefined;
    private readonly redactor = new Redactor();
    /** This run's lease identity while it holds the release lock (lock()), else undefined. */
    private leaseHolder: Omit<LeaseClaim, "ttlMs" | "release"> | undefined;
    /** The claim of the update running now (read by the leased program). */
    private claim: LeaseClaim | undefined;
    /** True when this driver created the stack (`create: "new"`): it has no outputs, so no lease to read. */
    private created = false;

    constructor(opts: PulumiStackDriverOptions) {
        this.opts = opts;
        this.stackName = opts.stackName;
    }

    /** The Automation API stack (selected once), for the operations beyond the driver interface (release/driver/envStacks.ts). */
    stack(): Promise<Stack> {
        this.stackPromise ??= this.open();
        return this.stackPromise;
    }

    private async open(): Promise<Stack> {
        const { stackName, workDir } = this.opts;
        let pulumiCommand: PulumiCommand;
        try {
            pulumiCommand = await pulumiCommandFor(this.opts.pulumiRoot);
        } catch (err) {
            const where = this.opts.pulumiRoot !== undefined ? `${path.join(this.opts.pulumiRoot, "bin", "pulumi")}` : "pulumi on PATH";
            throw new DriverError("unavailable", `cannot run the Pulumi CLI (${where}): ${firstLine(err)}`);
        }
        // A stack about to be created gets its secrets provider on `stack init` (the file's, unless one is given).
        const secretsProvider = this.opts.create === true || this.opts.create === "new" ? (this.opts.secretsProvider ?? stackFileSecretsProvider(workDir, stackName)) : undefined;
        const wsOpts = { workDir, pulumiCommand, envVars: this.opts.envVars, ...(secretsProvider !== undefined ? { secretsProvider } : {}) };
        const program = this.opts.program ?? { kind: "local" };
        // The lease is checked and written by the update itself (lease.ts), under the backend's update lock.
        const leased = program.kind === "inline" ? leasedProgram(async () => ({ ...((await program.program()) as Record<string, unknown> | undefined) }), () => this.claim) : undefined;
        const via = (how: "create" | "select" | "createOrSelect"): Promise<Stack> => {
            if (leased !== undefined) {
                const inline = { stackName, projectName: PROJECT, program: leased };
                return how === "create" ? LocalWorkspace.createStack(inline, wsOpts) : how === "select" ? LocalWorkspace.selectStack(inline, wsOpts) : LocalWorkspace.createOrSelectStack(inline, wsOpts);
            }
            const local = { stackName, workDir };
            return how === "create" ? LocalWorkspace.createStack(local, wsOpts) : how === "select" ? LocalWorkspace.selectStack(local, wsOpts) : LocalWorkspace.createOrSelectStack(local, wsOpts);
        };
        try {
            switch (this.opts.create) {
                case "new":
                    try {
                        const created = await via("create");
                        this.created = true;
                        return created;
                    } catch (err) {
                        if (!(err instanceof StackAlreadyExistsError)) throw err;
                        return await via("select"); // another runner created it meanwhile
                    }
                case true:
                    return await via("createOrSelect");
                case false:
                case undefined:
                    return await via("select");
                default: {
                    const never: never = this.opts.create;
                    return never;
                }
            }
        } catch (err) {
            this.stackPromise = undefined;
            if (err instanceof StackNotFoundError) {
                throw new DriverError("not-found", `stack ${stackName} does not exist in ${workDir}; create it with: pulumi stack init ${stackName}`);
            }
            throw new DriverError("unavailable", `cannot select stack ${stackName} in ${workDir}: ${this.clean(err)}`);
        }
    }

    async read(): Promise<StackSnapshot> {
        const stack = await this.stack();
        try {
            // getAllConfig runs `pulumi config --json --show-secrets`: values stay in memory, never printed.
            const map = (await stack.getAllConfig()) as Record<string, CliConfigEntry>;
            const snapshot = configFromCliJson(map);
            this.redactor.add(...snapshot.secrets);
            return snapshot;
        } catch (err) {
            throw new DriverError("unavailable", `cannot read the config of stack ${this.stackName}: ${this.clean(err)}`);
        }
    }

    async write(edits: readonly ConfigEdit[]): Promise<void> {
        const stack = await this.stack();
        // Plain values straight into Pulumi.<stack>.yaml, as the CLI writes them, without a CLI process (stackFile.ts).
        const opened = openStackFile(this.opts.workDir, this.stackName);
        if (opened !== undefined) {
            try {
                writeStackFile(opened.file, edits, opened.doc); // the file as checked, parsed once
                return;
            } catch {
                // left untouched (replaced atomically or not at all): the CLI writes them below and says what is wrong
            }
        }
        // Removals first (a list is cleared before it is written again), then every set in one CLI call.
        const removals = edits.filter((e): e is Extract<ConfigEdit, { remove: true }> => "remove" in e).map((e) => pulumiConfigPath(e.path));
        const sets: Record<string, { value: string; secret: false }> = {};
        for (const e of edits) {
            if (!("remove" in e)) {
                sets[pulumiConfigPath(e.path)] = { value: String(e.value), secret: false };
            }
        }
        try {
            for (const key of removals) {
                // One at a time: `config rm-all --path` fails on the first missing key, and a missing key is fine here.
                await stack.removeConfig(key, true).catch((err: unknown) => {
                    if (!/not found|does not exist|no such|configuration key/i.test(String(err))) {
                        throw err;
                    }
                });
            }
            if (Object.keys(sets).length > 0) {
                await stack.setAllConfig(sets, true);
            }
        } catch (err) {
            throw new DriverError("unavailable", `cannot write the config of stack ${this.stackName}: ${this.clean(err)}`);
        }
    }

    async update(opts: UpdateOptions): Promise<UpdateResult> {
        return this.runUpdate(opts, false);
    }

    private async runUpdate(opts: UpdateOptions, lockCleared: boolean): Promise<UpdateResult> {
        const stack = await this.stack();
        const started = Date.now();
        this.setClaim(stack, opts.holdMs, opts.final === true);
        // A signal of its own per update: the Automation API adds an abort listener to the signal of every
        // command and never removes it (MaxListenersExceededWarning after ten steps on one signal).
        const linked = linkedSignal(opts.signal);
        try {
            const result = await upWithoutReadBack(stack, {
                message: opts.message,
                signal: linked.signal,
                onOutput: this.opts.onOutput,
                // Same stack config, same program: nothing to refresh first. Kept explicit for reviewers.
                refresh: false,
                // An approved plan (release/core/gate.ts): the engine does nothing the approved preview did not show.
                ...(opts.plan !== undefined ? { plan: opts.plan } : {}),
            });
            return { durationMs: Date.now() - started, summary: changeSummary(result.resourceChanges) };
        } catch (err) {
            if (opts.signal?.aborted === true) {
                throw new DriverError("cancelled", `the update of stack ${this.stackName} was cancelled`);
            }
            if (err instanceof ConcurrentUpdateError) {
                const locks = parseStackLocks(err.message);
                if (!lockCleared && (await this.clearStaleLocks(stack, locks))) {
                    return this.runUpdate(opts, true);
                }
                throw new DriverError("concurrent", this.lockedMessage(locks, err));
            }
            const text = err instanceof Error ? err.message : String(err);
            const held = text.split("\n").find((l) => l.includes(LEASE_HELD));
            if (held !== undefined) {
                throw new DriverError("concurrent", `stack ${this.stackName}: ${this.redactor.redact(held.slice(held.indexOf(LEASE_HELD) + LEASE_HELD.length + 1).trim())}`);
            }
            throw new DriverError("failed", `pulumi up on stack ${this.stackName} failed: ${this.clean(err)}`);
        } finally {
            linked.dispose();
        }
    }

    /** This run's lease claim for the next operation (lease.ts), also in the environment of a project's own program. */
    private setClaim(stack: Stack, holdMs: number | undefined, release: boolean): void {
        this.claim = this.leaseHolder !== undefined ? { ...this.leaseHolder, ttlMs: leaseTtl(holdMs, this.opts.leaseTtlMs), release, running: runningOwners() } : undefined;
        // A project's own program (--program local) gets the claim in its environment (lease.ts claimFromEnv).
        if (this.claim !== undefined) {
            stack.workspace.envVars[LEASE_ENV] = JSON.stringify(this.claim);
        } else {
            delete stack.workspace.envVars[LEASE_ENV];
        }
    }

    /**
     * Approval gates (release/core/gate.ts): a preview that saves its plan under `<lockDir>/plans/`, the program's digest
     * (fingerprint.ts), and the gate record as a stack tag on the backend (`pulumi stack tag get|set`), where every
     * runner sharing the backend reads it.
     */
    readonly gates: GateBackend = {
        preview: (opts) => this.previewPlan(opts),
        programDigest: () => Promise.resolve(programDigest(this.opts.program ?? { kind: "local" }, this.opts.workDir)),
        readRecord: async (service) => {
            const stack = await this.stack();
            try {
                return await stack.getTag(gateTag(service));
            } catch (err) {
                const text = err instanceof Error ? err.message : String(err);
                if (/not found/i.test(text)) {
                    return undefined;
                }
                throw new DriverError("unavailable", `cannot read the gate record of ${service} on stack ${this.stackName}: ${this.clean(err)}`);
            }
        },
        writeRecord: async (service, text) => {
            const stack = await this.stack();
            try {
                if (text === undefined) {
                    await stack.removeTag(gateTag(service));
                } else {
                    await stack.setTag(gateTag(service), text);
                }
            } catch (err) {
                throw new DriverError("unavailable", `cannot write the gate record of ${service} on stack ${this.stackName}: ${this.clean(err)}`);
            }
        },
    };

    private async previewPlan(opts: { message: string; name: string; holdMs?: number; signal?: AbortSignal }): Promise<{ planFile: string; planDigest: string; changes: PlannedChange[]; summary: string }> {
        const stack = await this.stack();
        const dir = path.join(this.opts.lockDir ?? path.join(this.opts.workDir, ".mesh-release"), "plans");
        await fs.promises.mkdir(dir, { recursive: true });
        const planFile = path.join(dir, `${this.stackName.replace(/[^A-Za-z0-9._-]/g, "_")}.${opts.name.replace(/[^A-Za-z0-9._-]/g, "_")}.plan.json`);
        await fs.promises.rm(planFile, { force: true });
        this.setClaim(stack, opts.holdMs, false);
        const changes: PlannedChange[] = [];
        const linked = linkedSignal(opts.signal);
        try {
            const result = await stack.preview({
                message: opts.message,
                plan: planFile,
                signal: linked.signal,
                onOutput: this.opts.onOutput,
                refresh: false,
                onEvent: (event) => {
                    const step = event.resourcePreEvent?.metadata;
                    if (step !== undefined && step.op !== "same" && step.op !== "read" && !step.type.startsWith("pulumi:")) {
                        changes.push(plannedChange(step, this.redactor));
                    }
                },
            });
            const planDigest = `sha256:${createHash("sha256").update(await fs.promises.readFile(planFile, "latin1"), "latin1").digest("hex")}`;
            return { planFile, planDigest, changes, summary: changeSummary(result.changeSummary) };
        } catch (err) {
            if (opts.signal?.aborted === true) {
                throw new DriverError("cancelled", `the preview of stack ${this.stackName} was cancelled`);
            }
            const text = err instanceof Error ? err.message : String(err);
            const held = text.split("\n").find((l) => l.includes(LEASE_HELD));
            if (held !== undefined) {
                throw new DriverError("concurrent", `stack ${this.stackName}: ${this.redactor.redact(held.slice(held.indexOf(LEASE_HELD) + LEASE_HELD.length + 1).trim())}`);
            }
            throw new DriverError("failed", `pulumi preview --save-plan on stack ${this.stackName} failed: ${this.clean(err)}`);
        } finally {
            linked.dispose();
        }
    }

    /**
     * Clears Pulumi's stack locks when every one is provably stale (taken on this host by a process that no
     * longer exists, e.g. a `pulumi up` orphaned by a SIGKILL), saying so through `onNotice`. A file backend's
     * lock file is removed itself; other backends get `pulumi cancel`. False when any lock may be live.
     */
    private async clearStaleLocks(stack: Stack, locks: readonly StackLock[]): Promise<boolean> {
        const here = thisHost();
        if (locks.length === 0 || !locks.every((l) => isStale(l, here))) {
            return false;
        }
        try {
            const files = locks.filter((l) => l.url.startsWith("file://"));
            for (const lock of files) {
                // The file backend (gocloud's fileblob) keeps each blob's attributes beside it in `<file>.attrs`.
                const file = fileURLToPath(lock.url);
                await fs.promises.rm(file, { force: true });
                await fs.promises.rm(`${file}.attrs`, { force: true });
            }
            if (files.length < locks.length) {
                await stack.cancel(); // object-store backends: `pulumi cancel` deletes the stack's lock files
            }
        } catch {
            return false; // not cleared: the caller says who holds it and how to clear it
        }
        for (const lock of locks) {
            this.opts.onNotice?.(
                `stack ${this.stackName}: cleared Pulumi's stack lock left by ${lockOwner(lock)}, a process of this host that is gone (its pid runs no process, an exited one, or one that started after the lock or is no pulumi) (${lock.url})`,
            );
        }
        return true;
    }

    /** Who holds the stack's lock and the exact command that clears it when that update is not running. */
    private lockedMessage(locks: readonly StackLock[], err: unknown): string {
        const owners = locks.length > 0 ? locks.map(lockOwner).join("; ") : this.clean(err);
        return (
            `stack ${this.stackName} is locked by a Pulumi update: ${owners}. If that update is no longer running, ` +
            `clear the lock with: ${clearLockCommand(this.stackName, this.opts.workDir)}`
        );
    }

    async cancel(): Promise<void> {
        const stack = await this.stack();
        try {
            await stack.cancel();
        } catch {
            // The DIY backend cannot cancel; the SIGINT sent through the signal is what stops the update there.
        }
    }

    /**
     * The release lock: the lock file of this machine (lock.ts), then the stack's lease on the backend
     * (lease.ts), checked here so a second release is refused before it writes anything. The check here is
     * advisory; the binding one runs in each update (the leased program), under the backend's update lock.
     */
    async lock(holder: string): Promise<() => Promise<void>> {
        const dir = this.opts.lockDir ?? path.join(this.opts.workDir, ".mesh-release");
        const unlockFile = await takeLock(dir, this.stackName.replace(/[^A-Za-z0-9._-]/g, "_"), holder);
        const token = processToken();
        const me = { owner: newOwnerId(), holder, host: localLeaseContext().host, pid: process.pid, ...(token !== undefined ? { pidToken: token } : {}) };
        try {
            await this.stack(); // selected, or created (this.created) first
            const lease = this.created ? undefined : await this.leaseOutput();
            const read = parseLease(this.stackName, lease);
            if (read !== undefined && !read.ok) {
                throw new DriverError("failed", `${read.reason}. fix: ${read.fix}`);
            }
            const decision = decideLease(read?.value, { ...me, ttlMs: 0, release: false, running: [...runningOwners(), me.owner] }, new Date(), localLeaseContext());
            if (decision.kind === "refuse") {
                throw new DriverError("concurrent", `stack ${this.stackName}: ${decision.reason.slice(LEASE_HELD.length + 2)}`);
            }
        } catch (err) {
            await unlockFile();
            throw err;
        }
        this.leaseHolder = me;
        setOwnerRunning(me.owner, true);
        return async () => {
            setOwnerRunning(me.owner, false);
            this.leaseHolder = undefined;
            this.claim = undefined;
            await unlockFile();
        };
    }

    /**
     * The stack's lease output, by one `pulumi stack output --json` (the Automation API's `outputs()` runs two: masked
     * and with secrets; the lease is never secret), with the environment the Automation API gives each command it
     * runs (its `PulumiCommand.run` is not public): the workspace's PULUMI_HOME and env vars, the CLI's own directory
     * first on PATH (so the plugins beside that CLI are the ones found), PULUMI_AUTOMATION_API=true. Undefined when
     * the stack has no outputs or they cannot be read.
     */
    async leaseOutput(): Promise<unknown> {
        const stack = await this.stack();
        const ws = stack.workspace;
        const env: Record<string, string> = { ...(ws.pulumiHome !== undefined ? { PULUMI_HOME: ws.pulumiHome } : {}), ...ws.envVars };
        try {
            const pulumiCommand = await pulumiCommandFor(this.opts.pulumiRoot);
            const cli = pulumiCommand.command;
            const pathVar = path.isAbsolute(cli) ? { PATH: `${path.dirname(cli)}${path.delimiter}${env["PATH"] ?? process.env["PATH"] ?? ""}` } : {};
            const { stdout } = await execFileAsync(cli, ["stack", "output", "--json", "--non-interactive", "--stack", stack.name], {
                cwd: ws.workDir,
                env: { ...process.env, ...env, ...pathVar, PULUMI_AUTOMATION_API: "true" },
                maxBuffer: 64 * 1024 * 1024,
            });
            const outputs = JSON.parse(stdout) as Record<string, unknown> | null;
            return outputs !== null && Object.hasOwn(outputs, LEASE_OUTPUT) ? outputs[LEASE_OUTPUT] : undefined;
        } catch {
            return undefined; // as before: an unreadable output is no lease; the binding check runs inside the update
        }
    }

    /** The useful part of a CLI error: the `error:` lines of stderr, redacted. */
    private clean(err: unknown): string {
        return redactedCliError(err instanceof CommandError || err instanceof Error ? err.message : String(err), this.redactor);
    }
}

/**
 * The useful part of a failed CLI command's text, on one line: the engine's diagnostics (`error: ...` lines and
 * the `- ...` / `fix: ...` lines of a config error under them), each once, without the command line or the
 * progress lines; else the lines that mention an error or a lock. At most `max` characters. Pure.
 */
export function cliErrorSummary(text: string, max = 1200): string {
    const lines = text.split("\n").map((l) => l.trim());
    const picked: string[] = [];
    let inDiagnostic = false;
    for (const l of lines) {
        if (/^error:/.test(l) && !/Command failed with exit code/.test(l)) {
            inDiagnostic = true;
            picked.push(l);
        } else if (inDiagnostic && /^(- |fix: )/.test(l)) {
            picked.push(l);
        } else {
            inDiagnostic = false;
        }
    }
    const unique = [...new Set(picked)];
    const fallback = lines.filter((l) => /error:|^stderr:|failed|conflict|locked/i.test(l) && !/^stdout:$/.test(l));
    return (unique.length > 0 ? unique : fallback.length > 0 ? fallback : [text]).join(" | ").slice(0, max);
}

/**
 * {@link cliErrorSummary} of a CLI error's text, redacted before it is cut short: a secret cut in two by the
 * cut would no longer be found, and its first half would be printed. Pure.
 */
export function redactedCliError(text: string, redactor: Redactor, max?: number): string {
    return cliErrorSummary(redactor.redact(text), max);
}

/** A value at a Pulumi property path (`spec.http[0].route[1].weight`, `metadata.labels["app"]`), or undefined. */
export function valueAtPropertyPath(value: unknown, propertyPath: string): unknown {
    let at: unknown = value;
    for (const m of propertyPath.matchAll(/([^.[\]"]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
        const key = m[1] ?? m[2] ?? m[3] ?? "";
        if (at === null || typeof at !== "object" || !Object.hasOwn(at, key)) {
            return undefined;
        }
        at = (at as Record<string, unknown>)[key];
    }
    return at;
}

/** One step of a preview as a gate shows it: op, kind, name, and each changed input with its old and new value when short. */
export function plannedChange(step: StepEventMetadata, redactor: Redactor): PlannedChange {
    const kind = step.type.split(":").pop() ?? step.type;
    const name = step.urn.split("::").pop() ?? step.urn;
    const show = (v: unknown): string | undefined => {
        if (v === undefined) return "(none)";
        if (v !== null && typeof v === "object") return undefined;
        const text = JSON.stringify(v);
        return text.length <= 60 ? text : undefined;
    };
    const paths = step.detailedDiff !== undefined ? Object.keys(step.detailedDiff) : (step.diffs ?? []);
    const diffs = paths.sort().map((p) => {
        const before = show(valueAtPropertyPath(step.old?.inputs, p));
        const after = show(valueAtPropertyPath(step.new?.inputs, p));
        return redactor.redact(before !== undefined && after !== undefined ? `${p} ${before} -> ${after}` : p);
    });
    return { op: step.op, kind, name, diffs };
}

/** `{ update: 2, same: 10 }` -> "2 update, 10 same"; "no changes" when empty. */
export function changeSummary(changes: Readonly<Record<string, number>> | undefined): string {
    const text = Object.entries(changes ?? {})
        .map(([op, n]) => `${n} ${op}`)
        .join(", ");
    return text === "" ? "no changes" : text;
}

function firstLine(err: unknown): string {
    return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}
