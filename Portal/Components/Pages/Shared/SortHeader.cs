using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace Portal.Components.Pages.Shared;

/// <summary>
/// A sortable column's header cell: a button with the column's title and an arrow, and <c>aria-sort</c> on the cell,
/// as the VMs page and an export domain's list show them. A render fragment, not a component: a grid's page keeps a
/// component per cell for as long as it is open, and headers need no state of their own.
/// </summary>
public static class SortHeader
{
    private static readonly MarkupString Ascending = IconMarkup.Markup(Icons.Material.Filled.ArrowUpward, "mud-icon-size-small grid-sort-icon"),
        Descending = IconMarkup.Markup(Icons.Material.Filled.ArrowUpward, "mud-icon-size-small grid-sort-icon grid-sort-desc");

    /// <summary>
    /// The header of a column titled <paramref name="title"/>; <paramref name="active"/> when the grid is sorted by it,
    /// then <paramref name="descending"/> says which way. <paramref name="onClick"/> runs on <paramref name="owner"/>
    /// (the page, which renders again after it); keep one delegate per column so a render does not replace the handler.
    /// </summary>
    public static RenderFragment Cell(IHandleEvent owner, string title, bool active, bool descending, Func<Task> onClick,
        string testId, string? cellClass = null) => builder =>
    {
        builder.OpenElement(0, "th");
        builder.AddAttribute(1, "scope", "col");
        builder.AddAttribute(2, "class", cellClass);
        builder.AddAttribute(3, "aria-sort", !active ? "none" : descending ? "descending" : "ascending");
        builder.OpenElement(4, "button");
        builder.AddAttribute(5, "type", "button");
        builder.AddAttribute(6, "class", active ? "grid-sort grid-sort-active" : "grid-sort");
        builder.AddAttribute(7, "onclick", EventCallback.Factory.Create(owner, onClick));
        builder.AddAttribute(8, "data-testid", testId);
        builder.AddContent(9, title);
        builder.AddContent(10, active && descending ? Descending : Ascending);
        builder.CloseElement();
        builder.CloseElement();
    };
}
