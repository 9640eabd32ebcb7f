"""Drive the simulator's NETCONF server with ncclient through every operation.

Usage: /usr/bin/python3 ncclient_ops.py HOST PORT BASE   (BASE is 1.0 or 1.1)
Prints one line per step and "ALL OK" at the end; any failure raises.
"""
import sys
import time

from ncclient import manager
from ncclient.operations import RPCError
from ncclient.transport.session import NetconfBase
from ncclient.xml_ import to_ele

HOST, PORT, BASE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
IF = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IP = "urn:ietf:params:xml:ns:yang:ietf-ip"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


def connect():
    return manager.connect(host=HOST, port=PORT, username="netops", password="netops",
                           hostkey_verify=False, look_for_keys=False, allow_agent=False,
                           timeout=15)


T0 = time.time()


def step(name):
    print("%6.2fs step: %s" % (time.time() - T0, name), flush=True)


def expect_error(fn, tag):
    try:
        fn()
    except RPCError as e:
        assert e.tag == tag, "got error-tag %r (%s), want %r" % (e.tag, e.message, tag)
        return e
    raise AssertionError("expected rpc-error " + tag)


def cfg(body):
    return '<config xmlns="%s" xmlns:nc="%s">%s</config>' % (NC, NC, body)


def iface(body, op=None):
    attr = ' nc:operation="%s"' % op if op else ""
    return '<interfaces xmlns="%s"><interface%s>%s</interface></interfaces>' % (IF, attr, body)


def running(m, source="running"):
    return m.get_config(source=source).data_xml


m = connect()
m2 = connect()
want = NetconfBase.BASE_11 if BASE == "1.1" else NetconfBase.BASE_10
assert m._session._base == want, "framing %r, want %r" % (m._session._base, want)
assert m.session_id and m2.session_id and m.session_id != m2.session_id
assert ":candidate" in m.server_capabilities
print("sessions", m.session_id, m2.session_id, "base", BASE, flush=True)

step("get")
r = m.get(filter=("subtree", '<interfaces-state xmlns="%s"/>' % IF)).data_xml
assert "oper-status" in r and "eth0" in r, r
r = m.get().data_xml
assert "hostname" in r and "oper-status" in r

step("get-config running and candidate")
for ds in ("running", "candidate"):
    r = running(m, ds)
    assert "eth0" in r and "lo0" in r and "hostname" in r, r

step("get-config subtree filter")
r = m.get_config("running", filter=("subtree", iface("<name>eth0</name><description/>"))).data_xml
assert "uplink" in r and "eth1" not in r and "<enabled" not in r, r

step("get-config xpath filter")
r = m.get_config("running", filter=("xpath", ({"if": IF}, "/if:interfaces/if:interface[if:name='lo0']/if:description"))).data_xml
assert "loopback" in r and "uplink" not in r, r

step("edit-config merge")
m.edit_config(target="running", config=cfg(iface("<name>eth0</name><description>merged-desc</description>")))
assert "merged-desc" in running(m)

step("edit-config create, data-exists")
new = iface("<name>eth9</name><type xmlns:ianaift='urn:ietf:params:xml:ns:yang:iana-if-type'>ianaift:ethernetCsmacd</type><enabled>true</enabled>", "create")
m.edit_config(target="running", config=cfg(new))
assert "eth9" in running(m)
e = expect_error(lambda: m.edit_config(target="running", config=cfg(new)), "data-exists")

step("edit-config delete, data-missing, remove")
m.edit_config(target="running", config=cfg(iface("<name>eth9</name>", "delete")))
assert "eth9" not in running(m)
expect_error(lambda: m.edit_config(target="running", config=cfg(iface("<name>eth9</name>", "delete"))), "data-missing")
m.edit_config(target="running", config=cfg(iface("<name>eth9</name>", "remove")))

step("edit-config replace")
m.edit_config(target="running", config=cfg(iface(
    "<name>eth1</name><type xmlns:ianaift='urn:ietf:params:xml:ns:yang:iana-if-type'>ianaift:ethernetCsmacd</type><enabled>true</enabled>", "replace")))
r = m.get_config("running", filter=("subtree", iface("<name>eth1</name>"))).data_xml
assert "unused" not in r and "eth1" in r, r

step("edit-config default-operation none")
m.edit_config(target="running", default_operation="none",
              config=cfg(iface("<name>eth0</name><description>not-applied</description>")))
assert "not-applied" not in running(m)
m.edit_config(target="running", default_operation="none",
              config=cfg(iface('<name>eth0</name><description nc:operation="merge">applied-by-op</description>')))
assert "applied-by-op" in running(m)

step("edit-config default-operation replace (candidate) and discard-changes")
m.edit_config(target="candidate", default_operation="replace",
              config=cfg('<system xmlns="urn:ietf:params:xml:ns:yang:ietf-system"><hostname>only</hostname></system>'))
