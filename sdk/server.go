package sdk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/status"

	pb "github.com/netyard/netyard/shared/proto/netyard/v1"
)

// server implements the wire contract over the plugin's sessions. It owns
// the session table; each session serialises its own calls, so a hung
// device blocks only its own session.
type server struct {
	pb.UnimplementedPluginServiceServer
	plugin Plugin
	log    Logger
	red    *redactor

	mu       sync.Mutex
	sessions map[string]*entry
}

type entry struct {
	id        string
	sess      Session
	device    Device
	provide   Provide
	lock      chan struct{} // one call at a time per session
	mu        sync.Mutex
	connected bool
	closed    bool
}

func newServer(p Plugin, log Logger, red *redactor) *server {
	return &server{plugin: p, log: log, red: red, sessions: map[string]*entry{}}
}

// wrapErr turns a plugin error into a status error without secrets.
func (s *server) wrapErr(err error) error {
	if err == nil {
		return nil
	}
	st := ToStatus(err)
	p := st.Proto()
	p.Message = s.red.String(p.Message) // details carry kinds and names, never secrets
	return status.FromProto(p).Err()
}

// guard runs f with panics turned into Internal errors: a bug in one session
// must not take the other sessions of the process down.
// The stack goes to the plugin's log, the host gets a short message.
func (s *server) guard(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in plugin code", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = &Error{Kind: KindInternal, Message: fmt.Sprintf("plugin panic: %v (stack in the plugin's log)", r)}
		}
	}()
	return f()
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return DescriptionToProto(s.plugin.Description), nil
}

func (s *server) Health(context.Context, *pb.HealthRequest) (*pb.HealthResponse, error) {
	s.mu.Lock()
	n := len(s.sessions)
	s.mu.Unlock()
	return &pb.HealthResponse{Sessions: int32(n), Pid: int64(os.Getpid())}, nil
}

func newSessionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (s *server) findProvide(typ, lib, platform string) (Provide, bool) {
	for _, p := range s.plugin.Description.Provides {
		if (typ == "" || p.Type == typ) && (lib == "" || p.Library == lib) &&
			(slices.Contains(p.Platforms, "*") || slices.Contains(p.Platforms, platform)) {
			return p, true
		}
	}
	return Provide{}, false
}

func (s *server) OpenSession(ctx context.Context, req *pb.OpenSessionRequest) (*pb.OpenSessionResponse, error) {
	dev := DeviceFromProto(req.GetDevice())
	prov, ok := s.findProvide(req.GetType(), req.GetLibrary(), dev.Platform)
	if !ok {
		return nil, s.wrapErr(Errorf(KindNotImplemented, "plugin %s serves no (type %q, library %q) entry for platform %q", s.plugin.Description.Name, req.GetType(), req.GetLibrary(), dev.Platform))
	}
	s.red.add(dev.Secrets())
	id := newSessionID()
	log := s.log.With("device", dev.ID, "session", id)
	var sess Session
	err := s.guard(func() error {
		var err error
		sess, err = s.plugin.Open(ctx, OpenRequest{Device: dev, Type: prov.Type, Library: prov.Library, Logger: log})
		return err
	})
	if err == nil {
		have := SessionCapabilities(sess)
		_, invoker := sess.(Invoker)
		for _, c := range prov.Capabilities {
			if !slices.Contains(have, c) && (slices.Contains(StandardCapabilities, c) || !invoker) {
				err = Errorf(KindRegistration, "plugin %s declares capability %q for (%s, %s) but its session does not implement it",
					s.plugin.Description.Name, c, prov.Type, prov.Library)
				_ = sess.Close(ctx)
				break
			}
		}
	}
	if err != nil {
		s.red.remove(dev.Secrets())
		return nil, s.wrapErr(err)
	}
	e := &entry{id: id, sess: sess, device: dev, provide: prov, lock: make(chan struct{}, 1)}
	s.mu.Lock()
	s.sessions[id] = e
	s.mu.Unlock()
	if !req.GetDeferred() {
		if err := s.connect(ctx, e); err != nil {
			s.drop(ctx, e)
			return nil, s.wrapErr(err)
		}
	}
	log.Debug("session opened", "deferred", req.GetDeferred())
	return &pb.OpenSessionResponse{SessionId: id}, nil
}

func (s *server) connect(ctx context.Context, e *entry) error {
	e.mu.Lock()
	if e.connected {
		e.mu.Unlock()
		return StateError("session for device %s is already connected", e.device.ID)
	}
	e.mu.Unlock()
	return s.call(ctx, e, func() error {
		if err := e.sess.Connect(ctx); err != nil {
			return err
		}
		e.mu.Lock()
		e.connected = true
		e.mu.Unlock()
		return nil
	})
}

