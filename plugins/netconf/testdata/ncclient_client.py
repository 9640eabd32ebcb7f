"""ncclient side of the cross-check and the benchmark (Debian python3-ncclient).

usage: ncclient_client.py HOST PORT USER PASSWORD COMMAND [ARGS]
  get-config FILTER_XML        print the <data> children of get-config running
  edit-commit CONFIG_XML       edit-config candidate (merge), then commit
  bench N                      N get-config running; print seconds per call (min and median)
The password comes from the environment (NC_PASSWORD) when PASSWORD is "-".
"""
import os
import sys
import time

from lxml import etree
from ncclient import manager


def main():
    host, port, user, password, cmd = sys.argv[1:6]
    if password == "-":
        password = os.environ["NC_PASSWORD"]
    args = sys.argv[6:]
    with manager.connect(host=host, port=int(port), username=user, password=password,
                         hostkey_verify=False, allow_agent=False, look_for_keys=False,
                         timeout=120) as m:
        if cmd == "get-config":
            filt = ("subtree", args[0]) if args and args[0] else None
            r = m.get_config(source="running", filter=filt)
            data = r.data_ele
            sys.stdout.write("".join(etree.tostring(c).decode() for c in data))
        elif cmd == "edit-commit":
            m.edit_config(target="candidate", config="<config>" + args[0] + "</config>")
            m.commit()
            sys.stdout.write("ok")
        elif cmd == "bench":
            n = int(args[0])
            times = []
            size = 0
            for _ in range(n):
                t0 = time.perf_counter()
                r = m.get_config(source="running")
                size = len(r.xml)
                times.append(time.perf_counter() - t0)
            times.sort()
            print("%.6f %.6f %d" % (times[0], times[len(times) // 2], size))
        else:
            raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