r = running(m, "candidate")
assert "only" in r and "eth0" not in r, r
m.discard_changes()
assert "eth0" in running(m, "candidate")

step("edit-config test-option")
m.edit_config(target="candidate", test_option="test-only",
              config=cfg(iface("<name>eth0</name><description>test-only</description>")))
assert "test-only" not in running(m, "candidate")
bad = cfg(iface("<name>eth0</name><enabled>maybe</enabled>"))
expect_error(lambda: m.edit_config(target="candidate", test_option="test-then-set", config=bad), "invalid-value")
assert "maybe" not in running(m, "candidate")
m.edit_config(target="candidate", test_option="set", config=bad)
assert "maybe" in running(m, "candidate")

step("validate")
expect_error(lambda: m.validate(source="candidate"), "invalid-value")
m.discard_changes()
m.validate(source="candidate")
m.validate(source=to_ele(cfg(iface("<name>x</name><type xmlns:ianaift='urn:ietf:params:xml:ns:yang:iana-if-type'>ianaift:other</type>"))))
expect_error(lambda: m.validate(source=to_ele(cfg(iface("<name>x</name>")))), "data-missing")

step("edit-config error-option")
two = cfg('<interfaces xmlns="%s"><interface><name>eth0</name><description>first-edit</description></interface>'
          '<interface nc:operation="create"><name>eth1</name></interface></interfaces>' % IF)
expect_error(lambda: m.edit_config(target="candidate", error_option="rollback-on-error", config=two), "data-exists")
assert "first-edit" not in running(m, "candidate")
expect_error(lambda: m.edit_config(target="candidate", error_option="continue-on-error", config=two), "data-exists")
assert "first-edit" in running(m, "candidate")
m.discard_changes()

step("lock, lock-denied, in-use, unlock")
m.lock("running")
e = expect_error(lambda: m2.lock("running"), "lock-denied")
assert str(m.session_id) in e.info, e.info
expect_error(lambda: m2.edit_config(target="running", config=cfg(iface("<name>eth0</name><description>x</description>"))), "in-use")
m.unlock("running")
m2.lock("running")
m2.unlock("running")
expect_error(lambda: m.unlock("running"), "operation-failed")

step("commit")
m.edit_config(target="candidate", config=cfg(iface("<name>eth0</name><description>committed</description>")))
assert "committed" not in running(m)
m.commit()
assert "committed" in running(m)

step("confirmed commit reverts")
m.edit_config(target="candidate", config=cfg(iface("<name>eth0</name><description>unconfirmed</description>")))
m.commit(confirmed=True, timeout="1")
assert "unconfirmed" in running(m)
time.sleep(1.6)
r = running(m)
assert "unconfirmed" not in r and "committed" in r, r
assert "unconfirmed" not in running(m, "candidate")

step("confirmed commit confirmed")
m.edit_config(target="candidate", config=cfg(iface("<name>eth0</name><description>confirmed</description>")))
m.commit(confirmed=True, timeout="1")
m.commit()
time.sleep(1.3)
assert "confirmed" in running(m)

step("confirmed commit with persist survives the session, cancel-commit")
m3 = connect()
m3.edit_config(target="candidate", config=cfg(iface("<name>eth0</name><description>persisted</description>")))
m3.commit(confirmed=True, timeout="60", persist="tok1")
m3.close_session()
time.sleep(0.2)
assert "persisted" in running(m)
expect_error(lambda: m.cancel_commit(persist_id="wrong"), "invalid-value")
m.cancel_commit(persist_id="tok1")
r = running(m)
assert "persisted" not in r and ">confirmed<" in r, r

step("copy-config and delete-config")
m.copy_config(source="running", target="startup")
assert ">confirmed<" in running(m, "startup")
m.delete_config(target="startup")
assert "eth0" not in running(m, "startup")
expect_error(lambda: m.delete_config(target="running"), "operation-not-supported")
m.copy_config(source="running", target="startup")
assert "eth0" in running(m, "startup")

step("kill-session releases locks")
m2.lock("candidate")
expect_error(lambda: m.lock("candidate"), "lock-denied")
m.kill_session(m2.session_id)
m.lock("candidate")
m.unlock("candidate")
expect_error(lambda: m.kill_session(m.session_id), "invalid-value")

step("unknown rpc")
expect_error(lambda: m.dispatch(to_ele('<frobnicate xmlns="%s"/>' % NC)), "operation-not-supported")
expect_error(lambda: m.dispatch(to_ele('<get-config xmlns="%s"><source><running/></source><bogus/></get-config>' % NC)), "unknown-element")

step("close-session")
m.close_session()
print("%6.2fs ALL OK" % (time.time() - T0), flush=True)
