namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>Packet types a frame may appear in (the "Pkts" column of RFC 9000 §12.4 Table 3).</summary>
[Flags]
internal enum QuicPacketTypes : byte
{
    None = 0,
    Initial = 1,
    ZeroRtt = 2,
    Handshake = 4,
    OneRtt = 8,
    All = Initial | ZeroRtt | Handshake | OneRtt,
}

/// <summary>What the transport needs to know about one frame type.</summary>
/// <param name="Name">The RFC's name, e.g. "MAX_STREAMS".</param>
/// <param name="AllowedIn">Packet types the frame may be carried in.</param>
/// <param name="IsAckEliciting">False only for the "N" frames (PADDING, ACK, CONNECTION_CLOSE).</param>
/// <param name="CountsInFlight">False only for ACK (the "C" frames, RFC 9002 §2).</param>
/// <param name="IsProbing">The "P" frames, which may be sent on a path being validated (RFC 9000 §9.1).</param>
/// <param name="IsFlowControlled">The "F" frames (STREAM).</param>
internal readonly record struct QuicFrameInfo(
    string Name, QuicPacketTypes AllowedIn, bool IsAckEliciting, bool CountsInFlight, bool IsProbing, bool IsFlowControlled);

/// <summary>
/// RFC 9000 §12.4 Table 3 plus RFC 9221's DATAGRAM, as data. The connection checks every received
/// frame with <see cref="IsAllowed"/> and closes with PROTOCOL_VIOLATION when it fails.
/// </summary>
internal static class QuicFrameTable
{
    private const QuicPacketTypes I_H1 = QuicPacketTypes.Initial | QuicPacketTypes.Handshake | QuicPacketTypes.OneRtt;
    private const QuicPacketTypes Only01 = QuicPacketTypes.ZeroRtt | QuicPacketTypes.OneRtt;

    // Indexed by frame type; types the RFCs do not define have a null Name.
    private static readonly QuicFrameInfo[] s_byType = BuildTable();

    /// <summary>Information about a defined frame type; false for unknown types.</summary>
    public static bool TryGetInfo(ulong frameType, out QuicFrameInfo info)
    {
        if (frameType < (ulong)s_byType.Length && s_byType[frameType].Name is not null)
        {
            info = s_byType[frameType];
            return true;
        }

        info = default;
        return false;
    }

    public static bool IsKnown(ulong frameType) => TryGetInfo(frameType, out _);

    /// <summary>
    /// Whether <paramref name="frameType"/> may appear in a packet of <paramref name="packetType"/>.
    /// Unknown frame types, Retry and Version Negotiation packets allow nothing.
    /// </summary>
    public static bool IsAllowed(ulong frameType, QuicPacketType packetType) =>
        TryGetInfo(frameType, out QuicFrameInfo info) && (info.AllowedIn & ToFlag(packetType)) != 0;

    public static bool IsAckEliciting(ulong frameType) => TryGetInfo(frameType, out QuicFrameInfo info) && info.IsAckEliciting;

    public static bool CountsInFlight(ulong frameType) => TryGetInfo(frameType, out QuicFrameInfo info) && info.CountsInFlight;

    public static QuicPacketTypes ToFlag(QuicPacketType packetType) => packetType switch
    {
        QuicPacketType.Initial => QuicPacketTypes.Initial,
        QuicPacketType.ZeroRtt => QuicPacketTypes.ZeroRtt,
        QuicPacketType.Handshake => QuicPacketTypes.Handshake,
        QuicPacketType.OneRtt => QuicPacketTypes.OneRtt,
        _ => QuicPacketTypes.None,
    };

    private static QuicFrameInfo[] BuildTable()
    {
        var table = new QuicFrameInfo[(int)QuicFrameType.DatagramWithLength + 1];

        void Set(QuicFrameType first, QuicFrameType last, string name, QuicPacketTypes allowedIn,
            bool ackEliciting = true, bool inFlight = true, bool probing = false, bool flowControlled = false)
        {
            for (ulong type = (ulong)first; type <= (ulong)last; type++)
            {
                table[type] = new QuicFrameInfo(name, allowedIn, ackEliciting, inFlight, probing, flowControlled);
            }
        }

        void SetOne(QuicFrameType type, string name, QuicPacketTypes allowedIn,
            bool ackEliciting = true, bool inFlight = true, bool probing = false) =>
            Set(type, type, name, allowedIn, ackEliciting, inFlight, probing);

        SetOne(QuicFrameType.Padding, "PADDING", QuicPacketTypes.All, ackEliciting: false, probing: true);
        SetOne(QuicFrameType.Ping, "PING", QuicPacketTypes.All);
        Set(QuicFrameType.Ack, QuicFrameType.AckEcn, "ACK", I_H1, ackEliciting: false, inFlight: false);
        SetOne(QuicFrameType.ResetStream, "RESET_STREAM", Only01);
        SetOne(QuicFrameType.StopSending, "STOP_SENDING", Only01);
        SetOne(QuicFrameType.Crypto, "CRYPTO", I_H1);
        SetOne(QuicFrameType.NewToken, "NEW_TOKEN", QuicPacketTypes.OneRtt);
        Set(QuicFrameType.Stream, QuicFrameType.StreamLast, "STREAM", Only01, flowControlled: true);
        SetOne(QuicFrameType.MaxData, "MAX_DATA", Only01);
        SetOne(QuicFrameType.MaxStreamData, "MAX_STREAM_DATA", Only01);
        Set(QuicFrameType.MaxStreamsBidirectional, QuicFrameType.MaxStreamsUnidirectional, "MAX_STREAMS", Only01);
        SetOne(QuicFrameType.DataBlocked, "DATA_BLOCKED", Only01);
        SetOne(QuicFrameType.StreamDataBlocked, "STREAM_DATA_BLOCKED", Only01);
        Set(QuicFrameType.StreamsBlockedBidirectional, QuicFrameType.StreamsBlockedUnidirectional, "STREAMS_BLOCKED", Only01);
        SetOne(QuicFrameType.NewConnectionId, "NEW_CONNECTION_ID", Only01, probing: true);

        // Table 3 allows RETIRE_CONNECTION_ID in 0-RTT, although §17.2.3 notes a client cannot
        // have anything to retire yet; we follow the table and accept it.
        SetOne(QuicFrameType.RetireConnectionId, "RETIRE_CONNECTION_ID", Only01);
        SetOne(QuicFrameType.PathChallenge, "PATH_CHALLENGE", Only01, probing: true);
        SetOne(QuicFrameType.PathResponse, "PATH_RESPONSE", QuicPacketTypes.OneRtt, probing: true);

        // "ih01": only the transport form (0x1c) may close a connection during the handshake.
        SetOne(QuicFrameType.ConnectionCloseTransport, "CONNECTION_CLOSE", QuicPacketTypes.All, ackEliciting: false);
        SetOne(QuicFrameType.ConnectionCloseApplication, "CONNECTION_CLOSE", Only01, ackEliciting: false);
        SetOne(QuicFrameType.HandshakeDone, "HANDSHAKE_DONE", QuicPacketTypes.OneRtt);

        // RFC 9221 §4: 0-RTT and 1-RTT only; ack-eliciting and congestion controlled.
        Set(QuicFrameType.Datagram, QuicFrameType.DatagramWithLength, "DATAGRAM", Only01);
        return table;
    }
}
