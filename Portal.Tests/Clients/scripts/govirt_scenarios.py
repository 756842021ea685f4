#!/usr/bin/python3
"""libgovirt (the library virt-viewer / remote-viewer use for oVirt) driving the portal through GObject introspection.

Usage: govirt_scenarios.py SCENARIO BASE_URL PASSWORD
Prints "step: ..." lines and "PASS"; any failure is a traceback and exit 1.
"""
import json
import sys
import urllib.parse
import urllib.request

import gi

gi.require_version("GoVirt", "1.0")
from gi.repository import GLib, GoVirt  # noqa: E402


def step(text):
    print("step: " + text, flush=True)


def same(a, b):
    """GoVirt enums from properties and from the module are different Python types: compare their values."""
    return int(a) == int(b)


def check(condition, text):
    if not condition:
        raise AssertionError(text)


def proxy_for(base, **props):
    # A full http:// URI is what works without TLS; libgovirt warns that it is deprecated.
    proxy = GoVirt.Proxy.new(base)
    for name, value in props.items():
        proxy.set_property(name.replace("_", "-"), value)
    return proxy


def vms_of(proxy):
    api = proxy.fetch_api()
    check(api is not None, "the API root was read")
    vms = api.get_vms()
    check(vms is not None, "the API root links to vms")
    vms.fetch(proxy)
    return api, vms.get_resources()


def check_listing(resources, how):
    names = sorted(resources.keys())
    check(names == ["build-agent", "db-primary", "gpu-render", "kiosk-stateless", "legacy-erp", "legacy-reports", "web-frontend"],
          "every VM listed with %s (a VM without <display> is dropped): %r" % (how, names))
    for name, vm in resources.items():
        display = vm.get_property("display")
        check(display is not None, "%s has a display" % name)
        check(same(display.get_property("type"), GoVirt.VmDisplayType.VNC), "%s: vnc display" % name)
    web = resources["web-frontend"]
    check(same(web.get_property("state"), GoVirt.VmState.UP), "web-frontend is up")
    step("listed %d VMs with %s, each with a vnc display" % (len(names), how))


def token(base, password):
    form = urllib.parse.urlencode({"grant_type": "password", "scope": "ovirt-app-api", "username": "admin@internal",
                                   "password": password}).encode()
    request = urllib.request.Request(base + "/ovirt-engine/sso/oauth/token", data=form, headers={"Accept": "application/json"})
    return json.loads(urllib.request.urlopen(request).read().decode())["access_token"]


def scenario_list(base, password):
    """List VMs with Basic authentication (libsoup's 401 retry) and with an SSO token; fetch one VM."""
    _, resources = vms_of(proxy_for(base, username="admin@internal", password=password))
    check_listing(resources, "Basic")

    proxy = proxy_for(base, sso_token=token(base, password))
    api, resources = vms_of(proxy)
    check_listing(resources, "a bearer token")

    found = api.search_vms("name=db-primary")
    found.fetch(proxy)
    check(sorted(found.get_resources().keys()) == ["db-primary"], "search through the API root's vms/search link")
    vm = found.get_resources()["db-primary"]
    check(vm.refresh(proxy), "refresh (GET of the one VM)")
    check(same(vm.get_property("state"), GoVirt.VmState.UP), "db-primary is up")
    check(vm.get_property("display").get_property("address") is not None, "the display has an address")
    step("fetched one VM: %s, %s" % (vm.get_property("name"), vm.get_property("guid")))


def scenario_power(base, password):
    """Start and stop a VM through its <actions> links, with Basic and with a token."""
    for how, props in (("Basic", {"username": "admin@internal", "password": password}), ("a token", {"sso_token": token(base, password)})):
        proxy = proxy_for(base, **props)
        _, resources = vms_of(proxy)
        vm = resources["build-agent"]
        check(same(vm.get_property("state"), GoVirt.VmState.DOWN), "build-agent is down")
        check(vm.start(proxy), "start")
        check(vm.refresh(proxy) and same(vm.get_property("state"), GoVirt.VmState.UP), "up after start")
        step("started build-agent with %s" % how)
        check(vm.stop(proxy), "stop")
        check(vm.refresh(proxy) and same(vm.get_property("state"), GoVirt.VmState.DOWN), "down after stop")
        step("stopped build-agent with %s" % how)

    proxy = proxy_for(base, username="admin@internal", password=password)
    _, resources = vms_of(proxy)
    try:
        resources["build-agent"].stop(proxy)
        raise AssertionError("stopping a VM that is down must fail")
    except GLib.Error as e:
        check("only a running VM can be stopped" in str(e), "the fault's detail reaches the client: %s" % e)
        step("a refused stop raises: %s" % str(e)[:160])


def main():
    scenario, base, password = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
    globals()["scenario_" + scenario](base, password)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
