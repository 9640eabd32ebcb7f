// Package datastore is the simulator's configuration store behind NETCONF
// and RESTCONF: running, candidate and startup datastores of namespace-aware
// XML trees, with RFC 6241 edit-config, subtree and XPath filtering, locks,
// commit with confirmed commit, and RFC 7951 JSON views.
//
// The store knows little YANG (see Schema): which elements are keyed lists,
// a few leaf types, and module names. That is enough for ietf-interfaces,
// ietf-ip and ietf-system, and any other XML is kept and filtered as is.
package datastore

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Datastore names a configuration datastore.
type Datastore string

// The datastores of a Store.
const (
	Running   Datastore = "running"
	Candidate Datastore = "candidate"
	Startup   Datastore = "startup"
)

// ParseDatastore validates a datastore name.
func ParseDatastore(name string) (Datastore, error) {
	switch d := Datastore(name); d {
	case Running, Candidate, Startup:
		return d, nil
	}
	return "", &Error{Type: "protocol", Tag: TagInvalidValue, Message: "unknown datastore " + strconv.Quote(name),
		Info: []Info{{"bad-element", name}}}
}

// DefaultConfirmTimeout is the confirm-timeout of a confirmed commit that
// gives none (RFC 6241 section 8.4.5.1).
const DefaultConfirmTimeout = 600 * time.Second

// Store holds the datastores of one simulated device. It is safe for
// concurrent use; every operation is atomic.
type Store struct {
	schema *Schema

	mu      sync.RWMutex
	roots   map[Datastore]*Node
	locks   map[Datastore]uint32
	pending *confirmedCommit
	version uint64
}

type confirmedCommit struct {
	backup  *Node
	session uint32
	persist string
	timer   *time.Timer
}

// New returns a store whose three datastores hold a copy of config (the
// top-level configuration elements).
func New(config []*Node) *Store {
	root := &Node{Local: "data", Children: cloneAll(config)}
	return &Store{
		schema: DefaultSchema,
		roots:  map[Datastore]*Node{Running: root, Candidate: root.Clone(), Startup: root.Clone()},
		locks:  map[Datastore]uint32{},
	}
}

// NewDefault returns a store with a system hostname and a few
// ietf-interfaces interfaces (eth0, eth1, lo0, with ietf-ip addresses), the
// same in running, candidate and startup.
func NewDefault(hostname string) *Store {
	var esc strings.Builder
	_ = xml.EscapeText(&esc, []byte(hostname))
	doc := fmt.Sprintf(defaultConfig, esc.String())
	root, err := ParseXML([]byte(doc))
	if err != nil {
		panic("datastore: bad default config: " + err.Error())
	}
	return New(root.Children)
}

const defaultConfig = `<config>
<interfaces xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces" xmlns:ianaift="urn:ietf:params:xml:ns:yang:iana-if-type">
  <interface>
    <name>eth0</name>
    <description>uplink</description>
    <type>ianaift:ethernetCsmacd</type>
    <enabled>true</enabled>
    <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
      <address><ip>192.0.2.1</ip><prefix-length>24</prefix-length></address>
    </ipv4>
  </interface>
  <interface>
    <name>eth1</name>
    <description>unused</description>
    <type>ianaift:ethernetCsmacd</type>
    <enabled>false</enabled>
  </interface>
  <interface>
    <name>lo0</name>
    <description>loopback</description>
    <type>ianaift:softwareLoopback</type>
    <enabled>true</enabled>
    <ipv4 xmlns="urn:ietf:params:xml:ns:yang:ietf-ip">
      <address><ip>198.51.100.1</ip><prefix-length>32</prefix-length></address>
    </ipv4>
  </interface>
</interfaces>
<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system">
  <hostname>%s</hostname>
  <contact>noc@example.net</contact>
  <location>netyard simulator</location>
</system>
</config>`

// Schema returns the schema the store validates and keys lists with.
func (s *Store) Schema() *Schema { return s.schema }

// Close stops a pending confirmed-commit timer. The store stays usable.
func (s *Store) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		s.pending.timer.Stop()
	}
}

// Version increases with every change of the running datastore; RESTCONF
// uses it as entity tag.
func (s *Store) Version() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version
}

