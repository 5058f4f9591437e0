using System.Buffers;
using System.Text;

namespace Engine.Transport.Http3.QPack;

/// <summary>
/// Encodes field sections without a dynamic table (RFC 9204 §4.5): prefix 0,0, then per field the static exact
/// match, else a static name reference, else a literal name. Strings are Huffman-encoded when that is shorter.
/// Names must already be lowercase (RFC 9114 §4.2); the encoder does not rewrite them.
/// </summary>
internal static class QPackEncoder
{
    /// <summary>Required Insert Count 0, Delta Base 0.</summary>
    public const int PrefixLength = 2;

    public static int WritePrefix(Span<byte> destination)
    {
        if (destination.Length < PrefixLength)
        {
            throw new ArgumentException("Destination too small for the field section prefix.", nameof(destination));
        }

        destination[0] = 0;
        destination[1] = 0;
        return PrefixLength;
    }

    public static void WritePrefix(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Advance(WritePrefix(writer.GetSpan(PrefixLength)));
    }

    /// <summary>Exact encoded length of one field line as <see cref="WriteField(Span{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> writes it.</summary>
    public static int GetFieldLength(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        int index = QPackStaticTable.Find(name, value, out bool exact);
        if (exact)
        {
            return QPackIntegers.GetLength((ulong)index, 6);
        }

        if (index >= 0)
        {
            return QPackIntegers.GetLength((ulong)index, 4) + QPackIntegers.GetStringLength(value, 7);
        }

        return QPackIntegers.GetStringLength(name, 3) + QPackIntegers.GetStringLength(value, 7);
    }

    /// <summary>Writes one field line; returns bytes written (<see cref="GetFieldLength"/>).</summary>
    public static int WriteField(Span<byte> destination, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (destination.Length < GetFieldLength(name, value))
        {
            throw new ArgumentException("Destination too small for the field line.", nameof(destination));
        }

        int index = QPackStaticTable.Find(name, value, out bool exact);
        if (exact)
        {
            // Indexed Field Line, static (§4.5.2): 1 1 Index(6+).
            return QPackIntegers.Write(destination, (ulong)index, 6, 0xC0);
        }

        if (index >= 0)
        {
            // Literal Field Line with Name Reference, N=0, static (§4.5.4): 0 1 0 1 NameIndex(4+).
            int written = QPackIntegers.Write(destination, (ulong)index, 4, 0x50);
            return written + QPackIntegers.WriteString(destination[written..], value, 7);
        }

        // Literal Field Line with Literal Name, N=0 (§4.5.6): 0 0 1 0 H NameLength(3+).
        int nameLength = QPackIntegers.WriteString(destination, name, 3, 0x20);
        return nameLength + QPackIntegers.WriteString(destination[nameLength..], value, 7);
    }

    public static void WriteField(IBufferWriter<byte> writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        int length = GetFieldLength(name, value);
        writer.Advance(WriteField(writer.GetSpan(length), name, value));
    }

    /// <summary>
    /// Writes one field line from strings, which must be Latin-1 (HTTP field bytes); other characters throw.
    /// </summary>
    public static void WriteField(IBufferWriter<byte> writer, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        byte[] rented = ArrayPool<byte>.Shared.Rent(name.Length + value.Length);
        try
        {
            int nameLength = ToLatin1(name, rented);
            int valueLength = ToLatin1(value, rented.AsSpan(nameLength));
            WriteField(writer, rented.AsSpan(0, nameLength), rented.AsSpan(nameLength, valueLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Writes a whole field section: prefix then every field in order.</summary>
    public static void WriteFieldSection(IBufferWriter<byte> writer, IEnumerable<KeyValuePair<string, string>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        WritePrefix(writer);
        foreach (KeyValuePair<string, string> field in fields)
        {
            WriteField(writer, field.Key, field.Value);
        }
    }

    private static int ToLatin1(string text, Span<byte> destination)
    {
        foreach (char c in text)
        {
            if (c > 0xFF)
            {
                throw new ArgumentException("Field names and values must be Latin-1.", nameof(text));
            }
        }

        return Encoding.Latin1.GetBytes(text, destination);
    }
}
