using Portal.E2E.Infrastructure;

namespace Portal.E2E.RealHost;

/// <summary>
/// The portal on the same real host reached as a remote one: <c>qemu+ssh://root@127.0.0.1:2222/system</c> through the
/// private sshd that <c>scripts/real-host/start-sshd.sh</c> started (setup.sh starts it), with its client key. Every
/// libvirt call, event and console stream then goes through ssh to libvirtd, as with a host elsewhere.
/// </summary>
public sealed class RealHostOverSshFixture : PortalFixture
{
    public static readonly string Uri =
        $"qemu+ssh://root@127.0.0.1:2222/system?keyfile={RealHostFixture.Root}/ssh/id_ed25519&no_verify=1";

    protected override void Configure(PortalProcessOptions options)
    {
        RealHostFixture.ResetGuests();
        RealHostFixture.PointAtRealHost(options);
        options.Variables["Libvirt__Uri"] = Uri;
    }
}
