package main

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/scrapli/scrapligo/driver/network"
	"github.com/scrapli/scrapligo/platform"
	"github.com/scrapli/scrapligo/util"
)

// onOpen runs the platform's network-on-open (scrapligo's platform data:
// acquire-priv, driver.send-command, channel.write, channel.return) in
// direct mode, as scrapligo's asNetworkOnX would but without its ReadDelay
// polling: every step is one write and blocking waits on the pump.
func (s *session) onOpen(ctx context.Context, ops []map[string]any) error {
	for _, op := range ops {
		kind, _ := op["operation"].(string)
		var err error
		switch kind {
		case platform.OpChannelWrite:
			in, ok := op["input"].(string)
			if !ok {
				return fmt.Errorf("%w: on-open channel.write: bad input", util.ErrBadOption)
			}
			err = s.g.Write([]byte(in))
		case platform.OpChannelReturn:
			err = s.g.Write([]byte("\n"))
		case platform.OpAcquirePriv:
			target := s.drv.DefaultDesiredPriv
			if t, ok := op["target"].(string); ok {
				target = t
			}
			err = s.acquirePriv(ctx, target)
		case platform.OpDriverSendCommand:
			c, ok := op["command"].(string)
			if !ok {
				return fmt.Errorf("%w: on-open driver.send-command: bad command", util.ErrBadOption)
			}
			_, _, err = s.step(ctx, c+"\n", true, s.prompt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// step writes input (first dropping pending output when afterEcho: what
// came before is not its answer) and reads until one of res matches at the end of the output (after
// the echo of input when afterEcho). It returns the output from where the
// match starts and which pattern matched. A step that outlives timeout_ops
// is scrapligo's timeout error.
func (s *session) step(ctx context.Context, input string, afterEcho bool, res ...*regexp.Regexp) (string, int, error) {
	octx, cancel := context.WithTimeout(ctx, s.opts.timeoutOps)
	defer cancel()
	if afterEcho {
		s.g.discard()
	}
	if err := s.g.Write([]byte(input)); err != nil {
		return "", 0, err
	}
	out, at, which, err := s.readUntil(octx, afterEcho, res)
	if err != nil {
		if cerr := s.g.connErr(); cerr != nil {
			return "", 0, cerr
		}
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return "", 0, fmt.Errorf("%w: no prompt within %v", util.ErrTimeoutError, s.opts.timeoutOps)
		}
		return "", 0, err
	}
	return strings.TrimSpace(string(out[at:])), which, nil
}

// acquirePriv is scrapligo's AcquirePriv (same privilege graph walk, same
// escalate and deescalate inputs, same attempt bound) in direct mode. The
// prompt that ends each step tells the next level, so only the first step
// asks for a prompt with a return.
func (s *session) acquirePriv(ctx context.Context, target string) error {
	levels := s.drv.PrivilegeLevels
	if _, ok := levels[target]; !ok {
		return fmt.Errorf("%w: requested target privilege level '%s' is not a valid privilege level",
			util.ErrPrivilegeError, target)
	}
	prompt, _, err := s.step(ctx, "\n", false, s.prompt)
	if err != nil {
		return err
	}
	for count := 0; ; count++ {
		cur, err := s.privOf(prompt, target)
		if err != nil {
			return err
		}
		if cur == target {
			s.drv.CurrentPriv = cur
			return nil
		}
		if count > len(levels)*2 {
			break
		}
		s.drv.CurrentPriv = "UNKNOWN" // as scrapligo: unknown until a prompt says
		next := ""                    // the level above cur on the way to target
		l := target
		for hops := 0; hops < len(levels) && levels[l] != nil; hops++ { // bounded: previous-priv may cycle
			if levels[l].PreviousPriv == cur {
				next = l
				break
			}
			l = levels[l].PreviousPriv
		}
		if next == "" {
			// Not below target: go down one level.
			if levels[cur].Deescalate == "" {
				return fmt.Errorf("%w: no way from '%s' to '%s'", util.ErrPrivilegeError, cur, target)
			}
			if prompt, _, err = s.step(ctx, levels[cur].Deescalate+"\n", true, s.prompt); err != nil {
				return err
			}
			continue
		}
		if prompt, err = s.escalate(ctx, levels[next]); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: failed to acquire target privilege level '%s'", util.ErrPrivilegeError, target)
}

// escalate sends l's escalate command, and the auth secondary (enable
// secret) when the device asks for it with l's escalate prompt. It returns
// the prompt the device ends on.
func (s *session) escalate(ctx context.Context, l *network.PrivilegeLevel) (string, error) {
	res := []*regexp.Regexp{s.prompt}
	if l.EscalatePrompt != "" {
		re, err := cachedRegexp(l.EscalatePrompt)
		if err != nil {
			return "", fmt.Errorf("%w: escalate-prompt of '%s': %v", util.ErrPrivilegeError, l.Name, err)
		}
		res = append(res, re)
	}
	prompt, which, err := s.step(ctx, l.Escalate+"\n", true, res...)
	if err != nil || which == 0 {
		return prompt, err
	}
	if s.drv.AuthSecondary == "" {
		return "", fmt.Errorf("%w: '%s' asks for a secret and no enable secret is set", util.ErrPrivilegeError, l.Escalate)
	}
	prompt, which, err = s.step(ctx, s.drv.AuthSecondary+"\n", false, res...)
	if err == nil && which != 0 {
		err = fmt.Errorf("%w: the enable secret was refused ('%s' asks again)", util.ErrPrivilegeError, l.Escalate)
	}
	return prompt, err
}

// privOf is the privilege level a prompt belongs to, chosen as scrapligo's
// processAcquirePriv does (the current level, else the target, else the
// first match).
func (s *session) privOf(prompt, target string) (string, error) {
	var names []string
	for name := range s.drv.PrivilegeLevels {
		names = append(names, name)
	}
	slices.Sort(names)
	var match []string
	for _, name := range names {
		l := s.drv.PrivilegeLevels[name]
		if util.StringContainsAny(prompt, l.NotContains) {
			continue
		}
		re, err := cachedRegexp(l.Pattern)
		if err != nil {
			return "", fmt.Errorf("%w: pattern of '%s': %v", util.ErrPrivilegeError, name, err)
		}
		if re.MatchString(prompt) {
			match = append(match, name)
		}
	}
	switch {
	case len(match) == 0:
		return "", fmt.Errorf("%w: could not determine privilege level from prompt '%s'", util.ErrPrivilegeError, prompt)
	case slices.Contains(match, s.drv.CurrentPriv):
		return s.drv.CurrentPriv, nil
	case slices.Contains(match, target):
		return target, nil
	}
	return match[0], nil
}

var regexps sync.Map // pattern -> *regexp.Regexp

func cachedRegexp(p string) (*regexp.Regexp, error) {
	if re, ok := regexps.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	regexps.Store(p, re)
	return re, nil
}