// drop removes a session and closes it.
func (s *server) drop(ctx context.Context, e *entry) {
	s.mu.Lock()
	_, present := s.sessions[e.id]
	delete(s.sessions, e.id)
	s.mu.Unlock()
	if !present {
		return
	}
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	_ = s.guard(func() error { return e.sess.Close(ctx) })
	s.red.remove(e.device.Secrets())
}

func (s *server) closeAll() {
	s.mu.Lock()
	all := make([]*entry, 0, len(s.sessions))
	for _, e := range s.sessions {
		all = append(all, e)
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, e := range all {
		wg.Add(1)
		go func() { defer wg.Done(); s.drop(ctx, e) }()
	}
	wg.Wait()
}

func (s *server) get(id string) (*entry, error) {
	s.mu.Lock()
	e, ok := s.sessions[id]
	s.mu.Unlock()
	if !ok {
		return nil, StateError("no open session %q in this plugin process (closed, or the process was replaced)", id)
	}
	return e, nil
}

// call serialises calls on one session; waiting for the session honours ctx.
func (s *server) call(ctx context.Context, e *entry, f func() error) error {
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return OperationError(true, ctx.Err(), "device %s: waiting for the session's previous call", e.device.ID)
	}
	defer func() { <-e.lock }()
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		return StateError("session for device %s is closed", e.device.ID)
	}
	return s.guard(f)
}

// capCall finds the session, checks it is connected and serves capability c,
// and runs f on it.
func capCall[T any](s *server, ctx context.Context, id, c, method string, f func(T) error) error {
	e, err := s.get(id)
	if err != nil {
		return s.wrapErr(err)
	}
	impl, ok := e.sess.(T)
	if !ok || !slices.Contains(e.provide.Capabilities, c) {
		return s.wrapErr(NotImplementedError(c, method))
	}
	e.mu.Lock()
	connected := e.connected
	e.mu.Unlock()
	if !connected {
		return s.wrapErr(StateError("session for device %s is not connected (opened deferred: call Connect first)", e.device.ID))
	}
	return s.wrapErr(s.call(ctx, e, func() error { return f(impl) }))
}

func (s *server) Connect(ctx context.Context, req *pb.ConnectRequest) (*pb.ConnectResponse, error) {
	e, err := s.get(req.GetSessionId())
	if err != nil {
		return nil, s.wrapErr(err)
	}
	if err := s.connect(ctx, e); err != nil {
		return nil, s.wrapErr(err)
	}
	return &pb.ConnectResponse{}, nil
}

// CloseSession does not wait for a call in flight: closing the transport is
// what unblocks a hung device read.
func (s *server) CloseSession(ctx context.Context, req *pb.CloseSessionRequest) (*pb.CloseSessionResponse, error) {
	s.mu.Lock()
	e, ok := s.sessions[req.GetSessionId()]
	s.mu.Unlock()
	if ok {
		s.drop(ctx, e)
		s.log.Debug("session closed", "device", e.device.ID, "session", e.id)
	}
	return &pb.CloseSessionResponse{}, nil
}

func (s *server) Alive(ctx context.Context, req *pb.AliveRequest) (*pb.AliveResponse, error) {
	e, err := s.get(req.GetSessionId())
	if err != nil {
		return &pb.AliveResponse{}, nil
	}
	e.mu.Lock()
	alive := e.connected && !e.closed
	e.mu.Unlock()
	if a, ok := e.sess.(Aliver); ok && alive {
		alive = a.Alive(ctx)
	}
	return &pb.AliveResponse{Alive: alive}, nil
}