func (s *Store) setRoot(ds Datastore, root *Node) {
	s.roots[ds] = root
	if ds == Running {
		s.version++
	}
}

// GetConfig returns a copy of the top-level elements of datastore ds that
// filter f selects (all when f is nil).
func (s *Store) GetConfig(ds Datastore, f Filter) ([]*Node, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	root, ok := s.roots[ds]
	if !ok {
		return nil, &Error{Type: "protocol", Tag: TagInvalidValue, Message: "unknown datastore " + string(ds)}
	}
	if f == nil {
		return cloneAll(root.Children), nil
	}
	return f.apply(root, s.schema), nil
}

// Get returns running configuration plus state data (interfaces-state with
// admin and oper status) as selected by f.
func (s *Store) Get(f Filter) ([]*Node, error) {
	s.mu.RLock()
	root := s.roots[Running].Clone()
	s.mu.RUnlock()
	if ifs := root.Child(InterfacesNS, "interfaces"); ifs != nil {
		st := Elem(InterfacesNS, "interfaces-state")
		for _, i := range ifs.Children {
			status := "down"
			if i.ChildText("enabled") != "false" {
				status = "up"
			}
			e := Elem(InterfacesNS, "interface", Leaf(InterfacesNS, "name", i.ChildText("name")))
			if t := i.ChildText("type"); t != "" {
				e.Children = append(e.Children, Leaf(InterfacesNS, "type", t))
			}
			e.Children = append(e.Children, Leaf(InterfacesNS, "admin-status", status), Leaf(InterfacesNS, "oper-status", status))
			st.Children = append(st.Children, e)
		}
		root.Children = append(root.Children, st)
	}
	if f == nil {
		return root.Children, nil
	}
	return f.apply(root, s.schema), nil
}

func inUse(ds Datastore, owner uint32) *Error {
	return &Error{Type: "protocol", Tag: TagInUse, Message: fmt.Sprintf("%s datastore is locked by session %d", ds, owner),
		Info: []Info{{"session-id", strconv.FormatUint(uint64(owner), 10)}}}
}

// checkWritable is called with s.mu held.
func (s *Store) checkWritable(ds Datastore, session uint32) error {
	if _, ok := s.roots[ds]; !ok {
		return &Error{Type: "protocol", Tag: TagInvalidValue, Message: "unknown datastore " + string(ds)}
	}
	if owner := s.locks[ds]; owner != 0 && owner != session {
		return inUse(ds, owner)
	}
	return nil
}

// EditConfig applies an edit-config to datastore target with RFC 6241
// semantics. It returns nil, an *Error or Errors (continue-on-error).
// With test-then-set the result is validated before it is stored; with
// rollback-on-error (and test-only) nothing is stored when anything fails;
// with stop-on-error and continue-on-error the edits before (and around) a
// failure stay.
func (s *Store) EditConfig(target Datastore, config []*Node, opts EditOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.editLocked(target, config, opts)
}

func (s *Store) editLocked(target Datastore, config []*Node, opts EditOptions) error {
	if err := s.checkWritable(target, opts.Session); err != nil {
		return err
	}
	defOp, err := option("default-operation", opts.DefaultOperation, OpMerge, OpMerge, OpReplace, OpNone)
	if err != nil {
		return err
	}
	testOpt, err := option("test-option", opts.TestOption, TestThenSet, TestThenSet, Set, TestOnly)
	if err != nil {
		return err
	}
	errOpt, err := option("error-option", opts.ErrorOption, StopOnError, StopOnError, ContinueOnError, RollbackOnError)
	if err != nil {
		return err
	}
	work := s.roots[target].Clone()
	if defOp == OpReplace {
		work.Children = nil
	}
	ed := &editor{schema: s.schema, stopper: errOpt != ContinueOnError}
	ed.children(work, config, defOp, "")
	errs := ed.errs
	if testOpt != Set {
		errs = append(errs, s.schema.validate(work)...)
	}
	if len(errs) > 0 && (errOpt == RollbackOnError || testOpt == TestOnly || len(ed.errs) == 0) {
		// Validation failures leave the target unchanged whatever the
		// error option: there is no partial result to keep.
		return errorsOrNil(errs)
	}
	if testOpt != TestOnly {
		s.setRoot(target, work)
	}
	return errorsOrNil(errs)
}

