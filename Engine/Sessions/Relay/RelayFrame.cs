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
}

/// <summary>
/// The relay's wire format on the cluster bus: kind u8, link id i64 (little-endian; unique per edge
/// instance, and the edge instance is the message's sender), then per kind: Attach → MemoryPack
/// <see cref="RelayAttach"/>; Message → flags u8 (bit 0: reliable) and the protocol message's
/// bytes; Detach → nothing; Close → code u16 and the reason in UTF-8.
/// </summary>
internal static class RelayFrame
{
    public const int HeaderLength = 9;

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

    /// <summary>Writes a Message frame into <paramref name="destination"/> (length <see cref="HeaderLength"/> + 1 + message); returns the length.</summary>
    public static int WriteMessage(Span<byte> destination, long link, bool reliable, ReadOnlySpan<byte> message)
    {
        WriteHeader(destination, RelayFrameKind.Message, link);
        destination[HeaderLength] = reliable ? (byte)1 : (byte)0;
        message.CopyTo(destination[(HeaderLength + 1)..]);
        return HeaderLength + 1 + message.Length;
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

    public static RelayAttach? ReadAttach(ReadOnlySpan<byte> body)
    {
        try
        {
            return MemoryPackSerializer.Deserialize<RelayAttach>(body);
        }
        catch (MemoryPackSerializationException)
        {
            return null;
        }
    }

    public static (ushort Code, string Reason) ReadClose(ReadOnlySpan<byte> body) =>
        body.Length < 2 ? ((ushort)1011, "") : (BinaryPrimitives.ReadUInt16LittleEndian(body), Encoding.UTF8.GetString(body[2..]));

    private static void WriteHeader(Span<byte> frame, RelayFrameKind kind, long link)
    {
        frame[0] = (byte)kind;
        BinaryPrimitives.WriteInt64LittleEndian(frame[1..], link);
    }
}
