namespace Portal.Core.Audit;

/// <summary>
/// Every operation the audit log records, by the name its entries carry: the commands' (<c>Operation</c>), the
/// sign-in's, the consoles', user administration's and the portal's own (start-up, recovery, clean-up). The Audit log
/// page filters by these; a test checks that every command's name is here.
/// </summary>
public static class AuditOperations
{
    public const string AddHost = "Add host";
    public const string AddStorageDomain = "Add storage domain";
    public const string CloneVmFromSnapshot = "Clone VM from snapshot";
    public const string CommitSnapshot = "Commit snapshot";
    public const string CreateSnapshot = "Create snapshot";
    public const string EditVm = "Edit VM";
    public const string ExportVm = "Export VM";
    public const string ImportVm = "Import VM";
    public const string ManageUsers = "Manage users";
    public const string MoveHost = "Move host";
    public const string OpenGraphicalConsole = "Open graphical console";
    public const string OpenSerialConsole = "Open serial console";
    public const string PreviewSnapshot = "Preview snapshot";
    public const string ProcessVmDown = "Process VM down";
    public const string RemoveHost = "Remove host";
    public const string RemoveMemoryVolume = "Remove memory volume";
    public const string RemoveSnapshot = "Remove snapshot";
    public const string RemoveStorageDomain = "Remove storage domain";
    public const string RemoveVm = "Remove VM";
    public const string RestoreSnapshot = "Restore snapshot";
    public const string RunVm = "Run VM";
    public const string SignIn = "Sign in";
    public const string SignOut = "Sign out";
    public const string StopVm = "Stop VM";
    public const string UndoPreview = "Undo preview";

    // The inventory as another client of a host changed it (VmInventory): domains defined or undefined outside the portal.
    public const string DiscoverVm = "Discover VM";
    public const string VmBackOnHost = "VM back on host";
    public const string VmMissingOnHost = "VM missing on host";

    /// <summary>All of them, by name.</summary>
    public static readonly IReadOnlyList<string> All =
    [
        AddHost, AddStorageDomain, CloneVmFromSnapshot, CommitSnapshot, CreateSnapshot, DiscoverVm, EditVm, ExportVm, ImportVm,
        ManageUsers, MoveHost, OpenGraphicalConsole, OpenSerialConsole, PreviewSnapshot, ProcessVmDown, RemoveHost,
        RemoveMemoryVolume, RemoveSnapshot, RemoveStorageDomain, RemoveVm, RestoreSnapshot, RunVm, SignIn, SignOut,
        StopVm, UndoPreview, VmBackOnHost, VmMissingOnHost,
    ];
}
