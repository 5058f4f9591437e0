namespace Engine.Transport.Http3.QPack;

/// <summary>Field checks HTTP/3 applies to decoded fields (RFC 9114 §4.2, §10.3); QPACK itself does not.</summary>
internal static class QPackValidation
{
    /// <summary>
    /// True for a lowercase token (RFC 9110 §5.1), optionally after one ':' for a pseudo-header.
    /// Uppercase makes a message malformed in HTTP/3 (RFC 9114 §4.2).
    /// </summary>
    public static bool IsValidFieldName(ReadOnlySpan<byte> name)
    {
        if (!name.IsEmpty && name[0] == (byte)':')
        {
            name = name[1..];
        }

        if (name.IsEmpty)
        {
            return false;
        }

        foreach (byte b in name)
        {
            if (!IsLowercaseTokenChar(b))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>False when the value holds NUL, CR or LF, which could smuggle fields (RFC 9114 §10.3).</summary>
    public static bool IsValidFieldValue(ReadOnlySpan<byte> value) =>
        value.IndexOfAny((byte)0, (byte)'\r', (byte)'\n') < 0;

    private static bool IsLowercaseTokenChar(byte b) =>
        b is >= (byte)'a' and <= (byte)'z'
        or >= (byte)'0' and <= (byte)'9'
        or (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*'
        or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';
}