// CopyConfig replaces datastore target with a copy of source, or with
// config when source is "".
func (s *Store) CopyConfig(target, source Datastore, config []*Node, session uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWritable(target, session); err != nil {
		return err
	}
	var root *Node
	if source != "" {
		src, ok := s.roots[source]
		if !ok {
			return protocolErr(TagInvalidValue, "unknown datastore "+string(source))
		}
		root = src.Clone()
	} else {
		root = &Node{Local: "data"}
		ed := &editor{schema: s.schema, stopper: true}
		ed.children(root, config, OpReplace, "")
		if len(ed.errs) > 0 {
			return errorsOrNil(ed.errs)
		}
	}
	if errs := s.schema.validate(root); len(errs) > 0 {
		return errorsOrNil(errs)
	}
	s.setRoot(target, root)
	return nil
}

// DeleteConfig empties datastore target; running cannot be deleted.
func (s *Store) DeleteConfig(target Datastore, session uint32) error {
	if target == Running {
		return protocolErr(TagOperationNotSupported, "the running datastore cannot be deleted", Info{"bad-element", "running"})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWritable(target, session); err != nil {
		return err
	}
	s.setRoot(target, &Node{Local: "data"})
	return nil
}

// Validate checks datastore source, or config when source is "".
func (s *Store) Validate(source Datastore, config []*Node) error {
	var root *Node
	if source != "" {
		s.mu.RLock()
		r, ok := s.roots[source]
		if ok {
			root = r.Clone()
		}
		s.mu.RUnlock()
		if !ok {
			return protocolErr(TagInvalidValue, "unknown datastore "+string(source))
		}
	} else {
		root = &Node{Local: "data"}
		ed := &editor{schema: s.schema, stopper: true}
		ed.children(root, config, OpReplace, "")
		if len(ed.errs) > 0 {
			return errorsOrNil(ed.errs)
		}
	}
	return errorsOrNil(s.schema.validate(root))
}

// Lock locks datastore ds for session. It fails with lock-denied, carrying
// the owner's session id in error-info, when another session holds the
// lock, and for the candidate when it has uncommitted changes.
func (s *Store) Lock(ds Datastore, session uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.roots[ds]; !ok {
		return protocolErr(TagInvalidValue, "unknown datastore "+string(ds))
	}
	if owner := s.locks[ds]; owner != 0 {
		return &Error{Type: "protocol", Tag: TagLockDenied,
			Message: fmt.Sprintf("%s datastore is already locked by session %d", ds, owner),
			Info:    []Info{{"session-id", strconv.FormatUint(uint64(owner), 10)}}}
	}
	if ds == Candidate && !Equal(s.roots[Candidate], s.roots[Running]) {
		return &Error{Type: "protocol", Tag: TagLockDenied,
			Message: "candidate datastore has uncommitted changes", Info: []Info{{"session-id", "0"}}}
	}
	s.locks[ds] = session
	return nil
}

// Unlock releases session's lock on ds.
func (s *Store) Unlock(ds Datastore, session uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.roots[ds]; !ok {
		return protocolErr(TagInvalidValue, "unknown datastore "+string(ds))
	}
	owner := s.locks[ds]
	if owner == 0 {
		return protocolErr(TagOperationFailed, string(ds)+" datastore is not locked")
	}
	if owner != session {
		return &Error{Type: "protocol", Tag: TagOperationFailed,
			Message: fmt.Sprintf("%s datastore is locked by session %d", ds, owner),
			Info:    []Info{{"session-id", strconv.FormatUint(uint64(owner), 10)}}}
	}
	delete(s.locks, ds)
	return nil
}

// LockOwner returns the session holding ds's lock, 0 when unlocked.
func (s *Store) LockOwner(ds Datastore) uint32 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.locks[ds]
}

// ReleaseSession is called when a NETCONF session ends: it releases the
// session's locks and reverts a confirmed commit it issued without persist.
// The candidate's changes are discarded if the session held its lock
// (RFC 6241 section 8.3.5.2).
func (s *Store) ReleaseSession(session uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ds, owner := range s.locks {
		if owner == session {
			if ds == Candidate {
				s.roots[Candidate] = s.roots[Running].Clone()
			}
			delete(s.locks, ds)
		}
	}
	if p := s.pending; p != nil && p.persist == "" && p.session == session {
		s.rollbackLocked()
	}
}

