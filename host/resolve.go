package host

import (
	"fmt"
	"slices"
	"strings"
)

// Request says which connection a caller wants. Everything but the device's
// platform is optional.
type Request struct {
	Type, Library string   // e.g. ssh, scrapli
	Capabilities  []string // required capabilities; they steer resolution (step 3)
	Fallback      bool     // fallback_to_default: let defaults settle several candidates (step 5)
	Deferred      bool     // open the session without connecting; Conn.Connect connects it
}

// Step is one line of a Resolution's explanation: what step, which entry,
// kept or dropped, and why.
type Step struct {
	Step   int    `json:"step"`
	Entry  string `json:"entry,omitempty"` // "plugin type/library", or "" for the step as a whole
	Kept   bool   `json:"kept"`
	Reason string `json:"reason"`
}

func (s Step) String() string {
	verdict := "drop"
	if s.Kept {
		verdict = "keep"
	}
	if s.Entry == "" {
		return fmt.Sprintf("%d  %s", s.Step, s.Reason)
	}
	return fmt.Sprintf("%d  %s %s: %s", s.Step, verdict, s.Entry, s.Reason)
}

// Resolution is the outcome of resolving a request: the chosen entry, the
// warnings a caller should log, and the reasoning step by step.
type Resolution struct {
	Entry    *Entry
	Warnings []string // e.g. no candidate had every required capability (step 3)
	Explain  []Step   // why each entry was kept or dropped, in order
}

// Resolve picks the entry that serves device d for req, with the seed's
// algorithm:
//
//  1. validate the device (every missing field at once);
//  2. candidates: entries for the platform (including "*" entries), then
//     for the type if given, then for the library if given; none is a
//     *PluginNotFoundError listing what exists for the platform;
//  3. required capabilities: keep the candidates that have all; if none has
//     all, the one with the most wins with a warning; a tie on the most is
//     an *AmbiguousError at once;
//  4. one candidate: use it;
//  5. several and req.Fallback: the (platform, type) default when a type
//     was given, then the platform default, each used only if it is among
//     the remaining candidates; a host config default replaces the
//     manifests' claim for the same default, and a default for one platform
//     comes before a manifest's default for "*";
//  6. otherwise an *AmbiguousError listing the candidates and their
//     capabilities.
//
// The Resolution is returned on error too, with Explain filled in as far as
// resolution got. Nothing is launched.
func (r *Registry) Resolve(d Device, req Request) (*Resolution, error) {
	if err := ValidateDevice(d); err != nil {
		return &Resolution{Explain: []Step{{Step: 1, Reason: err.Error()}}}, err
	}
	id := deviceID(d)
	res, err := r.resolve(d.Platform, id, req)
	res.Explain = slices.Insert(res.Explain, 0, Step{Step: 1, Kept: true,
		Reason: "device " + id + " has platform, host, username and credentials"})
	return res, err
}

// ResolvePlatform is Resolve from step 2, for a platform rather than a
// device (netyard resolve, tools that plan before they connect).
func (r *Registry) ResolvePlatform(platform string, req Request) (*Resolution, error) {
	if platform == "" {
		err := &ValidationError{Missing: []string{"platform"}}
		return &Resolution{Explain: []Step{{Step: 1, Reason: err.Error()}}}, err
	}
	return r.resolve(platform, "", req)
}

