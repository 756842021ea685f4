#!/usr/bin/env python3
# What else running beside a snapshot with memory costs libvirt's call itself, without the portal: one process, one
# connection, the 128 MiB busybox guest 'tiny' (scripts/real-host/setup.sh), variants alternated round by round:
#   plain    virDomainSnapshotCreateXML alone (memory and disk external, as the portal asks)
#   poll100  a second connection asks the domain's job info every 100 ms meanwhile (a progress watcher)
#   volc     a second connection makes a 1 MiB volume in the pool 20 ms in (libvirtd ftruncates and fsyncs it)
#   reads    the portal's reads around the call: the state before; the snapshot's XML, the domain's XML, the state after
# Needs root and python3-libvirt (apt-get install --no-install-recommends python3-libvirt); uses the real host alone.
#   /usr/bin/python3 benchmarks/real-host/dump-beside.py ROUNDS plain poll100 volc reads
# Prints each round, each variant's median over the rounds after the first, and each variant's paired difference to
# the first variant named.
import libvirt, os, sys, time, threading, subprocess, statistics, re
ROOT = "/var/lib/portal-real"
c = libvirt.open("qemu:///system")
c2 = libvirt.open("qemu:///system")
pool = c2.storagePoolLookupByName("portal-data")
dom = c.lookupByName("tiny")
orig = re.sub(r"<backingStore.*?</backingStore>|<backingStore/>", "", dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE), flags=re.S)
disk = re.search(r"<source file='([^']+)'", orig).group(1)
rounds = int(sys.argv[1]); variants = sys.argv[2:]

def boot():
    open(f"{ROOT}/console/tiny.log", "w").close()
    dom.create()
    while "COUNTER 3 " not in open(f"{ROOT}/console/tiny.log", errors="replace").read(): time.sleep(0.2)

def helper(variant, stop, tag):
    if variant == "poll100":
        d2 = c2.lookupByUUID(dom.UUID())
        while not stop.wait(0.1):
            try: d2.jobInfo()
            except libvirt.libvirtError: pass
    elif variant == "volc":
        time.sleep(0.02)
        v = pool.createXML(f"<volume><name>{tag}.conf</name><capacity unit='bytes'>{1<<20}</capacity><allocation>0</allocation><target><format type='raw'/></target></volume>", 0)
        stop.wait(); v.delete(0)
    elif variant == "reads":  # nothing beside; the portal's reads around the call (state before; snapshot XML, domain XML, state after)
        stop.wait()

res = {v: [] for v in variants}
for r in range(rounds):
    order = variants[r % len(variants):] + variants[:r % len(variants)]
    for v in order:
        boot(); os.sync()
        tag = f"sx-{v}-{r}"; mem = f"{ROOT}/data/{tag}.mem"; ov = f"{ROOT}/data/tiny.{tag}.qcow2"
        xml = f"<domainsnapshot><name>{tag}</name><memory snapshot='external' file='{mem}'/><disks><disk name='vda' snapshot='external'><driver type='qcow2'/><source file='{ov}'/></disk></disks></domainsnapshot>"
        stop = threading.Event(); th = threading.Thread(target=helper, args=(v, stop, tag)); 
        t0 = time.perf_counter()
        if v == "reads": dom.state()
        th.start()
        s = dom.snapshotCreateXML(xml, 0)
        if v == "reads": s.getXMLDesc(); dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE); dom.state()
        t1 = time.perf_counter()
        stop.set(); th.join()
        res[v].append((t1 - t0) * 1000)
        print(v, r, "%.1f" % res[v][-1], flush=True)
        dom.destroy()
        s.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
        c.defineXML(orig)
        for f in (mem, ov):
            try: os.remove(f)
            except FileNotFoundError: pass
        for _ in range(100):
            if subprocess.run(["pgrep", "-f", "guest=tiny,"], capture_output=True).returncode: break
            time.sleep(0.1)
for v in variants:
    print(v, "median %.1f" % statistics.median(res[v][1:]), "all", " ".join("%.0f" % x for x in res[v]))
base = variants[0]
for v in variants[1:]:
    d = [a - b for a, b in zip(res[v][1:], res[base][1:])]
    print(f"{v} - {base}: paired median %.1f" % statistics.median(d), " ".join("%.0f" % x for x in d))