// DiscardChanges resets the candidate to the running configuration.
func (s *Store) DiscardChanges(session uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWritable(Candidate, session); err != nil {
		return err
	}
	s.roots[Candidate] = s.roots[Running].Clone()
	return nil
}

// CommitOptions are the confirmed-commit parameters of commit.
type CommitOptions struct {
	// Confirmed makes the commit revert unless confirmed within Timeout.
	Confirmed bool
	// Timeout is the confirm-timeout; DefaultConfirmTimeout when zero.
	Timeout time.Duration
	// Persist makes the confirmed commit survive the session and lets any
	// session confirm it by giving PersistID equal to it.
	Persist string
	// PersistID confirms (or cancels) a persistent confirmed commit.
	PersistID string
}

// Commit copies the candidate to running after validating it. A commit while
// a confirmed commit is pending confirms it (or, when itself confirmed,
// extends it).
func (s *Store) Commit(session uint32, opts CommitOptions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkWritable(Running, session); err != nil {
		return err
	}
	if err := s.checkWritable(Candidate, session); err != nil {
		return err
	}
	p := s.pending
	if p != nil {
		if p.persist != "" {
			if opts.PersistID != p.persist {
				return protocolErr(TagInvalidValue, "a persistent confirmed commit is pending; persist-id does not match",
					Info{"bad-element", "persist-id"})
			}
		} else if p.session != session {
			return protocolErr(TagInUse, fmt.Sprintf("a confirmed commit of session %d is pending", p.session),
				Info{"session-id", strconv.FormatUint(uint64(p.session), 10)})
		}
	} else if opts.PersistID != "" {
		return protocolErr(TagInvalidValue, "no persistent confirmed commit is pending", Info{"bad-element", "persist-id"})
	}
	if errs := s.schema.validate(s.roots[Candidate]); len(errs) > 0 {
		return errorsOrNil(errs)
	}
	if opts.Confirmed {
		timeout := opts.Timeout
		if timeout <= 0 {
			timeout = DefaultConfirmTimeout
		}
		if p == nil {
			p = &confirmedCommit{backup: s.roots[Running].Clone()}
			s.pending = p
		} else {
			p.timer.Stop()
		}
		p.session = session
		p.persist = opts.Persist
		p.timer = time.AfterFunc(timeout, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.pending == p {
				s.rollbackLocked()
			}
		})
	} else if p != nil {
		p.timer.Stop()
		s.pending = nil
	}
	s.setRoot(Running, s.roots[Candidate].Clone())
	return nil
}

// CancelCommit reverts a pending confirmed commit. persistID must match a
// persistent one; otherwise only the issuing session may cancel.
func (s *Store) CancelCommit(session uint32, persistID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	if p == nil {
		return protocolErr(TagOperationFailed, "no confirmed commit is pending")
	}
	if p.persist != "" && persistID != p.persist {
		return protocolErr(TagInvalidValue, "persist-id does not match", Info{"bad-element", "persist-id"})
	}
	if p.persist == "" && p.session != session {
		return protocolErr(TagOperationFailed, "the confirmed commit was issued by another session")
	}
	s.rollbackLocked()
	return nil
}

// ConfirmPending reports whether a confirmed commit awaits confirmation.
func (s *Store) ConfirmPending() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.pending != nil
}

// rollbackLocked restores running and candidate to their state before the
// pending confirmed commit.
func (s *Store) rollbackLocked() {
	p := s.pending
	p.timer.Stop()
	s.pending = nil
	s.setRoot(Running, p.backup)
	s.roots[Candidate] = p.backup.Clone()
}

// option checks an edit-config parameter: empty means def, anything outside
// allowed is an invalid-value rpc-error naming the parameter.
func option[T ~string](name string, v, def T, allowed ...T) (T, error) {
	if v == "" {
		return def, nil
	}
	if !slices.Contains(allowed, v) {
		return "", protocolErr(TagInvalidValue, "invalid "+name+" "+string(v), Info{"bad-element", name})
	}
	return v, nil
}
