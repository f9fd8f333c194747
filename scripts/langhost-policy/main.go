// Command pulumi-language-nodejs is mesh-traffic's front for the tool chain's Node language host: it runs Node
// policy packs (`pulumi up --policy-pack DIR`) for the pinned CLI, and hands every other call to the tool
// chain's own host unchanged.
//
// Why: the pinned CLI (v3.260.0) starts a policy pack whose PulumiPolicy.yaml says `runtime: nodejs` through the
// nodejs language host's RunPlugin (pkg/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer: the
// `pulumi-analyzer-policy` shim of older distributions is looked for only when no nodejs language host exists at
// all). The tool chain's host is built from sdk/v3 v3.68.0 (the newer module is not served by the proxy this
// project reaches), whose RunPlugin answers "not supported". This front serves RunPlugin for analyzers as the
// upstream host does today (sdk/nodejs/cmd/pulumi-language-nodejs RunPlugin: `node
// @pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>` in the pack dir, behind sdk.PolicyProxy, which passes
// the stack's config and name to the pack as PULUMI_CONFIG, PULUMI_NODEJS_STACK, ...), and forwards every other
// LanguageRuntime call, byte for byte, to the next pulumi-language-nodejs on PATH (the tool chain's).
//
// Built by scripts/toolchain.sh (tool `langhost-policy`, its own cache key); docs/toolchain.md.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

const hostName = "pulumi-language-nodejs"

// maxMessage is the message size limit Pulumi's own servers and clients use (sdk rpcutil, 400 MiB).
const maxMessage = 400 * 1024 * 1024

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mesh-traffic langhost-policy: "+format+"\n", args...)
	os.Exit(1)
}

// nextHost is the first pulumi-language-nodejs on PATH that is not this executable.
func nextHost() (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if s, err := filepath.EvalSymlinks(self); err == nil {
		self = s
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		candidate := filepath.Join(dir, hostName)
		resolved, err := filepath.EvalSymlinks(candidate)
		if err != nil || resolved == self {
			continue
		}
		if st, err := os.Stat(resolved); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("no other %s on PATH after %s: put the tool chain's bin dir (bash scripts/toolchain.sh --print-bin) on PATH after this one", hostName, self)
}

// frame is a message forwarded without decoding.
type frame struct{ payload []byte }

// codec passes frames through as bytes and (un)marshals everything else as protobuf (RunPlugin's messages).
type codec struct{}

func (codec) Name() string { return "proto" }

func (codec) Marshal(v any) ([]byte, error) {
	if f, ok := v.(*frame); ok {
		return f.payload, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (codec) Unmarshal(data []byte, v any) error {
	if f, ok := v.(*frame); ok {
		f.payload = append([]byte(nil), data...)
		return nil
	}
	return proto.Unmarshal(data, v.(proto.Message))
}

// forward relays one call of any method to the real host: metadata, every message both ways, header and trailer.
func forward(conn *grpc.ClientConn) grpc.StreamHandler {
	return func(_ any, in grpc.ServerStream) error {
		method, ok := grpc.MethodFromServerStream(in)
		if !ok {
			return errors.New("no method on the stream")
		}
		ctx, cancel := context.WithCancel(in.Context())
		defer cancel()
		if md, ok := metadata.FromIncomingContext(ctx); ok {
			ctx = metadata.NewOutgoingContext(ctx, md.Copy())
		}
		out, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method,
			grpc.ForceCodec(codec{}))
		if err != nil {
			return err
		}
		upDone := make(chan error, 1)
		go func() {
			for {
				f := &frame{}
				if err := in.RecvMsg(f); err != nil {
					if errors.Is(err, io.EOF) {
						upDone <- out.CloseSend()
					} else {
						upDone <- err
					}
					return
				}
				if err := out.SendMsg(f); err != nil {
					upDone <- err
					return
				}
			}
		}()
		headerSent := false
		for {
			f := &frame{}
			err := out.RecvMsg(f)
			if !headerSent {
				if md, herr := out.Header(); herr == nil {
					_ = in.SendHeader(md)
				}
				headerSent = true
			}
			if err != nil {
				in.SetTrailer(out.Trailer())
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
			if err := in.SendMsg(f); err != nil {
				return err
			}
		}
	}
}

// front serves RunPlugin only; grpc hands every other method to forward (UnknownServiceHandler).
type front struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
}

// RunPlugin runs a Node policy pack as the upstream nodejs host does (sdk/nodejs/cmd/pulumi-language-nodejs).
func (front) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetKind() != string(apitype.AnalyzerPlugin) {
		return fmt.Errorf("mesh-traffic langhost-policy runs policy packs (kind analyzer) only, not kind %q", req.GetKind())
	}
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		return errors.New("RunPlugin: no program directory for the policy pack")
	}
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node not found on PATH: %w", err)
	}
	// The policy pack's own @pulumi/pulumi, resolved from its directory as Node resolves it.
	resolve := exec.CommandContext(ctx, node, "-e",
		"process.stdout.write(require.resolve('@pulumi/pulumi/cmd/run-policy-pack'))")
	resolve.Dir = dir
	resolved, err := resolve.Output()
	if err != nil {
		return fmt.Errorf("it looks like the policy pack's dependencies are not installed: "+
			"@pulumi/pulumi/cmd/run-policy-pack is not found from %s (npm ci there, or in a parent folder): %w", dir, err)
	}
	args := []string{filepath.Dir(string(resolved))}
	args = append(args, req.GetArgs()...)
	args = append(args, dir)

	env := req.GetEnv()
	proxy, stdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start policy pack proxy: %w", err)
	}
	config, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get stack configuration: %w", err)
	}
	if config != nil {
		add := func(k, v string) {
			if v != "" {
				env = append(env, k+"="+v)
			}
		}
		add("PULUMI_NODEJS_ORGANIZATION", config.GetOrganization())
		add("PULUMI_NODEJS_PROJECT", config.GetProject())
		add("PULUMI_NODEJS_STACK", config.GetStack())
		add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(config.GetDryRun()))
		if config.GetConfig() != nil {
			js, err := json.Marshal(config.GetConfig())
			if err != nil {
				return fmt.Errorf("could not marshal stack configuration: %w", err)
			}
			add("PULUMI_CONFIG", string(js))
		}
	}

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir // policy packs run in their own directory, as they always have
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run node for the policy pack: %w", err)
	}
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return fmt.Errorf("policy pack exited with code %d", exitErr.ExitCode())
		}
		return err
	}
	return closer.Close()
}

