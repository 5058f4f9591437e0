using Engine.Transport.Coding;

namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// The preambles that bind a QUIC stream to a WebTransport session (draft-ietf-webtrans-http3-02
/// §4.1, §4.2): a bidirectional stream starts with varint 0x41 (WEBTRANSPORT_STREAM, in a frame
/// type's place), a unidirectional stream with stream type varint 0x54; both then carry the
/// session ID varint, then raw application bytes. Both values exceed 63, so each is a 2-byte varint.
/// </summary>
internal static class WebTransportStreamSignal
{
    /// <summary>WEBTRANSPORT_STREAM: the signal value opening a bidirectional WebTransport stream.</summary>
    public const ulong Bidirectional = 0x41;

    /// <summary>The HTTP/3 unidirectional stream type of a WebTransport stream.</summary>
    public const byte UnidirectionalStreamType = 0x54;

    /// <summary>
    /// True when <paramref name="sessionId"/> can be a session: a client-initiated bidirectional
    /// stream ID. Draft-02 §4 closes the connection with H3_ID_ERROR on any other received session ID.
    /// </summary>
    public static bool IsValidSessionId(long sessionId) => sessionId >= 0 && sessionId % 4 == 0;

    /// <summary>varint 0x41 (0x40 0x41), then varint <paramref name="sessionId"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The session ID is negative or beyond a varint.</exception>
    public static byte[] BidirectionalHeader(long sessionId) => Header(Bidirectional, sessionId);

    /// <summary>varint 0x54 (0x40 0x54), then varint <paramref name="sessionId"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The session ID is negative or beyond a varint.</exception>
    public static byte[] UnidirectionalHeader(long sessionId) => Header(UnidirectionalStreamType, sessionId);

    private static byte[] Header(ulong signal, long sessionId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sessionId);
        var header = new byte[VarInt.GetLength(signal) + VarInt.GetLength((ulong)sessionId)];
        var writer = new SpanWriter(header);
        writer.WriteVarint(signal);
        writer.WriteVarint((ulong)sessionId);
        return header;
    }
}

/// <summary>
/// Reads "varint signal/type, varint sessionId" from a stream's first bytes WITHOUT reading past
/// them, so the application bytes after the header stay in the stream for whoever reads next:
/// the caller asks <see cref="BytesWanted"/>, reads at most that many bytes from the stream and
/// calls <see cref="Feed"/>. Any varint is accepted (non-minimal encodings too); the caller
/// decides what the signal and session ID mean (see <see cref="WebTransportStreamSignal.IsValidSessionId"/>).
/// </summary>
internal struct WebTransportStreamHeaderReader
{
    // Which varint is being read: 0 = the signal (the default, so default(T) starts there), 1 = the session ID, 2 = done.
    private int _field;
    private int _varintLength;
    private int _varintRead;
    private ulong _value;

    /// <summary>A reader for a stream whose signal or type varint was already consumed (by the HTTP/3 layer): only the session ID is read, and <see cref="Signal"/> stays 0.</summary>
    public static WebTransportStreamHeaderReader SessionIdOnly() => new() { _field = 1 };

    /// <summary>
    /// Bytes the next <see cref="Feed"/> may take: 1 when the next varint has not started (its
    /// first byte gives its length), then the rest of that varint; 0 once complete.
    /// </summary>
    public readonly int BytesWanted => _field >= 2 ? 0 : _varintRead == 0 ? 1 : _varintLength - _varintRead;

    /// <summary>True once both varints (or the session ID alone, for <see cref="SessionIdOnly"/>) are read.</summary>
    public readonly bool IsComplete => _field >= 2;

    /// <summary>The first varint (0x41, 0x54 or anything else — the caller decides); 0 for <see cref="SessionIdOnly"/>.</summary>
    public ulong Signal { readonly get; private set; }

    /// <summary>The second varint: the session ID (valid once <see cref="IsComplete"/>).</summary>
    public long SessionId { readonly get; private set; }

    /// <summary>
    /// Consumes bytes of the header and returns how many. It never takes a byte beyond the
    /// header's end: handed more than <see cref="BytesWanted"/>, it reads on through the following
    /// varint bytes only as far as the header goes, and leaves the rest for the caller.
    /// </summary>
    public int Feed(ReadOnlySpan<byte> data)
    {
        int consumed = 0;
        while (consumed < data.Length && _field < 2)
        {
            byte b = data[consumed++];
            if (_varintRead == 0)
            {
                _varintLength = VarInt.GetEncodedLength(b);
                _value = (ulong)(b & 0x3f);
            }
            else
            {
                _value = (_value << 8) | b;
            }

            if (++_varintRead == _varintLength)
            {
                CompleteField();
            }
        }

        return consumed;
    }

    private void CompleteField()
    {
        if (_field == 0)
        {
            Signal = _value;
        }
        else
        {
            // An 8-byte varint holds at most 2^62 - 1, so it always fits a long.
            SessionId = (long)_value;
        }

        _field++;
        _varintRead = 0;
        _varintLength = 0;
        _value = 0;
    }
}