func (s *server) SendCommands(ctx context.Context, req *pb.SendCommandsRequest) (*pb.SendCommandsResponse, error) {
	var out []Response
	err := capCall(s, ctx, req.GetSessionId(), CapCLI, "SendCommands", func(c CLI) (err error) {
		out, err = c.SendCommands(ctx, CommandsRequest{Commands: req.GetCommands(), FailedWhenContains: req.GetFailedWhenContains(), StopOnFailed: req.GetStopOnFailed()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &pb.SendCommandsResponse{Responses: ResponsesToProto(out)}, nil
}

func (s *server) SendConfig(ctx context.Context, req *pb.SendConfigRequest) (*pb.SendConfigResponse, error) {
	var out ConfigResult
	err := capCall(s, ctx, req.GetSessionId(), CapCLIConfig, "SendConfig", func(c CLIConfig) (err error) {
		out, err = c.SendConfig(ctx, ConfigRequest{Lines: req.GetLines(), FailedWhenContains: req.GetFailedWhenContains(), StopOnFailed: req.GetStopOnFailed(), DryRun: req.GetDryRun()})
		return err
	})
	if err != nil {
		return nil, err
	}
	return ConfigResultToProto(out), nil
}

func (s *server) GetVersion(ctx context.Context, req *pb.GetVersionRequest) (*pb.GetVersionResponse, error) {
	var out DeviceInfo
	err := capCall(s, ctx, req.GetSessionId(), CapDeviceInfo, "GetVersion", func(c DeviceInfoGetter) (err error) {
		out, err = c.GetVersion(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return DeviceInfoToProto(out), nil
}

func (s *server) Netconf(ctx context.Context, req *pb.NetconfRequest) (*pb.NetconfResponse, error) {
	var out NetconfReply
	method := req.GetOperation().String()
	err := capCall(s, ctx, req.GetSessionId(), CapNETCONF, method, func(c NETCONF) (err error) {
		filter := NetconfFilter{Type: req.GetFilterType(), Content: req.GetFilter()}
		switch req.GetOperation() {
		case pb.NetconfOperation_NETCONF_OPERATION_SERVER_CAPABILITIES:
			out.Capabilities, err = c.ServerCapabilities(ctx)
			out.OK = err == nil
		case pb.NetconfOperation_NETCONF_OPERATION_GET:
			out, err = c.Get(ctx, filter)
		case pb.NetconfOperation_NETCONF_OPERATION_GET_CONFIG:
			out, err = c.GetConfig(ctx, req.GetDatastore(), filter)
		case pb.NetconfOperation_NETCONF_OPERATION_EDIT_CONFIG:
			out, err = c.EditConfig(ctx, EditConfig{Target: req.GetDatastore(), Config: req.GetConfig(), DefaultOperation: req.GetDefaultOperation(),
				TestOption: req.GetTestOption(), ErrorOption: req.GetErrorOption()})
		case pb.NetconfOperation_NETCONF_OPERATION_LOCK:
			out, err = c.Lock(ctx, req.GetDatastore())
		case pb.NetconfOperation_NETCONF_OPERATION_UNLOCK:
			out, err = c.Unlock(ctx, req.GetDatastore())
		case pb.NetconfOperation_NETCONF_OPERATION_COMMIT:
			out, err = c.Commit(ctx, CommitOptions{Confirmed: req.GetConfirmed(), ConfirmTimeout: time.Duration(req.GetConfirmTimeoutS()) * time.Second,
				Persist: req.GetPersist(), PersistID: req.GetPersistId()})
		case pb.NetconfOperation_NETCONF_OPERATION_CANCEL_COMMIT:
			out, err = c.CancelCommit(ctx, req.GetPersistId())
		case pb.NetconfOperation_NETCONF_OPERATION_DISCARD_CHANGES:
			out, err = c.DiscardChanges(ctx)
		case pb.NetconfOperation_NETCONF_OPERATION_VALIDATE:
			out, err = c.Validate(ctx, req.GetDatastore())
		case pb.NetconfOperation_NETCONF_OPERATION_COPY_CONFIG:
			out, err = c.CopyConfig(ctx, req.GetDatastore(), req.GetSource())
		case pb.NetconfOperation_NETCONF_OPERATION_DELETE_CONFIG:
			out, err = c.DeleteConfig(ctx, req.GetDatastore())
		case pb.NetconfOperation_NETCONF_OPERATION_RAW_RPC:
			out, err = c.RPC(ctx, req.GetRpc())
		default:
			return Errorf(KindValidation, "unknown NETCONF operation %v", req.GetOperation())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return NetconfReplyToProto(out), nil
}

func (s *server) APIRequest(ctx context.Context, req *pb.APIRequestRequest) (*pb.APIRequestResponse, error) {
	var out APIResponse
	err := capCall(s, ctx, req.GetSessionId(), CapAPI, "Do", func(c API) (err error) {
		out, err = c.Do(ctx, APIRequestFromProto(req))
		return err
	})
	if err != nil {
		return nil, err
	}
	return APIResponseToProto(out), nil
}

func (s *server) Restconf(ctx context.Context, req *pb.RestconfRequest) (*pb.RestconfResponse, error) {
	var out RestconfResponse
	err := capCall(s, ctx, req.GetSessionId(), CapRESTCONF, req.GetMethod(), func(c RESTCONF) (err error) {
		out, err = c.Restconf(ctx, RestconfRequestFromProto(req))
		return err
	})
	if err != nil {
		return nil, err
	}
	return RestconfResponseToProto(out), nil
}

func (s *server) Invoke(ctx context.Context, req *pb.InvokeRequest) (*pb.InvokeResponse, error) {
	var out []byte
	err := capCall(s, ctx, req.GetSessionId(), req.GetCapability(), req.GetMethod(), func(c Invoker) (err error) {
		out, err = c.Invoke(ctx, req.GetCapability(), req.GetMethod(), req.GetJson())
		return err
	})
	if err != nil {
		return nil, err
	}
	return &pb.InvokeResponse{Json: out}, nil
}
