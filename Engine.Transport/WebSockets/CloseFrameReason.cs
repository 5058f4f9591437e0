using System.Text;

namespace Engine.Transport.WebSockets;

/// <summary>Fits a close reason into a WebSocket close frame.</summary>
internal static class CloseFrameReason
{
    /// <summary>
    /// A close frame's payload is at most 125 bytes, two of which carry the code (RFC 6455 §5.5),
    /// leaving 123 bytes of UTF-8 for the reason.
    /// </summary>
    public const int MaxUtf8Bytes = 123;

    /// <summary>
    /// Returns <paramref name="reason"/> cut to at most <see cref="MaxUtf8Bytes"/> UTF-8 bytes at a
    /// character boundary. Unpaired surrogates become U+FFFD, because the WebSocket encoder
    /// rejects invalid UTF-16 instead of sending it.
    /// </summary>
    public static string Truncate(string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);

        bool wellFormed = !reason.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') || IsWellFormedUtf16(reason);
        if (wellFormed && Encoding.UTF8.GetByteCount(reason) <= MaxUtf8Bytes)
        {
            return reason;
        }

        // EnumerateRunes yields U+FFFD for each unpaired surrogate.
        var builder = new StringBuilder(capacity: MaxUtf8Bytes);
        Span<char> utf16 = stackalloc char[2];
        int bytes = 0;
        foreach (Rune rune in reason.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > MaxUtf8Bytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            builder.Append(utf16[..rune.EncodeToUtf16(utf16)]);
        }

        return builder.ToString();
    }

    private static bool IsWellFormedUtf16(string text)
    {
        ReadOnlySpan<char> remaining = text;
        while (!remaining.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(remaining, out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                return false;
            }

            remaining = remaining[consumed..];
        }

        return true;
    }
}
