using System.Collections.Concurrent;
using System.Reflection;
using System.Text;
using System.Xml;

namespace Portal.Core.Commands;

/// <summary>
/// Text a user types must be storable and showable: the API's default format is XML, and XML 1.0 cannot carry every
/// character (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, U+FFFE, U+FFFF, lone surrogates). Every command checks
/// its request's text with this before anything else, so such text is refused at the door, whatever the entry point.
/// </summary>
public static class TextInput
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> TextProperties = new();

    /// <summary>The index of the first character XML 1.0 cannot carry (surrogate pairs are fine), or -1.</summary>
    public static int FirstInvalidXmlChar(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (XmlConvert.IsXmlChar(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            return i;
        }
        return -1;
    }

    /// <summary>Why <paramref name="text"/> (named <paramref name="field"/>) cannot be accepted, or null.</summary>
    public static string? Refusal(string field, string? text)
    {
        if (text is null) return null;
        var at = FirstInvalidXmlChar(text);
        return at < 0 ? null
            : $"The {field} contains a character that cannot be stored or shown (U+{(int)text[at]:X4} at position {at + 1}); remove it.";
    }

    /// <summary>The first refusal among the request's text properties (strings and lists of strings), or null.</summary>
    public static string? Check(object? request)
    {
        if (request is null) return null;
        foreach (var p in TextProperties.GetOrAdd(request.GetType(), t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                     .Where(p => p.GetIndexParameters().Length == 0 && (p.PropertyType == typeof(string) || typeof(IEnumerable<string>).IsAssignableFrom(p.PropertyType)))
                     .ToArray()))
        {
            var field = Words(p.Name);
            switch (p.GetValue(request))
            {
                case string s when Refusal(field, s) is { } r: return r;
                case IEnumerable<string> list when p.PropertyType != typeof(string):
                    foreach (var item in list)
                        if (Refusal(field, item) is { } r2) return r2;
                    break;
            }
        }
        return null;
    }

    /// <summary>Replaces what XML cannot carry by U+FFFD, for writers that must never fail on text stored before this check existed.</summary>
    public static string Printable(string text)
    {
        if (FirstInvalidXmlChar(text) < 0) return text;
        var b = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (XmlConvert.IsXmlChar(c)) b.Append(c);
            else if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { b.Append(c).Append(text[i + 1]); i++; }
            else b.Append('\uFFFD');
        }
        return b.ToString();
    }

    /// <summary>"NewName" → "new name".</summary>
    private static string Words(string name)
    {
        var b = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && b.Length > 0) b.Append(' ');
            b.Append(char.ToLowerInvariant(c));
        }
        return b.ToString();
    }
}
