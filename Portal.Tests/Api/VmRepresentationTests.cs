using System.Net;
using System.Xml.Linq;
using Portal.Api;
using static Portal.Tests.Api.ApiTestExtensions;

namespace Portal.Tests.Api;

/// <summary>
/// What oVirt's clients need in a VM besides its status: <c>display</c> (libgovirt drops a VM without it), the blocks
/// Ansible's ovirt_vm reads without checks, <c>actions</c> links, and failed actions written the way oVirt writes them.
/// </summary>
public sealed class VmRepresentationTests(PortalApiFactory app) : IClassFixture<PortalApiFactory>
{
    [Fact]
    public async Task Vms_Listed_EachHaveADisplayAndTheBlocksAnsibleReads()
    {
        using var client = app.Admin();
        var vms = await (await client.Get($"{Base}/vms")).XmlAsync(HttpStatusCode.OK);

        Assert.Equal(7, vms.Elements("vm").Count());
        foreach (var vm in vms.Elements("vm"))
        {
            var display = vm.Element("display") ?? throw new Xunit.Sdk.XunitException($"{vm.Text("name")} has no display");
            Assert.Equal("vnc", display.Text("type")); // the demo domains' VNC (autoport, no listen address, no port on the test driver)
            Assert.Equal("localhost", display.Text("address"));
            Assert.Null(display.Element("port"));
            Assert.Equal("1", vm.Element("cpu")!.Element("topology")!.Text("sockets"));
            Assert.Equal("x86_64", vm.Element("cpu")!.Text("architecture"));
            Assert.Equal("i440fx_sea_bios", vm.Element("bios")!.Text("type"));
            Assert.Equal("false", vm.Element("bios")!.Element("boot_menu")!.Text("enabled"));
            Assert.Equal(vm.Text("memory"), vm.Element("memory_policy")!.Text("guaranteed"));
            Assert.Equal("other", vm.Element("os")!.Text("type"));
            Assert.NotNull(vm.Element("sso"));
            Assert.NotNull(vm.Element("usb")!.Element("enabled"));
            Assert.Equal("false", vm.Element("high_availability")!.Text("enabled"));
            Assert.NotNull(vm.Element("io")!.Element("threads"));
            var actions = vm.Element("actions")!.Elements("link").ToDictionary(l => (string)l.Attribute("rel")!, l => (string)l.Attribute("href")!);
            Assert.Equal($"{(string)vm.Attribute("href")!}/start", actions["start"]);
            Assert.Equal($"{(string)vm.Attribute("href")!}/stop", actions["stop"]);
        }
    }

    [Fact]
    public async Task Root_LinksEachCollectionAndItsSearch()
    {
        using var client = app.Admin();
        var root = await (await client.Get(Base)).XmlAsync(HttpStatusCode.OK);
        var links = root.Elements("link").ToDictionary(l => (string)l.Attribute("rel")!, l => (string)l.Attribute("href")!);

        Assert.Equal($"{Base}/vms", links["vms"]);
        Assert.Equal($"{Base}/vms?search={{query}}", links["vms/search"]);
        Assert.Equal($"{Base}/events?search={{query}}", links["events/search"]);
    }