func (r *Registry) resolve(platform, deviceID string, req Request) (*Resolution, error) {
	res := &Resolution{}
	note := func(step int, e *Entry, kept bool, format string, args ...any) {
		s := Step{Step: step, Kept: kept, Reason: fmt.Sprintf(format, args...)}
		if e != nil {
			s.Entry = e.String()
		}
		res.Explain = append(res.Explain, s)
	}
	b := base{DeviceID: deviceID}

	// Step 2: platform, type, library.
	all := r.Entries(platform)
	if len(all) == 0 {
		note(2, nil, false, "nothing is registered for platform %s", platform)
	}
	var cands []*Entry
	for _, e := range all {
		switch {
		case req.Type != "" && e.Type != req.Type:
			note(2, e, false, "type %s, not %s", e.Type, req.Type)
		case req.Library != "" && e.Library != req.Library:
			note(2, e, false, "library %s, not %s", e.Library, req.Library)
		default:
			why := "serves platform " + platform
			if !slices.Contains(e.Platforms, platform) {
				why = "serves every platform (*)"
			}
			if req.Type != "" {
				why += ", type " + req.Type
			}
			if req.Library != "" {
				why += ", library " + req.Library
			}
			note(2, e, true, "%s", why)
			cands = append(cands, e)
		}
	}
	if len(cands) == 0 {
		return res, &PluginNotFoundError{base: b, Platform: platform, Type: req.Type, Library: req.Library,
			Available: r.availableList(platform)}
	}

	// Step 3: required capabilities.
	if len(req.Capabilities) > 0 {
		want := strings.Join(req.Capabilities, ", ")
		missing := func(e *Entry) []string {
			var out []string
			for _, c := range req.Capabilities {
				if !e.HasCapability(c) {
					out = append(out, c)
				}
			}
			return out
		}
		var full []*Entry
		most := -1
		for _, e := range cands {
			n := len(req.Capabilities) - len(missing(e))
			if n == len(req.Capabilities) {
				full = append(full, e)
			}
			most = max(most, n)
		}
		if len(full) > 0 {
			for _, e := range cands {
				if lacks := missing(e); len(lacks) > 0 {
					note(3, e, false, "lacks %s", strings.Join(lacks, ", "))
				} else {
					note(3, e, true, "has every required capability (%s)", want)
				}
			}
			cands = full
		} else {
			var best []*Entry
			for _, e := range cands {
				lacks := missing(e)
				if len(req.Capabilities)-len(lacks) == most {
					best = append(best, e)
					note(3, e, true, "no candidate has all of %s; this one has %d of %d (lacks %s)", want, most, len(req.Capabilities), strings.Join(lacks, ", "))
				} else {
					note(3, e, false, "lacks %s; others have more of %s", strings.Join(lacks, ", "), want)
				}
			}
			if len(best) > 1 {
				note(3, nil, false, "%d candidates tie with %d of the %d required capabilities", len(best), most, len(req.Capabilities))
				return res, &AmbiguousError{base: b, Platform: platform, Candidates: candidates(best),
					Reason: fmt.Sprintf("no candidate has every required capability (%s) and %d tie with %d of them", want, len(best), most)}
			}
			e := best[0]
			res.Warnings = append(res.Warnings, fmt.Sprintf("no plugin for platform %s has every required capability (%s); using %s, which lacks %s",
				platform, want, e, strings.Join(missing(e), ", ")))
			cands = best
		}
	}

	// Step 4: one candidate.
	if len(cands) == 1 {
		note(4, cands[0], true, "the only candidate")
		res.Entry = cands[0]
		return res, nil
	}
	note(4, nil, false, "%d candidates remain", len(cands))

	// Step 5: defaults, only among the candidates.
	reason := "fallback to defaults was not requested"
	if req.Fallback {
		type lookup struct {
			what string
			c    claim
			ok   bool
		}
		var looks []lookup
		if req.Type != "" {
			c, ok := r.typeDefault(platform, req.Type)
			looks = append(looks, lookup{"(" + platform + ", " + req.Type + ") default", c, ok})
		}
		c, ok := r.platformDefault(platform)
		looks = append(looks, lookup{"platform " + platform + " default", c, ok})
		for _, l := range looks {
			if !l.ok {
				note(5, nil, false, "no %s is registered", l.what)
				continue
			}
			i := slices.IndexFunc(cands, func(e *Entry) bool { return e.Key() == l.c.key })
			if i < 0 {
				note(5, nil, false, "the %s %s (from %s) is not among the remaining candidates", l.what, l.c.key, l.c.source)
				continue
			}
			note(5, cands[i], true, "the %s (from %s)", l.what, l.c.source)
			res.Entry = cands[i]
			return res, nil
		}
		reason = "no default is among them"
	} else {
		note(5, nil, false, "fallback to defaults was not requested")
	}

	// Step 6: ambiguous.
	note(6, nil, false, "%d candidates and %s", len(cands), reason)
	return res, &AmbiguousError{base: b, Platform: platform, Candidates: candidates(cands),
		Reason: fmt.Sprintf("%d candidates and %s", len(cands), reason)}
}

func candidates(es []*Entry) []Candidate {
	out := make([]Candidate, len(es))
	for i, e := range es {
		out[i] = e.candidate()
	}
	return out
}

// platformDefault returns the effective platform default: host config,
// then a manifest's claim for the platform, then one for "*".
func (r *Registry) platformDefault(platform string) (claim, bool) {
	for _, m := range []map[string]claim{r.hostPlatform, r.manifestPlatform} {
		if c, ok := m[platform]; ok {
			return c, true
		}
	}
	c, ok := r.manifestPlatform["*"]
	return c, ok
}

// typeDefault returns the effective (platform, type) default, in the same
// order as platformDefault.
func (r *Registry) typeDefault(platform, typ string) (claim, bool) {
	for _, m := range []map[string]claim{r.hostType, r.manifestType} {
		if c, ok := m[platform+"/"+typ]; ok {
			return c, true
		}
	}
	c, ok := r.manifestType["*/"+typ]
	return c, ok
}
