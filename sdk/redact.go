package sdk

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync"
)

// Redacted replaces a secret in logs and error messages.
const Redacted = "[REDACTED]"

// redactor removes registered secrets from everything written through it.
// Secrets are registered per session when it opens and dropped when it
// closes; their JSON-escaped forms are covered too, since logs are JSON.
type redactor struct {
	mu      sync.RWMutex
	counts  map[string]int
	replace *strings.Replacer
}

func newRedactor() *redactor { return &redactor{counts: map[string]int{}} }

func (r *redactor) add(secrets []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		for _, form := range secretForms(s) {
			r.counts[form]++
		}
	}
	r.rebuild()
}

func (r *redactor) remove(secrets []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		for _, form := range secretForms(s) {
			if r.counts[form]--; r.counts[form] <= 0 {
				delete(r.counts, form)
			}
		}
	}
	r.rebuild()
}

func secretForms(s string) []string {
	if len(s) < 3 { // too short to redact without mangling ordinary text
		return nil
	}
	forms := []string{s}
	if b, err := json.Marshal(s); err == nil {
		if esc := string(b[1 : len(b)-1]); esc != s {
			forms = append(forms, esc)
		}
	}
	return forms
}

func (r *redactor) rebuild() {
	if len(r.counts) == 0 {
		r.replace = nil
		return
	}
	// Longest first, so a secret containing another is replaced whole.
	keys := make([]string, 0, len(r.counts))
	for k := range r.counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k, Redacted)
	}
	r.replace = strings.NewReplacer(pairs...)
}

// String returns s without secrets.
func (r *redactor) String(s string) string {
	r.mu.RLock()
	rep := r.replace
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}

// writer wraps w so that every write is redacted.
func (r *redactor) writer(w io.Writer) io.Writer { return redactWriter{r: r, w: w} }

type redactWriter struct {
	r *redactor
	w io.Writer
}

func (rw redactWriter) Write(p []byte) (int, error) {
	clean := rw.r.String(string(p))
	if _, err := io.WriteString(rw.w, clean); err != nil {
		return 0, err
	}
	return len(p), nil
}
