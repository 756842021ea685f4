#!/usr/bin/python3
"""oVirt's Python SDK 4.6.3 (the SDK under Ansible's ovirt.ovirt modules) driving the portal, unchanged.

Usage: sdk_scenarios.py SCENARIO BASE_URL PASSWORD
Each scenario prints "step: ..." lines as it goes and "PASS" at the end; any failure is a traceback and exit 1.
Only the SDK's own services, typed objects and exceptions are used, as a script written for oVirt would.
"""
import sys
import time
import json
import urllib.error
import urllib.request
from datetime import datetime

import ovirtsdk4 as sdk
import ovirtsdk4.types as types


def step(text):
    print("step: " + text, flush=True)


def check(condition, text):
    if not condition:
        raise AssertionError(text)


def poll(read, done, what, timeout=60):
    deadline = time.time() + timeout
    while True:
        value = read()
        if done(value):
            return value
        if time.time() > deadline:
            raise AssertionError("timed out waiting for %s; last value: %r" % (what, value))
        time.sleep(0.2)


def get_or_none(service):
    """Ansible's get_entity: None on any SDK error (a 404)."""
    try:
        return service.get()
    except sdk.Error:
        return None


def connect(base, password):
    return sdk.Connection(url=base + "/ovirt-engine/api", username="admin@internal", password=password, insecure=True)


def scenario_connect(conn, base):
    """connection.test(), the API root with its dates, search on the collections."""
    check(conn.test(raise_exception=True), "connection.test() is true")
    api = conn.system_service().get()
    check(api.product_info.version.major == 4, "product_info.version.major is 4")
    check(isinstance(api.time, datetime) and api.time.tzinfo is not None, "the API time is a date with its offset: %r" % api.time)
    step("test() and the API root (time %s)" % api.time.isoformat())

    vms = conn.system_service().vms_service()
    found = vms.list(search="name=web-frontend")
    check([v.name for v in found] == ["web-frontend"], "search name=web-frontend finds that VM only: %r" % [v.name for v in found])
    check(found[0].display.type == types.DisplayType.VNC, "the VM has a display")
    quoted = vms.list(search='name="legacy-erp"', all_content=True)
    check([v.name for v in quoted] == ["legacy-erp"], "Ansible's quoted search")
    names = [v.name for v in vms.list(search="name=legacy* or name=db*", case_sensitive=False)]
    check(sorted(names) == ["db-primary", "legacy-erp", "legacy-reports"], "wildcards with or: %r" % names)
    up = [v.name for v in vms.list(search="status=up and cluster=Production sortby name desc")]
    check(up == ["web-frontend", "gpu-render", "db-primary"], "status and cluster, sorted descending: %r" % up)
    page = [v.name for v in vms.list(search="sortby name asc page 2", max=2)]
    check(page == ["gpu-render", "kiosk-stateless"], "page 2 of 2: %r" % page)
    check(len(vms.list(max=3)) == 3, "max=3")
    step("search: name, wildcards, status, cluster, and/or, sortby, page, max, case_sensitive")

    try:
        vms.list(search="memory>1024")
        raise AssertionError("an unsupported search term must be refused")
    except sdk.Error as e:
        check(e.code == 400 and "'>'" in str(e), "400 naming the operator: %s" % e)
        step("an unsupported search term raises sdk.Error 400: %s" % str(e).splitlines()[0][:160])

    clusters = conn.system_service().clusters_service().list(search="name=Legacy")
    check([c.name for c in clusters] == ["Legacy"], "clusters search")
    hosts = conn.system_service().hosts_service().list(search="status=up")
    check(len(hosts) >= 1 and all(h.status == types.HostStatus.UP for h in hosts), "hosts search")
    domains = conn.system_service().storage_domains_service().list(search="type=export")
    check([d.name for d in domains] == ["export-file"], "storage domains search")
    step("clusters, hosts and storage domains searched")

    vm = vms.vm_service(found[0].id).get(follow="snapshots,cluster")
    check(vm.cluster.name == "Production", "follow=cluster embeds the cluster")
    check(len(vm.snapshots) >= 1 and vm.snapshots[0].snapshot_type == types.SnapshotType.ACTIVE, "follow=snapshots embeds them")
    step("follow=snapshots,cluster")


