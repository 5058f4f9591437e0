namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>Frame types of RFC 9000 §19 and RFC 9221 (DATAGRAM). Ranges name their first value.</summary>
internal enum QuicFrameType : ulong
{
    Padding = 0x00,
    Ping = 0x01,
    Ack = 0x02,
    AckEcn = 0x03,
    ResetStream = 0x04,
    StopSending = 0x05,
    Crypto = 0x06,
    NewToken = 0x07,

    /// <summary>STREAM with no flags; 0x08–0x0f carry the OFF (0x04), LEN (0x02) and FIN (0x01) bits.</summary>
    Stream = 0x08,
    StreamLast = 0x0f,
    MaxData = 0x10,
    MaxStreamData = 0x11,
    MaxStreamsBidirectional = 0x12,
    MaxStreamsUnidirectional = 0x13,
    DataBlocked = 0x14,
    StreamDataBlocked = 0x15,
    StreamsBlockedBidirectional = 0x16,
    StreamsBlockedUnidirectional = 0x17,
    NewConnectionId = 0x18,
    RetireConnectionId = 0x19,
    PathChallenge = 0x1a,
    PathResponse = 0x1b,
    ConnectionCloseTransport = 0x1c,
    ConnectionCloseApplication = 0x1d,
    HandshakeDone = 0x1e,

    /// <summary>DATAGRAM without a length (runs to the end of the packet).</summary>
    Datagram = 0x30,

    /// <summary>DATAGRAM with a length.</summary>
    DatagramWithLength = 0x31,
}
