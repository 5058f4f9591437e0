namespace Engine.Transport.Quic.Streams;

/// <summary>
/// Stream ID arithmetic (RFC 9000 §2.1): the low bit names the initiator (0 client, 1 server),
/// the second bit the direction (0 bidirectional, 2 unidirectional); the rest is the stream's
/// index among streams of the same type, so stream N of a type is <c>N * 4 + type</c>.
/// </summary>
internal static class StreamId
{
    /// <summary>Stream IDs are varints: at most 2^62 − 1.</summary>
    public const ulong MaxValue = (1UL << 62) - 1;

    public static bool IsServerInitiated(ulong streamId) => (streamId & 0x1) != 0;

    public static bool IsBidirectional(ulong streamId) => (streamId & 0x2) == 0;

    /// <summary>True when the endpoint (server or client) opened the stream itself.</summary>
    public static bool IsLocal(ulong streamId, bool isServer) => IsServerInitiated(streamId) == isServer;

    /// <summary>The stream's position among streams of its type (0 for the first).</summary>
    public static ulong Index(ulong streamId) => streamId >> 2;

    /// <summary>The type bits 0–3 (initiator and direction).</summary>
    public static int Type(ulong streamId) => (int)(streamId & 0x3);

    public static ulong Make(ulong index, bool serverInitiated, bool bidirectional) =>
        (index << 2) | (serverInitiated ? 1UL : 0UL) | (bidirectional ? 0UL : 2UL);

    /// <summary>Whether this endpoint sends on the stream (every bidi stream, own uni streams).</summary>
    public static bool CanSend(ulong streamId, bool isServer) => IsBidirectional(streamId) || IsLocal(streamId, isServer);

    /// <summary>Whether this endpoint receives on the stream (every bidi stream, peer uni streams).</summary>
    public static bool CanReceive(ulong streamId, bool isServer) => IsBidirectional(streamId) || !IsLocal(streamId, isServer);
}