func main() {
	realHost, err := nextHost()
	if err != nil {
		fail("%v", err)
	}
	child := exec.Command(realHost, os.Args[1:]...)
	child.Stderr = os.Stderr
	child.Stdin = os.Stdin
	childOut, err := child.StdoutPipe()
	if err != nil {
		fail("%v", err)
	}
	if err := child.Start(); err != nil {
		fail("could not start %s: %v", realHost, err)
	}
	reader := bufio.NewReader(childOut)
	line, err := reader.ReadString('\n')
	if err != nil {
		_ = child.Process.Kill()
		fail("%s printed no port: %v", realHost, err)
	}
	port := strings.TrimSpace(line)

	conn, err := grpc.NewClient("127.0.0.1:"+port, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessage),
			grpc.MaxCallSendMsgSize(maxMessage)))
	if err != nil {
		_ = child.Process.Kill()
		fail("dial %s: %v", realHost, err)
	}
	runPluginOnly := grpc.ServiceDesc{
		ServiceName: pulumirpc.LanguageRuntime_ServiceDesc.ServiceName,
		HandlerType: pulumirpc.LanguageRuntime_ServiceDesc.HandlerType,
		Metadata:    pulumirpc.LanguageRuntime_ServiceDesc.Metadata,
	}
	for _, s := range pulumirpc.LanguageRuntime_ServiceDesc.Streams {
		if s.StreamName == "RunPlugin" {
			runPluginOnly.Streams = append(runPluginOnly.Streams, s)
		}
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(codec{}), grpc.UnknownServiceHandler(forward(conn)),
		grpc.MaxRecvMsgSize(maxMessage), grpc.MaxSendMsgSize(maxMessage))
	srv.RegisterService(&runPluginOnly, front{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = child.Process.Kill()
		fail("listen: %v", err)
	}
	go func() { _ = srv.Serve(lis) }()
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	// The real host's further stdout is ours.
	go func() { _, _ = io.Copy(os.Stdout, reader) }()

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- child.Wait() }()
	select {
	case sig := <-signals:
		_ = child.Process.Signal(sig)
		<-exited
		srv.Stop()
		os.Exit(0)
	case err := <-exited:
		srv.Stop()
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			os.Exit(exitErr.ExitCode())
		}
		os.Exit(0)
	}
}