def scenario_snapshots(conn, base):
    """Snapshot with memory, poll, preview with restore_memory, undo, commit, restore, start and stop, remove, events."""
    system = conn.system_service()
    vms = system.vms_service()
    vm = vms.list(search="name=web-frontend")[0]
    vm_service = vms.vm_service(vm.id)
    snaps = vm_service.snapshots_service()
    check(vm.status == types.VmStatus.UP, "web-frontend is up")
    seen = int(system.events_service().list(max=1)[0].index)

    snap = snaps.add(types.Snapshot(description="sdk: before upgrade", persist_memorystate=True))
    snap_service = snaps.snapshot_service(snap.id)
    snap = poll(snap_service.get, lambda s: s.snapshot_status == types.SnapshotStatus.OK, "the snapshot to be ok")
    check(snap.persist_memorystate is True, "the snapshot holds memory")
    check(isinstance(snap.date, datetime) and snap.date.tzinfo is not None, "the snapshot date parses: %r" % snap.date)
    step("snapshot with memory created and polled to ok (%s)" % snap.date.isoformat())

    try:
        vm_service.preview_snapshot(snapshot=types.Snapshot(id=snap.id), restore_memory=True)
        raise AssertionError("previewing a running VM must be refused")
    except sdk.Error as e:
        check(e.code == 409 and "The VM must be Down to preview a snapshot" in str(e), "409 with the fault's detail: %s" % e)
        step("refused preview raises sdk.Error %d: %s" % (e.code, str(e).splitlines()[0][:160]))

    vm_service.stop()
    poll(vm_service.get, lambda v: v.status == types.VmStatus.DOWN, "the VM to be down")
    step("stopped")

    vm_service.preview_snapshot(snapshot=types.Snapshot(id=snap.id), restore_memory=True)
    check(snap_service.get().snapshot_status == types.SnapshotStatus.IN_PREVIEW, "in preview")
    vm_service.undo_snapshot()
    check(snap_service.get().snapshot_status == types.SnapshotStatus.OK, "ok again after undo")
    step("preview with restore_memory, then undo")

    vm_service.preview_snapshot(snapshot=types.Snapshot(id=snap.id), restore_memory=True)
    vm_service.commit_snapshot()
    check(snap_service.get().snapshot_status == types.SnapshotStatus.OK, "ok after commit")
    step("preview and commit")

    snap_service.restore(restore_memory=True)
    active = [s for s in snaps.list() if s.snapshot_type == types.SnapshotType.ACTIVE]
    check(len(active) == 1 and active[0].persist_memorystate, "after restore the active snapshot has the memory")
    step("restore (preview and commit in one step)")

    vm_service.start()
    poll(vm_service.get, lambda v: v.status == types.VmStatus.UP, "the VM to be up")
    run = system.events_service().list(search='name="Run VM" and vm.name=web-frontend', max=1)
    check(len(run) == 1 and "restored from memory" in run[0].description, "the run restored the memory: %r" % [e.description for e in run])
    check(isinstance(run[0].time, datetime), "event times parse")
    step("started from the snapshot's memory: %s" % run[0].description)

    try:
        snap_service.remove()
        raise AssertionError("removing a snapshot of a running VM must be refused")
    except sdk.Error as e:
        check(e.code == 409 and "must be Down" in str(e), "409 with the fault's detail: %s" % e)
        step("refused remove raises sdk.Error %d" % e.code)

    vm_service.stop()
    poll(vm_service.get, lambda v: v.status == types.VmStatus.DOWN, "the VM to be down")
    snap_service.remove()
    try:
        snap_service.get()
        raise AssertionError("a removed snapshot must be gone")
    except sdk.NotFoundError:
        pass
    step("stopped and removed the snapshot")

    events = system.events_service().list(search="severity=normal", max=20)
    check(len(events) > 0 and all(isinstance(e.time, datetime) for e in events), "events with dates")
    check(any(e.name == "Create snapshot" for e in events), "the audit log has the snapshot")
    step("events: %d newest" % len(events))
    since = system.events_service().list(from_=seen, search='vm.name=web-frontend')
    check(since and all(e.index > seen for e in since), "from_ gives only the entries after index %d" % seen)
    check(any(e.name == "Create snapshot" for e in since) and not system.events_service().list(from_=since[0].index),
          "from_ the newest index gives nothing more")
    step("events: %d for web-frontend since index %d" % (len(since), seen))


