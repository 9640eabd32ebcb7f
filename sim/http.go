package sim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiInterface is one interface in the device's JSON API.
type apiInterface struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Enabled     bool   `json:"enabled"`
	Type        string `json:"type"`
	MTU         int    `json:"mtu"`
	IPv4        string `json:"ipv4,omitempty"`
}

// apiInterfacePatch is a PATCH body: only the fields present change.
type apiInterfacePatch struct {
	Description *string `json:"description"`
	Enabled     *bool   `json:"enabled"`
	Type        *string `json:"type"`
	MTU         *int    `json:"mtu"`
	IPv4        *string `json:"ipv4"`
}

func (d *Device) initInterfaces() {
	for i, n := range d.plat.Interfaces {
		typ := "ethernetCsmacd"
		if strings.HasPrefix(n, "lo") || strings.HasPrefix(n, "Loopback") {
			typ = "softwareLoopback"
		}
		ifc := &apiInterface{Name: n, Enabled: i == 0, Type: typ, MTU: 1500}
		if i == 0 {
			ifc.Description = "uplink"
			ifc.IPv4 = "192.0.2." + strconv.Itoa(d.index%250+1) + "/24"
		}
		d.ifaces = append(d.ifaces, ifc)
	}
}

// httpHandler is the device's HTTP API: /api/v1/... (JSON), /restconf/ and
// /.well-known/host-meta (RESTCONF), behind the fault knobs and authentication.
func (d *Device) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/login", d.apiLogin)
	mux.Handle("GET /api/v1/system", d.requireAuth(http.HandlerFunc(d.apiSystem)))
	mux.Handle("GET /api/v1/interfaces", d.requireAuth(http.HandlerFunc(d.apiListInterfaces)))
	mux.Handle("POST /api/v1/interfaces", d.requireAuth(http.HandlerFunc(d.apiCreateInterface)))
	mux.Handle("GET /api/v1/interfaces/{name...}", d.requireAuth(http.HandlerFunc(d.apiGetInterface)))
	mux.Handle("PUT /api/v1/interfaces/{name...}", d.requireAuth(http.HandlerFunc(d.apiPutInterface)))
	mux.Handle("PATCH /api/v1/interfaces/{name...}", d.requireAuth(http.HandlerFunc(d.apiPatchInterface)))
	mux.Handle("DELETE /api/v1/interfaces/{name...}", d.requireAuth(http.HandlerFunc(d.apiDeleteInterface)))
	if rc := d.restconfHandler(); rc != nil {
		mux.Handle("/restconf/", d.requireAuth(rc))
		mux.Handle("/.well-known/", d.requireAuth(rc))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSONError(w, http.StatusNotFound, "not-found", "no such resource: "+r.URL.Path)
	})
	return d.withFaults(mux)
}

// withFaults counts the request and applies HTTPErrors, Hang and Latency.
func (d *Device) withFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.httpRequests.Add(1)
		status, f := d.httpFault()
		if f.Hang {
			<-r.Context().Done()
			return
		}
		if !sleepCtx(r.Context(), f.Latency) {
			return
		}
		if status != 0 {
			w.Header().Set("Retry-After", "1")
			writeJSONError(w, status, "unavailable", "device "+d.spec.Name+" is busy, retry later")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAuth accepts HTTP basic authentication or a bearer token from /api/v1/login.
func (d *Device) requireAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg := "authentication required"
		switch {
		case d.Faults().AuthFail:
			msg = "authentication failed"
		case strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "):
			tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			d.mu.Lock()
			exp, ok := d.tokens[tok]
			if ok && time.Now().After(exp) {
				delete(d.tokens, tok)
				ok = false
				msg = "token expired"
			} else if !ok {
				msg = "invalid token"
			}
			d.mu.Unlock()
			if ok {
				next.ServeHTTP(w, r)
				return
			}
		default:
			if u, p, ok := r.BasicAuth(); ok {
				if d.checkCredentials(u, p) {
					next.ServeHTTP(w, r)
					return
				}
				msg = "authentication failed"
			}
		}
		d.authFailures.Add(1)
		w.Header().Set("WWW-Authenticate", `Basic realm="`+d.spec.Name+`", Bearer realm="`+d.spec.Name+`"`)
		writeJSONError(w, http.StatusUnauthorized, "unauthorized", msg)
	})
}

func (d *Device) checkCredentials(user, pass string) bool {
	return !d.Faults().AuthFail &&
		subtle.ConstantTimeCompare([]byte(user), []byte(d.spec.Username)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(d.spec.Password)) == 1
}

