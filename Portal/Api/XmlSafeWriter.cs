using System.Xml;
using Portal.Core.Commands;

namespace Portal.Api;

/// <summary>
/// An <see cref="XmlWriter"/> that writes every text and attribute value with the characters XML 1.0 cannot carry
/// replaced by U+FFFD. Input is refused with such characters (<see cref="TextInput"/>), but rows stored before that
/// check, or names that come from the host, must never make a read fail with a 500.
/// </summary>
internal sealed class XmlSafeWriter(XmlWriter inner) : XmlWriter
{
    public override WriteState WriteState => inner.WriteState;
    public override XmlWriterSettings? Settings => inner.Settings;
    public override void Flush() => inner.Flush();
    public override string? LookupPrefix(string ns) => inner.LookupPrefix(ns);
    public override void WriteBase64(byte[] buffer, int index, int count) => inner.WriteBase64(buffer, index, count);
    public override void WriteCData(string? text) => inner.WriteCData(text is null ? null : TextInput.Printable(text));
    public override void WriteCharEntity(char ch) => inner.WriteString(TextInput.Printable(ch.ToString()));
    public override void WriteChars(char[] buffer, int index, int count) => WriteString(new string(buffer, index, count));
    public override void WriteComment(string? text) => inner.WriteComment(text is null ? null : TextInput.Printable(text));
    public override void WriteDocType(string name, string? pubid, string? sysid, string? subset) => inner.WriteDocType(name, pubid, sysid, subset);
    public override void WriteEndAttribute() => inner.WriteEndAttribute();
    public override void WriteEndDocument() => inner.WriteEndDocument();
    public override void WriteEndElement() => inner.WriteEndElement();
    public override void WriteEntityRef(string name) => inner.WriteEntityRef(name);
    public override void WriteFullEndElement() => inner.WriteFullEndElement();
    public override void WriteProcessingInstruction(string name, string? text) => inner.WriteProcessingInstruction(name, text);
    public override void WriteRaw(char[] buffer, int index, int count) => WriteRaw(new string(buffer, index, count));
    public override void WriteRaw(string data) => inner.WriteRaw(TextInput.Printable(data));
    public override void WriteStartAttribute(string? prefix, string localName, string? ns) => inner.WriteStartAttribute(prefix, localName, ns);
    public override void WriteStartDocument() => inner.WriteStartDocument();
    public override void WriteStartDocument(bool standalone) => inner.WriteStartDocument(standalone);
    public override void WriteStartElement(string? prefix, string localName, string? ns) => inner.WriteStartElement(prefix, localName, ns);
    public override void WriteString(string? text) => inner.WriteString(text is null ? null : TextInput.Printable(text));
    public override void WriteSurrogateCharEntity(char lowChar, char highChar) => inner.WriteSurrogateCharEntity(lowChar, highChar);
    public override void WriteWhitespace(string? ws) => inner.WriteWhitespace(ws);

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
