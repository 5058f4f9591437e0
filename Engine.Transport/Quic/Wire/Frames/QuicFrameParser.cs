using Engine.Transport.Coding;

namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>What a parsed payload means for acknowledgment and recovery, or where it failed.</summary>
internal readonly record struct QuicPayloadSummary(
    bool IsAckEliciting,
    bool CountsInFlight,
    bool IsProbingOnly,
    int FrameCount,
    ulong ErrorFrameType,
    int ErrorOffset);

/// <summary>
/// Walks a decrypted packet payload frame by frame, checks each against the packet type, and
/// hands it to a visitor. Allocation-free (the visitor is a generic struct or ref struct) and
/// never throws on peer input.
/// </summary>
internal static class QuicFrameParser
{
    /// <summary>
    /// Parses every frame of <paramref name="payload"/>. Returns NoError, or the error to close
    /// the connection with: PROTOCOL_VIOLATION for an empty payload, a frame not allowed in this
    /// packet type or a known type with a longer encoding than needed; FRAME_ENCODING_ERROR for an
    /// unknown type or a malformed frame; or whatever the visitor returned.
    /// <see cref="QuicPayloadSummary.ErrorFrameType"/> then names the offending frame type.
    /// </summary>
    public static QuicTransportErrorCode Parse<TVisitor>(
        ReadOnlySpan<byte> payload, QuicPacketType packetType, ref TVisitor visitor, out QuicPayloadSummary summary)
        where TVisitor : IQuicFrameVisitor, allows ref struct
    {
        summary = default;
        if (payload.IsEmpty)
        {
            return QuicTransportErrorCode.ProtocolViolation;
        }

        var reader = new SpanReader(payload);
        bool ackEliciting = false;
        bool inFlight = false;
        bool probingOnly = true;
        int count = 0;
        while (reader.Remaining > 0)
        {
            int frameStart = reader.Position;
            byte first = payload[frameStart];
            ulong frameType = first;
            QuicTransportErrorCode error;
            if (first >= 0x40)
            {
                // Every defined type fits one byte, so a longer type is unknown or over-long.
                bool complete = VarInt.TryRead(payload[frameStart..], out frameType, out _);
                error = complete && QuicFrameTable.IsKnown(frameType)
                    ? QuicTransportErrorCode.ProtocolViolation
                    : QuicTransportErrorCode.FrameEncodingError;
            }
            else if (!QuicFrameTable.TryGetInfo(frameType, out QuicFrameInfo info))
            {
                error = QuicTransportErrorCode.FrameEncodingError;
            }
            else if ((info.AllowedIn & QuicFrameTable.ToFlag(packetType)) == 0)
            {
                error = QuicTransportErrorCode.ProtocolViolation;
            }
            else
            {
                error = ReadAndVisit(first, ref reader, ref visitor);
                ackEliciting |= info.IsAckEliciting;
                inFlight |= info.CountsInFlight;
                probingOnly &= info.IsProbing;
                count++;
            }

            if (error != QuicTransportErrorCode.NoError)
            {
                summary = new QuicPayloadSummary(ackEliciting, inFlight, false, count, frameType, frameStart);
                return error;
            }
        }

        summary = new QuicPayloadSummary(ackEliciting, inFlight, probingOnly, count, 0, -1);
        return QuicTransportErrorCode.NoError;
    }

    private static QuicTransportErrorCode ReadAndVisit<TVisitor>(byte frameType, ref SpanReader reader, ref TVisitor visitor)
        where TVisitor : IQuicFrameVisitor, allows ref struct
    {
        QuicTransportErrorCode error;
        switch ((QuicFrameType)frameType)
        {
            case QuicFrameType.Padding:
                error = PaddingFrame.TryRead(ref reader, out PaddingFrame padding);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnPadding(padding);
            case QuicFrameType.Ping:
                error = PingFrame.TryRead(ref reader, out _);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnPing();
            case QuicFrameType.Ack or QuicFrameType.AckEcn:
                error = AckFrame.TryRead(ref reader, out AckFrame ack);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnAck(ack);
            case QuicFrameType.ResetStream:
                error = ResetStreamFrame.TryRead(ref reader, out ResetStreamFrame resetStream);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnResetStream(in resetStream);
            case QuicFrameType.StopSending:
                error = StopSendingFrame.TryRead(ref reader, out StopSendingFrame stopSending);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnStopSending(in stopSending);
            case QuicFrameType.Crypto:
                error = CryptoFrame.TryRead(ref reader, out CryptoFrame crypto);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnCrypto(crypto);
            case QuicFrameType.NewToken:
                error = NewTokenFrame.TryRead(ref reader, out NewTokenFrame newToken);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnNewToken(newToken);
            case >= QuicFrameType.Stream and <= QuicFrameType.StreamLast:
                error = StreamFrame.TryRead(ref reader, out StreamFrame stream);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnStream(stream);
            case QuicFrameType.MaxData:
                error = MaxDataFrame.TryRead(ref reader, out MaxDataFrame maxData);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnMaxData(in maxData);
            case QuicFrameType.MaxStreamData:
                error = MaxStreamDataFrame.TryRead(ref reader, out MaxStreamDataFrame maxStreamData);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnMaxStreamData(in maxStreamData);
            case QuicFrameType.MaxStreamsBidirectional or QuicFrameType.MaxStreamsUnidirectional:
                error = MaxStreamsFrame.TryRead(ref reader, out MaxStreamsFrame maxStreams);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnMaxStreams(in maxStreams);
            case QuicFrameType.DataBlocked:
                error = DataBlockedFrame.TryRead(ref reader, out DataBlockedFrame dataBlocked);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnDataBlocked(in dataBlocked);
            case QuicFrameType.StreamDataBlocked:
                error = StreamDataBlockedFrame.TryRead(ref reader, out StreamDataBlockedFrame streamDataBlocked);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnStreamDataBlocked(in streamDataBlocked);
            case QuicFrameType.StreamsBlockedBidirectional or QuicFrameType.StreamsBlockedUnidirectional:
                error = StreamsBlockedFrame.TryRead(ref reader, out StreamsBlockedFrame streamsBlocked);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnStreamsBlocked(in streamsBlocked);
            case QuicFrameType.NewConnectionId:
                error = NewConnectionIdFrame.TryRead(ref reader, out NewConnectionIdFrame newConnectionId);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnNewConnectionId(newConnectionId);
            case QuicFrameType.RetireConnectionId:
                error = RetireConnectionIdFrame.TryRead(ref reader, out RetireConnectionIdFrame retire);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnRetireConnectionId(in retire);
            case QuicFrameType.PathChallenge:
                error = PathChallengeFrame.TryRead(ref reader, out PathChallengeFrame challenge);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnPathChallenge(in challenge);
            case QuicFrameType.PathResponse:
                error = PathResponseFrame.TryRead(ref reader, out PathResponseFrame response);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnPathResponse(in response);
            case QuicFrameType.ConnectionCloseTransport or QuicFrameType.ConnectionCloseApplication:
                error = ConnectionCloseFrame.TryRead(ref reader, out ConnectionCloseFrame close);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnConnectionClose(close);
            case QuicFrameType.HandshakeDone:
                error = HandshakeDoneFrame.TryRead(ref reader, out _);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnHandshakeDone();
            case QuicFrameType.Datagram or QuicFrameType.DatagramWithLength:
                error = DatagramFrame.TryRead(ref reader, out DatagramFrame datagram);
                return error != QuicTransportErrorCode.NoError ? error : visitor.OnDatagram(datagram);
            default:
                return QuicTransportErrorCode.FrameEncodingError;
        }
    }
}
