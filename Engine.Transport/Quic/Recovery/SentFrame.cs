namespace Engine.Transport.Quic.Recovery;

/// <summary>What kind of frame a sent packet carried, so its owner can react when it is acknowledged or lost.</summary>
internal enum SentFrameKind : byte
{
    Ping,
    Ack,
    Crypto,
    Stream,
    ResetStream,
    StopSending,
    MaxData,
    MaxStreamData,
    MaxStreamsBidi,
    MaxStreamsUni,
    DataBlocked,
    StreamDataBlocked,
    StreamsBlockedBidi,
    StreamsBlockedUni,
    NewConnectionId,
    RetireConnectionId,
    HandshakeDone,
    Datagram,
    ConnectionClose,
    Padding,
}

/// <summary>
/// A record of one frame in a sent packet: enough for the frame's owner to retransmit it when
/// lost or forget it when acknowledged (aioquic's per-frame delivery callbacks, without the
/// allocation). The meaning of the fields depends on <see cref="Kind"/>:
/// Crypto: <see cref="Offset"/>, <see cref="Length"/>. Stream: <see cref="StreamId"/>,
/// <see cref="Offset"/>, <see cref="Length"/>, <see cref="Fin"/>. ResetStream/StopSending/
/// MaxStreamData/StreamDataBlocked: <see cref="StreamId"/> (and <see cref="Offset"/> = value
/// sent where there is one). MaxData/MaxStreams*/DataBlocked/StreamsBlocked*: <see cref="Offset"/>
/// = the value sent. NewConnectionId/RetireConnectionId: <see cref="Offset"/> = sequence number.
/// </summary>
internal readonly record struct SentFrame(SentFrameKind Kind, ulong StreamId, ulong Offset, int Length, bool Fin)
{
    public static SentFrame Simple(SentFrameKind kind) => new(kind, 0, 0, 0, false);

    public static SentFrame WithValue(SentFrameKind kind, ulong value) => new(kind, 0, value, 0, false);
}

/// <summary>
/// Told what became of each frame once its packet is acknowledged or declared lost. The
/// connection implements it and routes to the crypto streams, the stream manager and its
/// control-frame queue; only the owner decides whether (and what) to retransmit.
/// DATAGRAM frames are never retransmitted.
/// </summary>
internal interface ISentFrameOwner
{
    void OnFrameAcked(QuicPacketSpace space, in SentFrame frame);

    void OnFrameLost(QuicPacketSpace space, in SentFrame frame);
}
