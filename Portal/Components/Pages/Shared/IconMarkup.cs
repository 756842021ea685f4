using Microsoft.AspNetCore.Components;

namespace Portal.Components.Pages.Shared;

/// <summary>
/// A MudBlazor icon as markup (MudIcon's svg in its classes), for pages that render icons inside markup frames rather
/// than as a MudIcon component each: every open page holds its components, and icons in grids and the layout were many.
/// </summary>
public static class IconMarkup
{
    /// <summary>
    /// The svg of <paramref name="icon"/> (one of MudBlazor's <c>Icons</c>) with MudBlazor's icon classes and
    /// <paramref name="classes"/> (size, colour, placement). Decorative (aria-hidden) unless <paramref name="attributes"/>
    /// gives it a role and a name; those attributes are written as given, so their values must already be encoded.
    /// </summary>
    public static string Svg(string icon, string classes, string? attributes = null) =>
        $"<svg class=\"mud-icon-root mud-svg-icon {classes}\" focusable=\"false\" viewBox=\"0 0 24 24\" {attributes ?? "aria-hidden=\"true\""}>{icon}</svg>";

    /// <summary><see cref="Svg"/> as one markup frame, made once and kept (a static field) by the component that shows it.</summary>
    /// <remarks>Default <paramref name="classes"/>: MudBlazor's medium size.</remarks>
    public static MarkupString Markup(string icon, string classes = "mud-icon-size-medium") => new(Svg(icon, classes));
}
