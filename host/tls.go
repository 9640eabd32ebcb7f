package host

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/netyard/netyard/sdk"
)

// hostTLS is the fast mTLS set-up: one P-256 CA and one client certificate
// per Host, made once; each launch gets a server certificate issued by that
// CA, handed to the child on an inherited pipe. go-plugin's AutoMTLS instead
// generates P-521 keys on both sides at every launch (about 30 ms here).
type hostTLS struct {
	once   sync.Once
	err    error
	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate
	caPEM  []byte
	client *tls.Config
}

func (t *hostTLS) init() error {
	t.once.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.err = err
			return
		}
		now := time.Now()
		tmpl := &x509.Certificate{
			SerialNumber:          serial(),
			Subject:               pkix.Name{CommonName: "netyard host CA", Organization: []string{"netyard"}},
			NotBefore:             now.Add(-time.Minute),
			NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.err = err
			return
		}
		t.caKey, t.caPEM = key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
		t.caCert, _ = x509.ParseCertificate(der)
		certPEM, keyPEM, err := t.issue("netyard host", x509.ExtKeyUsageClientAuth)
		if err != nil {
			t.err = err
			return
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			t.err = err
			return
		}
		pool := x509.NewCertPool()
		pool.AddCert(t.caCert)
		t.client = &tls.Config{
			Certificates: []tls.Certificate{cert},
			RootCAs:      pool,
			ServerName:   "localhost",
			MinVersion:   tls.VersionTLS13,
		}
	})
	return t.err
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// issue makes a P-256 key and a certificate for it signed by the host CA.
func (t *hostTLS) issue(cn string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"netyard"}},
		DNSNames:     []string{"localhost"},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, t.caCert, &key.PublicKey, t.caKey)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// material returns the JSON the plugin reads from its TLS descriptor.
func (t *hostTLS) material() ([]byte, error) {
	if err := t.init(); err != nil {
		return nil, fmt.Errorf("host TLS set-up: %w", err)
	}
	cert, key, err := t.issue("netyard plugin", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return nil, fmt.Errorf("issue plugin certificate: %w", err)
	}
	return json.Marshal(sdk.TLSMaterial{CA: t.caPEM, Cert: cert, Key: key})
}
