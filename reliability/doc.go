// Package reliability holds netyard's fault, load and bad-input tests: the
// three real plugins driven through the host against the simulator while
// plugin processes are killed, devices drop or hang connections, binaries
// are tampered with and inputs are malformed. It has tests only:
//
//   - chaos_test.go: open/call/close cycles while plugin processes are
//     SIGKILLed and simulated devices drop and hang connections;
//   - hostdeath_test.go: a worker SIGKILLed while holding 50 sessions;
//   - hung_test.go: a plugin process that stops answering, among others;
//   - trust_test.go, startfail_test.go: untrusted binaries, failed starts;
//   - badinput_test.go: invalid device records, oversized replies;
//   - secrets_test.go: trace logs, errors and /proc grepped for credentials;
//   - load_test.go: many concurrent sessions with calls flowing.
//
// Long versions (TestSoak*) run under `make soak` (NETYARD_SOAK=1;
// NETYARD_SOAK_DURATION sets how long the load is held, default 2m).
package reliability