    [Fact]
    public async Task NumaNodes_OfADomainWithoutCells_IsAnEmptyList()
    {
        using var client = app.Admin();
        var nodes = await (await client.Get($"{Vm(PortalApiFactory.BuildAgent)}/numanodes")).XmlAsync(HttpStatusCode.OK);
        Assert.Equal("vm_numa_nodes", nodes.Name.LocalName);
        Assert.Empty(nodes.Elements());
        await (await client.Get($"{Vm(Guid.NewGuid())}/numanodes")).FaultAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task RefusedAction_IsAnActionWithItsFault_InXmlAndJson()
    {
        using var client = app.Admin();
        var response = await client.Post($"{Vm(PortalApiFactory.BuildAgent)}/stop", Action());
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var action = XElement.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("action", action.Name.LocalName);
        Assert.Equal("failed", action.Text("status"));
        Assert.Equal("Operation Failed", action.Element("fault")!.Text("reason"));
        Assert.Contains("only a running VM can be stopped", action.Element("fault")!.Text("detail"));

        using var json = app.Admin(json: true);
        var body = await (await json.Post($"{Vm(PortalApiFactory.BuildAgent)}/stop", Json("{}"))).JsonAsync(HttpStatusCode.Conflict);
        Assert.Equal("failed", body.GetProperty("status").GetString());
        Assert.Contains("only a running VM", body.GetProperty("fault").GetProperty("detail").GetString());

        // Not an action: a plain fault.
        var missing = XElement.Parse(await (await client.Get(Vm(Guid.NewGuid()))).Content.ReadAsStringAsync(Ct));
        Assert.Equal("fault", missing.Name.LocalName);
    }

    [Fact]
    public void Hardware_FromSpiceGraphicsWithListenAndPorts_IsTheDisplay()
    {
        var hardware = VmHardware.FromDomainXml("""
            <domain type='kvm'>
              <vcpu>4</vcpu>
              <iothreads>2</iothreads>
              <maxMemory slots='16' unit='KiB'>8388608</maxMemory>
              <os firmware='efi'><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><boot dev='cdrom'/><boot dev='hd'/><bootmenu enable='yes'/></os>
              <cpu><topology sockets='2' cores='2' threads='1'/></cpu>
              <devices>
                <graphics type='sdl'/>
                <graphics type='spice' port='5901' tlsPort='5902' autoport='yes'><listen type='address' address='192.0.2.7'/></graphics>
                <graphics type='vnc' port='5903'/>
                <video><model type='qxl' heads='2'/></video>
                <redirdev bus='usb' type='spicevmc'/>
                <memballoon model='virtio'/>
              </devices>
            </domain>
            """);

        Assert.Equal(("spice", "192.0.2.7", 5901, 5902, 2), (hardware.DisplayType, hardware.Listen, hardware.Port, hardware.TlsPort, hardware.Monitors));
        Assert.Equal((2, 2, 1), (hardware.Sockets, hardware.Cores, hardware.Threads));
        Assert.Equal("q35_ovmf", hardware.BiosType);
        Assert.True(hardware.BootMenu);
        Assert.Equal(["cdrom", "hd"], hardware.BootDevices);
        Assert.Equal(2, hardware.IoThreads);
        Assert.True(hardware.Ballooning);
        Assert.True(hardware.UsbRedirection);
        Assert.Equal(8L << 30, hardware.MaxMemoryBytes);
    }

    [Fact]
    public void Hardware_VncListeningEverywhere_LeavesTheAddressToTheHost()
    {
        var hardware = VmHardware.FromDomainXml("<domain><vcpu>2</vcpu><devices><graphics type='vnc' port='-1' autoport='yes' listen='0.0.0.0'/></devices></domain>");

        Assert.Equal("vnc", hardware.DisplayType);
        Assert.Null(hardware.Listen);
        Assert.Null(hardware.Port); // not running: libvirt writes -1
        Assert.Equal((2, 1, 1), (hardware.Sockets, hardware.Cores, hardware.Threads));
        Assert.Equal("i440fx_sea_bios", hardware.BiosType);
    }

    [Fact]
    public void NumaNodes_FromDomainCells_HaveIndexMemoryAndCpus()
    {
        var vm = Guid.NewGuid();
        var nodes = NumaNodes.FromDomainXml(vm, """
            <domain><cpu><numa>
              <cell id='0' cpus='0-2,^1' memory='1048576' unit='KiB'/>
              <cell id='1' cpus='3' memory='2' unit='GiB'/>
            </numa></cpu></domain>
            """);

        Assert.Equal([0, 1], nodes.Select(n => n.Index));
        Assert.Equal([1024L, 2048L], nodes.Select(n => n.Memory));
        Assert.Equal([0, 2], nodes[0].Cpu.Cores.Items.Select(c => c.Index));
        Assert.Equal([3], nodes[1].Cpu.Cores.Items.Select(c => c.Index));
        Assert.Equal(nodes[0].Id, NumaNodes.FromDomainXml(vm, "<domain><cpu><numa><cell id='0' cpus='0' memory='1'/></numa></cpu></domain>")[0].Id);
        Assert.StartsWith($"{Base}/vms/{vm}/numanodes/", nodes[1].Href);
    }
}
