#!/usr/bin/env python3
# What one poll of the Console's Log tab costs over qemu+ssh, as the portal makes it for a remote host's console log
# (SerialConsole → LibvirtHypervisor.ReadPoolFileAsync): the volume looked up by its path and its size read (a poll
# with nothing new), and the same with the last 4 KiB downloaded through a stream (virStorageVolDownload).
# Needs the real host (scripts/real-host/setup.sh: libvirtd and the private sshd on 127.0.0.1:2222), a console log
# some guest has written (virsh start tiny, then a few seconds), and python3-libvirt (apt-get install --no-install-recommends python3-libvirt).
#   /usr/bin/python3 benchmarks/real-host/log-poll.py [LOG] [POLLS]
# A transient pool is made on the log's folder for the run and stopped after it.
import libvirt, os, sys, time, statistics
ROOT = "/var/lib/portal-real"
logs = sorted(os.listdir(os.path.join(ROOT, "console")))
if len(sys.argv) < 2 and not logs: sys.exit(f"No console log in {ROOT}/console yet: start a guest first (virsh start tiny).")
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "console", logs[0])
polls = int(sys.argv[2]) if len(sys.argv) > 2 else 60
remote = libvirt.open(f"qemu+ssh://root@127.0.0.1:2222/system?keyfile={ROOT}/ssh/id_ed25519&no_verify=1")
pool = libvirt.open("qemu:///system").storagePoolCreateXML(
    f"<pool type='dir'><name>portal-log-poll</name><target><path>{os.path.dirname(path)}</path></target></pool>", 0)
try:
    idle, chunk = [], []
    for _ in range(polls):
        t = time.perf_counter()
        size = remote.storageVolLookupByPath(path).info()[1]
        idle.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        vol = remote.storageVolLookupByPath(path)
        size = vol.info()[1]
        n = min(4096, size)
        stream = remote.newStream(0)
        vol.download(stream, size - n, n, 0)
        got = b""
        while len(got) < n:
            data = stream.recv(n - len(got))
            if not data: break
            got += data
        stream.finish()
        chunk.append((time.perf_counter() - t) * 1000)
    def p50_p95(xs):
        warm = sorted(xs[5:])
        return statistics.median(warm), warm[int(len(warm) * 0.95)]
    print(f"{path}: {size} bytes, {polls} polls (the first 5 not counted)")
    print("nothing new (lookup, size)        p50 / p95 ms: %.2f / %.2f" % p50_p95(idle))
    print("4 KiB new (lookup, size, download) p50 / p95 ms: %.2f / %.2f" % p50_p95(chunk))
finally:
    pool.destroy()