def scenario_export_import(conn, base):
    """oVirt's export and import script: export a stopped VM, find it on the export domain, import it as a clone."""
    system = conn.system_service()
    vms = system.vms_service()
    sds = system.storage_domains_service()
    vm = vms.list(search="name=build-agent")[0]
    export = sds.list(search="name=export-file")[0]
    vms.vm_service(vm.id).export(storage_domain=types.StorageDomain(name="export-file"), exclusive=True, discard_snapshots=False)
    step("exported build-agent to %s" % export.name)

    exported_service = sds.storage_domain_service(export.id).vms_service()
    listed = poll(lambda: [v for v in exported_service.list() if v.name == "build-agent"], lambda l: len(l) == 1, "build-agent on the export domain")
    exported = listed[0]
    check(exported.id == vm.id and exported.status == types.VmStatus.DOWN, "the exported VM keeps its id, Down: %r" % exported.status)
    check(exported.memory == vm.memory and exported.storage_domain.id == export.id, "its memory and its storage domain")
    check(exported_service.vm_service(exported.id).get().name == "build-agent", "got by id")
    check(len(exported_service.list(max=1)) == 1, "max=1")
    data = sds.list(search="name=data-file")[0]
    check(sds.storage_domain_service(data.id).vms_service().list() == [], "a data domain lists none, as in oVirt")
    step("listed on the export domain: %s (%d MiB)" % (exported.name, exported.memory // (1024 * 1024)))

    exported_service.vm_service(exported.id).import_(storage_domain=types.StorageDomain(name="data-file"),
                                                     cluster=types.Cluster(name="Production"), clone=True,
                                                     vm=types.Vm(name="agent-imported"))
    imported = poll(lambda: vms.list(search="name=agent-imported"), lambda l: len(l) == 1, "the imported VM")[0]
    check(imported.id != vm.id and imported.status == types.VmStatus.DOWN, "a clone has a new id")
    check(system.clusters_service().cluster_service(imported.cluster.id).get().name == "Production", "in the cluster named")
    step("imported as a clone: %s" % imported.name)


def scenario_close(conn, base):
    """close() revokes the token (sso-logout); the token is refused afterwards."""
    token = conn.authenticate()
    check(conn.test(raise_exception=True), "connected")
    conn.close()
    step("close() returned")
    request = urllib.request.Request(base + "/ovirt-engine/api", headers={"Authorization": "Bearer " + token})
    try:
        urllib.request.urlopen(request)
        raise AssertionError("the revoked token must be refused")
    except urllib.error.HTTPError as e:
        check(e.code == 401, "401 for the revoked token, got %d" % e.code)
    step("the token is refused after close()")
    info = urllib.request.Request(base + "/ovirt-engine/sso/oauth/token-info", data=("token=" + token).encode(),
                                  headers={"Accept": "application/json"})
    try:
        urllib.request.urlopen(info)
        raise AssertionError("token-info must refuse a revoked token")
    except urllib.error.HTTPError as e:
        body = json.loads(e.read().decode())
        check(body.get("error_code") == "invalid_grant", "SSO error shape: %r" % body)
    step("token-info says it is revoked")


def scenario_ansible(conn, base):
    """Every call Ansible's ovirt_vm (state running/stopped) and ovirt_snapshot (present/restore/absent, use_memory) send."""
    system = conn.system_service()
    vms = system.vms_service()

    # ovirt_vm: search_entity(list_params={'all_content': True}) -> search_by_attributes(name=...)
    vm = vms.list(search='name="build-agent"', all_content=True)[0]
    vm_service = vms.service(vm.id)
    # VmsModule._update_check reads these without checking for None (AttributeError otherwise).
    _ = (getattr(vm.cpu, "mode"), vm.memory_policy.guaranteed, vm.memory_policy.max, vm.cpu.topology.cores, vm.cpu.topology.sockets,
         vm.cpu.topology.threads, vm.os.type, vm.bios.boot_menu.enabled, vm.bios.type.value, vm.io.threads, vm.memory_policy.ballooning,
         vm.usb.enabled, vm.sso.methods, vm.high_availability.enabled, vm.high_availability.priority, getattr(vm.os.boot, "devices", []),
         vm.next_run_configuration_exists, vm.stateless)
    check(conn.follow_link(vm.cluster).name == "Production", "get_link_name(entity.cluster)")
    # post_present: __attach_numa_nodes lists the virtual NUMA nodes, twice.
    check(vm_service.numa_nodes_service().list() == [], "no NUMA nodes")
    step("ovirt_vm: search with all_content, update_check fields, cluster link, numa nodes")

    # state=running: action('start') -> get, start, _post_start_action waits for UP.
    vm = vm_service.get()
    check(vm.status == types.VmStatus.DOWN, "build-agent starts down")
    vm_service.start()
    poll(vm_service.get, lambda v: v.status == types.VmStatus.UP, "up")
    step("ovirt_vm state=running")

    # state=stopped: _pre_shutdown_action (get), shutdown, wait_for_down (get; snapshots when stateless).
    vm_service.shutdown()
    poll(vm_service.get, lambda v: v.status == types.VmStatus.DOWN, "down after shutdown")
    vm_service.start()
    poll(vm_service.get, lambda v: v.status == types.VmStatus.UP, "up again")
    vm_service.stop()  # force=true
    poll(vm_service.get, lambda v: v.status == types.VmStatus.DOWN, "down after stop")
    step("ovirt_vm state=stopped (shutdown, and stop with force)")

    # wait_for_down on a stateless VM: the active snapshot's id must be gone (404) or no stateless snapshot left.
    kiosk = vms.list(search='name="kiosk-stateless"', all_content=True)[0]
    kiosk_service = vms.service(kiosk.id)
    kiosk_service.start()
    poll(kiosk_service.get, lambda v: v.status == types.VmStatus.UP, "kiosk up")
    kiosk_service.shutdown()
    poll(kiosk_service.get, lambda v: v.status == types.VmStatus.DOWN, "kiosk down")
    listed = kiosk_service.snapshots_service().list()
    active = [s for s in listed if s.snapshot_type == types.SnapshotType.ACTIVE][0]
    stateless = [s for s in listed if s.snapshot_type == types.SnapshotType.STATELESS]
    if stateless:
        poll(lambda: get_or_none(kiosk_service.snapshots_service().snapshot_service(active.id)), lambda s: s is None, "the old active to go")
        poll(kiosk_service.snapshots_service().snapshot_service(stateless[0].id).get, lambda s: s.snapshot_status == types.SnapshotStatus.OK, "ok")
    step("ovirt_vm state=stopped on a stateless VM (wait_for_down)")

    # ovirt_snapshot state=present: get_entity(snapshot_service(None)) is a 404, then add and wait for ok.
    vm_service.start()
    poll(vm_service.get, lambda v: v.status == types.VmStatus.UP, "up for the snapshot")
    snaps = vm_service.snapshots_service()
    try:
        snaps.snapshot_service(None).get()
        raise AssertionError("snapshot 'None' must not exist")
    except sdk.Error as e:
        check(e.code == 404, "404 for snapshot None")
    snap = snaps.add(types.Snapshot(description="ansible", persist_memorystate=True, disk_attachments=None))
    snap_service = snaps.snapshot_service(snap.id)
    poll(snap_service.get, lambda s: s.snapshot_status == types.SnapshotStatus.OK, "ok")
    check(snap_service.get().persist_memorystate, "use_memory=true saved the memory")
    # use_memory unset: persist_memorystate is not sent, oVirt 4 defaults it to true.
    snap2 = snaps.add(types.Snapshot(description="ansible default"))
    poll(snaps.snapshot_service(snap2.id).get, lambda s: s.snapshot_status == types.SnapshotStatus.OK, "ok")
    step("ovirt_snapshot state=present (use_memory true, and unset)")

    # state=restore: the VM must be down for a restore (the playbook stops it first with ovirt_vm state=stopped).
    vm_service.stop()
    poll(vm_service.get, lambda v: v.status == types.VmStatus.DOWN, "down")
    # A snapshot in preview is restored with commit_snapshot.
    snap2_service = snaps.snapshot_service(snap2.id)
    vm_service.preview_snapshot(snapshot=types.Snapshot(id=snap2.id), restore_memory=False)
    check(snap2_service.get().snapshot_status == types.SnapshotStatus.IN_PREVIEW, "in preview")
    vm_service.commit_snapshot()
    poll(snap2_service.get, lambda s: s.snapshot_status == types.SnapshotStatus.OK, "ok after commit")
    # Any other snapshot with restore(restore_memory=use_memory), then wait for it to be ok.
    check(snap_service.get().snapshot_status != types.SnapshotStatus.IN_PREVIEW, "not in preview")
    snap_service.restore(restore_memory=True)
    poll(snap_service.get, lambda s: s.snapshot_status == types.SnapshotStatus.OK, "ok after restore")
    active = [s for s in snaps.list() if s.snapshot_type == types.SnapshotType.ACTIVE]
    check(active[0].persist_memorystate, "the restored memory is on the active snapshot")
    step("ovirt_snapshot state=restore (commit of a preview, and restore)")

    # state=absent: remove, then wait until get_entity returns None (404).
    snap_service.remove()
    try:
        snap_service.get()
        raise AssertionError("removed")
    except sdk.NotFoundError:
        pass
    step("ovirt_snapshot state=absent")
    # The module ends with connection.close(logout=True).


def main():
    scenario, base, password = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
    conn = connect(base, password)
    try:
        globals()["scenario_" + scenario](conn, base)
    finally:
        if scenario != "close":
            conn.close()
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
