namespace Portal.E2E.Infrastructure;

/// <summary>
/// One portal for the classes that leave the VMs as they found them (sign-in, routing): it saves a start per class.
/// A class that runs, stops or snapshots VMs takes its own <c>IClassFixture&lt;PortalFixture&gt;</c> instead.
/// </summary>
[CollectionDefinition(Name)]
public sealed class SharedPortalCollection : ICollectionFixture<PortalFixture>
{
    public const string Name = "Shared portal";
}