func (d *Device) apiLogin(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSONError(w, http.StatusBadRequest, "bad-request", "invalid JSON body: "+err.Error())
		return
	}
	if !d.checkCredentials(req.Username, req.Password) {
		d.authFailures.Add(1)
		writeJSONError(w, http.StatusUnauthorized, "unauthorized", "authentication failed")
		return
	}
	b := make([]byte, 24)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	now := time.Now()
	d.mu.Lock()
	for t, exp := range d.tokens {
		if now.After(exp) {
			delete(d.tokens, t)
		}
	}
	d.tokens[tok] = now.Add(d.spec.TokenTTL)
	d.mu.Unlock()
	d.logins.Add(1)
	ttl := int(d.spec.TokenTTL / time.Second)
	if ttl == 0 {
		ttl = 1
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "token_type": "Bearer", "expires_in": ttl})
}

func (d *Device) apiSystem(w http.ResponseWriter, r *http.Request) {
	s := d.spec
	writeJSON(w, http.StatusOK, map[string]any{
		"hostname": d.Hostname(), "vendor": s.Vendor, "model": s.Model, "serial": s.Serial,
		"version": s.Version, "platform": s.Platform, "uptime_seconds": int(time.Since(d.started).Seconds()),
	})
}

func (d *Device) apiListInterfaces(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	list := make([]apiInterface, len(d.ifaces))
	for i, ifc := range d.ifaces {
		list[i] = *ifc
	}
	d.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"interfaces": list})
}

// findInterface returns the index of the named interface; d.mu must be held.
func (d *Device) findInterface(name string) int {
	for i, ifc := range d.ifaces {
		if ifc.Name == name {
			return i
		}
	}
	return -1
}

func (d *Device) apiGetInterface(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d.mu.Lock()
	i := d.findInterface(name)
	var ifc apiInterface
	if i >= 0 {
		ifc = *d.ifaces[i]
	}
	d.mu.Unlock()
	if i < 0 {
		writeJSONError(w, http.StatusNotFound, "not-found", "no interface "+name)
		return
	}
	writeJSON(w, http.StatusOK, ifc)
}

func decodeInterface(w http.ResponseWriter, r *http.Request) (apiInterface, bool) {
	ifc := apiInterface{Enabled: true, Type: "ethernetCsmacd", MTU: 1500}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ifc); err != nil {
		writeJSONError(w, http.StatusBadRequest, "bad-request", "invalid interface: "+err.Error())
		return ifc, false
	}
	return ifc, true
}

func (d *Device) apiCreateInterface(w http.ResponseWriter, r *http.Request) {
	ifc, ok := decodeInterface(w, r)
	if !ok {
		return
	}
	if ifc.Name == "" {
		writeJSONError(w, http.StatusBadRequest, "bad-request", "interface name is required")
		return
	}
	d.mu.Lock()
	exists := d.findInterface(ifc.Name) >= 0
	if !exists {
		d.ifaces = append(d.ifaces, &ifc)
	}
	d.mu.Unlock()
	if exists {
		writeJSONError(w, http.StatusConflict, "conflict", "interface "+ifc.Name+" already exists")
		return
	}
	w.Header().Set("Location", "/api/v1/interfaces/"+ifc.Name)
	writeJSON(w, http.StatusCreated, ifc)
}

func (d *Device) apiPutInterface(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ifc, ok := decodeInterface(w, r)
	if !ok {
		return
	}
	if ifc.Name != "" && ifc.Name != name {
		writeJSONError(w, http.StatusBadRequest, "bad-request", "name in body differs from the path")
		return
	}
	ifc.Name = name
	d.mu.Lock()
	i := d.findInterface(name)
	if i >= 0 {
		d.ifaces[i] = &ifc
	} else {
		d.ifaces = append(d.ifaces, &ifc)
	}
	d.mu.Unlock()
	status := http.StatusOK
	if i < 0 {
		status = http.StatusCreated
	}
	writeJSON(w, status, ifc)
}

func (d *Device) apiPatchInterface(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var p apiInterfacePatch
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		writeJSONError(w, http.StatusBadRequest, "bad-request", "invalid patch: "+err.Error())
		return
	}
	d.mu.Lock()
	i := d.findInterface(name)
	var out apiInterface
	if i >= 0 {
		ifc := d.ifaces[i]
		if p.Description != nil {
			ifc.Description = *p.Description
		}
		if p.Enabled != nil {
			ifc.Enabled = *p.Enabled
		}
		if p.Type != nil {
			ifc.Type = *p.Type
		}
		if p.MTU != nil {
			ifc.MTU = *p.MTU
		}
		if p.IPv4 != nil {
			ifc.IPv4 = *p.IPv4
		}
		out = *ifc
	}
	d.mu.Unlock()
	if i < 0 {
		writeJSONError(w, http.StatusNotFound, "not-found", "no interface "+name)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (d *Device) apiDeleteInterface(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d.mu.Lock()
	i := d.findInterface(name)
	if i >= 0 {
		d.ifaces = append(d.ifaces[:i], d.ifaces[i+1:]...)
	}
	d.mu.Unlock()
	if i < 0 {
		writeJSONError(w, http.StatusNotFound, "not-found", "no interface "+name)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// writeJSONError writes {"error": code, "message": msg, "status": status}.
func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": code, "message": msg, "status": status})
}
