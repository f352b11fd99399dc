"""Third-party cross-check: pyzk (PyPI) reads our terminal emulator.

Usage: pyzk_crosscheck.py PORT PROTOCOL(tcp|udp) COMM_KEY
Prints one JSON object: serial, firmware, users, attendance, time, and the
users after pyzk wrote and deleted one (so the emulator's write path is also
exercised by a client that is not ours).
"""
import json
import sys

from zk import ZK

port, protocol, key = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
zk = ZK("127.0.0.1", port=port, timeout=5, password=key, force_udp=(protocol == "udp"), ommit_ping=True)
conn = zk.connect()
out = {
    "serial": conn.get_serialnumber(),
    "firmware": conn.get_firmware_version(),
    "platform": conn.get_platform(),
    "time": conn.get_time().strftime("%Y-%m-%dT%H:%M:%S"),
}
conn.read_sizes()
out["sizes"] = {"users": conn.users, "records": conn.records}
out["users"] = [{"uid": u.uid, "user_id": u.user_id, "name": u.name, "privilege": u.privilege} for u in conn.get_users()]
out["attendance"] = [
    {"user_id": a.user_id, "time": a.timestamp.strftime("%Y-%m-%dT%H:%M:%S"), "status": a.status, "punch": a.punch}
    for a in conn.get_attendance()
]
conn.set_user(uid=90, name="Dari pyzk", privilege=0, password="", group_id="", user_id="9090")
out["after_set"] = sorted(u.user_id for u in conn.get_users())
conn.delete_user(uid=90)
out["after_delete"] = sorted(u.user_id for u in conn.get_users())
conn.disconnect()
print(json.dumps(out))
