namespace Portal.E2E.Pages;

/// <summary>Create snapshot: a description, and Save Memory only for a running VM in a cluster at 3.3 or later.</summary>
public sealed class CreateSnapshotDialog(IPage page)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = "Create snapshot" });
    public ILocator Description => Dialog.GetByRole(AriaRole.Textbox, new() { Name = "Description" });
    public ILocator SaveMemory => Dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Save Memory", Exact = true });
    public ILocator PauseWarning => Dialog.GetByTestId("create-snapshot-pause-warning");
    public ILocator MemoryDomain => Dialog.GetByTestId("create-snapshot-domain");
    public ILocator NoMemoryReason => Dialog.GetByTestId("create-snapshot-no-memory-reason");
    public ILocator Error => Dialog.GetByTestId("create-snapshot-error");
    public ILocator Create => Dialog.GetByTestId("create-snapshot-ok");
}

/// <summary>The Restore Memory popup, shown on preview of a snapshot that holds memory.</summary>
public sealed class PreviewSnapshotDialog(IPage page)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = "Preview snapshot" });
    public ILocator RestoreMemory => Dialog.GetByRole(AriaRole.Checkbox, new() { Name = "Restore Memory", Exact = true });
    public ILocator Preview => Dialog.GetByRole(AriaRole.Button, new() { Name = "Preview", Exact = true });
}

/// <summary>A yes/no confirmation, named by its title ("Commit snapshot", "Remove VM"…).</summary>
public sealed class ConfirmDialog(IPage page, string title)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = title });
    public ILocator Message => Dialog.GetByTestId("confirm-message");
    public ILocator Confirm => Dialog.GetByTestId("confirm-ok");

    /// <summary>Clicks the confirming button and waits until the dialog is gone (once more after 5 s: <see cref="Infrastructure.DialogOpener"/>).</summary>
    public Task ConfirmAsync() => Infrastructure.DialogOpener.ConfirmAsync(Confirm, Dialog);
}

/// <summary>Clone VM from snapshot: the new VM's name, and the warning that the snapshot's memory stays behind.</summary>
public sealed class CloneVmDialog(IPage page)
{
    public ILocator Dialog => page.GetByRole(AriaRole.Dialog, new() { Name = "Clone VM from snapshot" });
    public ILocator Name => Dialog.GetByRole(AriaRole.Textbox, new() { Name = "Name of the new VM" });
    public ILocator MemoryWarning => Dialog.GetByTestId("clone-memory-warning");
    public ILocator Clone => Dialog.GetByTestId("clone-vm-ok");
}
