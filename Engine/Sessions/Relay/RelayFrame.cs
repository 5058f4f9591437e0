using System.Buffers.Binary;
using System.Text;
using MemoryPack;

namespace Engine.Sessions.Relay;

/// <summary>What a relay frame carries.</summary>
internal enum RelayFrameKind : byte
{
    /// <summary>Edge → owner: a client's connection is relayed from now on (<see cref="RelayAttach"/> follows the header).</summary>
    Attach = 0,

    /// <summary>Either way: one protocol message; the flags byte says whether it is reliable.</summary>
    Message = 1,

    /// <summary>Edge → owner: the client's connection ended (or it left the room and is re-routed).</summary>
    Detach = 2,

    /// <summary>Owner → edge: close the client's connection with this code and reason.</summary>
    Close = 3,
}

/// <summary>Who the relayed client is, sent once per link.</summary>
[MemoryPackable(SerializeLayout.Explicit)]
internal sealed partial class RelayAttach
{
    [MemoryPackOrder(0)] public string SessionId { get; set; } = "";

    [MemoryPackOrder(1)] public int PlayerId { get; set; }

    [MemoryPackOrder(2)] public string ResumeToken { get; set; } = "";

    /// <summary>The client's transport on the edge ("websocket", "webtransport").</summary>
    [MemoryPackOrder(3)] public string TransportName { get; set; } = "";

    /// <summary>The largest unreliable message the edge's transport takes (the snapshot budget).</summary>
    [MemoryPackOrder(4)] public int MaxUnreliableMessageBytes { get; set; }

    /// <summary>When resuming a seat: the last room event sequence the client processed; -1 when joining.</summary>
    [MemoryPackOrder(5)] public long ResumeLastSequence { get; set; } = -1;

    /// <summary>The room the link is for (a resume may find its seat there, restored from the seat records).</summary>
    [MemoryPackOrder(6)] public string Room { get; set; } = "";
}

/// <summary>
/// The relay's wire format on the cluster bus: kind u8, link id i64 (little-endian; unique per edge
/// instance, and the edge instance is the message's sender), then per kind: Attach → MemoryPack
/// <see cref="RelayAttach"/>; Message → flags u8 (bit 0: reliable), reliable sequence u32 (LE) and
/// the protocol message's bytes; Detach → nothing; Close → code u16 and the reason in UTF-8.
/// The reliable sequence numbers each direction's reliable messages of a link 1, 2, 3, …; an
/// unreliable message carries the number of the last reliable one sent before it. The bus may drop
/// a frame (a full queue, a cut): a receiver that sees a number it did not expect has lost a
/// reliable message and closes the link, so the client resumes (and is replayed what it missed)
/// instead of silently missing it.
/// </summary>
internal static class RelayFrame
{
    public const int HeaderLength = 9;

    /// <summary>What a Message frame adds before the protocol message: flags u8 and the reliable sequence u32.</summary>
    public const int MessagePrefixLength = 5;

    /// <summary>A parsed frame; the spans point into the received payload.</summary>
    public readonly ref struct Parsed
    {
        public Parsed(RelayFrameKind kind, long link, ReadOnlySpan<byte> body)
        {
            Kind = kind;
            Link = link;
            Body = body;
        }

        public RelayFrameKind Kind { get; }

        public long Link { get; }

        public ReadOnlySpan<byte> Body { get; }
    }

    public static bool TryParse(ReadOnlySpan<byte> frame, out Parsed parsed)
    {
        parsed = default;
        if (frame.Length < HeaderLength || frame[0] > (byte)RelayFrameKind.Close)
        {
            return false;
        }

        parsed = new Parsed((RelayFrameKind)frame[0], BinaryPrimitives.ReadInt64LittleEndian(frame[1..]), frame[HeaderLength..]);
        return true;
    }

    public static byte[] Attach(long link, RelayAttach attach)
    {
        byte[] body = MemoryPackSerializer.Serialize(attach);
        byte[] frame = new byte[HeaderLength + body.Length];
        WriteHeader(frame, RelayFrameKind.Attach, link);
        body.CopyTo(frame.AsSpan(HeaderLength));
        return frame;
    }

    /// <summary>Writes a Message frame into <paramref name="destination"/> (length <see cref="HeaderLength"/> + <see cref="MessagePrefixLength"/> + message); returns the length.</summary>
    public static int WriteMessage(Span<byte> destination, long link, bool reliable, uint reliableSequence, ReadOnlySpan<byte> message)
    {
        WriteHeader(destination, RelayFrameKind.Message, link);
        destination[HeaderLength] = reliable ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[(HeaderLength + 1)..], reliableSequence);
        message.CopyTo(destination[(HeaderLength + MessagePrefixLength)..]);
        return HeaderLength + MessagePrefixLength + message.Length;
    }

    /// <summary>Reads a Message frame's body: false when it is too short to hold a message.</summary>
    public static bool TryReadMessage(ReadOnlySpan<byte> body, out bool reliable, out uint reliableSequence, out ReadOnlySpan<byte> message)
    {
        if (body.Length <= MessagePrefixLength)
        {
            reliable = false;
            reliableSequence = 0;
            message = default;
            return false;
        }

        reliable = (body[0] & 1) != 0;
        reliableSequence = BinaryPrimitives.ReadUInt32LittleEndian(body[1..]);
        message = body[MessagePrefixLength..];
        return true;
    }

    public static byte[] Detach(long link)
    {
        byte[] frame = new byte[HeaderLength];
        WriteHeader(frame, RelayFrameKind.Detach, link);
        return frame;
    }

    public static byte[] Close(long link, ushort code, string reason)
    {
        byte[] frame = new byte[HeaderLength + 2 + Encoding.UTF8.GetByteCount(reason)];
        WriteHeader(frame, RelayFrameKind.Close, link);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(HeaderLength), code);
        Encoding.UTF8.GetBytes(reason, frame.AsSpan(HeaderLength + 2));
        return frame;
    }

    /// <summary>The Attach body, or null when it does not decode or lacks the session's identity (a peer's bad bytes never throw).</summary>
    public static RelayAttach? ReadAttach(ReadOnlySpan<byte> body)
    {
        RelayAttach? attach;
        try
        {
            attach = MemoryPackSerializer.Deserialize<RelayAttach>(body);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException)
        {
            return null;
        }

        return attach is { SessionId.Length: > 0, ResumeToken.Length: > 0, TransportName: not null, MaxUnreliableMessageBytes: >= 0 } ? attach : null;
    }

    public static (ushort Code, string Reason) ReadClose(ReadOnlySpan<byte> body) =>
        body.Length < 2 ? ((ushort)1011, "") : (BinaryPrimitives.ReadUInt16LittleEndian(body), Encoding.UTF8.GetString(body[2..]));

    private static void WriteHeader(Span<byte> frame, RelayFrameKind kind, long link)
    {
        frame[0] = (byte)kind;
        BinaryPrimitives.WriteInt64LittleEndian(frame[1..], link);
    }
}
