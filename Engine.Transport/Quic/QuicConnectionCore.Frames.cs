using Engine.Transport.Quic.Connection;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    /// <summary>Routes each frame of one authenticated packet to its owner (frame-type checks per packet type were done by the parser).</summary>
    private struct FrameDispatcher(QuicConnectionCore connection, QuicPacketSpace space, TimeSpan now) : IQuicFrameVisitor
    {
        /// <summary>A reason to put in CONNECTION_CLOSE when a handler returned an error.</summary>
        public string? ErrorReason { get; private set; }

        public readonly QuicTransportErrorCode OnPadding(PaddingFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnPing() => QuicTransportErrorCode.NoError;

        public QuicTransportErrorCode OnAck(scoped AckFrame frame) =>
            Fail(connection.OnAckFrame(space, frame, now), "ACK of a packet number never sent");

        public QuicTransportErrorCode OnResetStream(in ResetStreamFrame frame) =>
            Fail(connection._streams.OnResetStream(frame.StreamId, frame.ApplicationErrorCode, frame.FinalSize), "RESET_STREAM rejected");

        public QuicTransportErrorCode OnStopSending(in StopSendingFrame frame) =>
            Fail(connection._streams.OnStopSending(frame.StreamId, frame.ApplicationErrorCode), "STOP_SENDING rejected");

        public QuicTransportErrorCode OnCrypto(scoped CryptoFrame frame) => connection.OnCryptoFrame(space, frame, now, ref this);

        public QuicTransportErrorCode OnNewToken(scoped NewTokenFrame frame) =>
            connection.IsServer ? Fail(QuicTransportErrorCode.ProtocolViolation, "a client sent NEW_TOKEN") : QuicTransportErrorCode.NoError;

        public QuicTransportErrorCode OnStream(scoped StreamFrame frame)
        {
            QuicTransportErrorCode error = connection._streams.OnStreamFrame(frame.StreamId, frame.Offset, frame.Data, frame.Fin);

            // The reason is formatted only on failure: this is the per-packet path.
            return error == QuicTransportErrorCode.NoError ? error : Fail(error, $"STREAM frame for stream {frame.StreamId} rejected");
        }

        public QuicTransportErrorCode OnMaxData(in MaxDataFrame frame) =>
            Fail(connection._streams.OnMaxData(frame.MaximumData), "MAX_DATA rejected");

        public QuicTransportErrorCode OnMaxStreamData(in MaxStreamDataFrame frame) =>
            Fail(connection._streams.OnMaxStreamData(frame.StreamId, frame.MaximumStreamData), "MAX_STREAM_DATA rejected");

        public QuicTransportErrorCode OnMaxStreams(in MaxStreamsFrame frame) =>
            Fail(connection._streams.OnMaxStreams(frame.Bidirectional, frame.MaximumStreams), "MAX_STREAMS rejected");

        public QuicTransportErrorCode OnDataBlocked(in DataBlockedFrame frame) =>
            Fail(connection._streams.OnDataBlocked(frame.MaximumData), "DATA_BLOCKED rejected");

        public QuicTransportErrorCode OnStreamDataBlocked(in StreamDataBlockedFrame frame) =>
            Fail(connection._streams.OnStreamDataBlocked(frame.StreamId, frame.MaximumStreamData), "STREAM_DATA_BLOCKED rejected");

        public QuicTransportErrorCode OnStreamsBlocked(in StreamsBlockedFrame frame) =>
            Fail(connection._streams.OnStreamsBlocked(frame.Bidirectional, frame.MaximumStreams), "STREAMS_BLOCKED rejected");

        public QuicTransportErrorCode OnNewConnectionId(scoped NewConnectionIdFrame frame) =>
            Fail(connection._connectionIds.OnNewConnectionId(frame), "NEW_CONNECTION_ID rejected");

        public QuicTransportErrorCode OnRetireConnectionId(in RetireConnectionIdFrame frame) =>
            Fail(ConnectionIdState.OnRetireConnectionId(frame.SequenceNumber), "RETIRE_CONNECTION_ID for a connection ID never issued");

        public readonly QuicTransportErrorCode OnPathChallenge(in PathChallengeFrame frame)
        {
            connection._path.OnPathChallenge(frame.Data);
            return QuicTransportErrorCode.NoError;
        }

        // We never send PATH_CHALLENGE, so any response is stale or unsolicited; RFC 9000 §19.18 lets us ignore it.
        public readonly QuicTransportErrorCode OnPathResponse(in PathResponseFrame frame) => QuicTransportErrorCode.NoError;

        public readonly QuicTransportErrorCode OnConnectionClose(scoped ConnectionCloseFrame frame)
        {
            connection.OnPeerClose(frame, now);
            return QuicTransportErrorCode.NoError;
        }

        public QuicTransportErrorCode OnHandshakeDone() =>
            connection.IsServer
                ? Fail(QuicTransportErrorCode.ProtocolViolation, "a client sent HANDSHAKE_DONE")
                : connection.OnHandshakeDone(now);

        public QuicTransportErrorCode OnDatagram(scoped DatagramFrame frame) =>
            Fail(connection.OnDatagramFrame(frame), "DATAGRAM frame not allowed or too large");

        internal QuicTransportErrorCode Fail(QuicTransportErrorCode error, string reason)
        {
            if (error != QuicTransportErrorCode.NoError)
            {
                ErrorReason ??= reason;
            }

            return error;
        }
    }

    private QuicTransportErrorCode OnAckFrame(QuicPacketSpace space, scoped AckFrame frame, TimeSpan now)
    {
        int exponent = space == QuicPacketSpace.ApplicationData ? _peerAckDelayExponent : (int)TransportParameters.DefaultAckDelayExponent;
        QuicTransportErrorCode error = _recovery.OnAckReceived(space, in frame, exponent, now, this);
        if (error == QuicTransportErrorCode.NoError && space == QuicPacketSpace.Handshake && !IsServer)
        {
            _recovery.PeerCompletedAddressValidation = true; // RFC 9002 §6.2.2.1
        }

        return error;
    }

    private QuicTransportErrorCode OnCryptoFrame(QuicPacketSpace spaceId, scoped CryptoFrame frame, TimeSpan now, ref FrameDispatcher dispatcher)
    {
        PacketSpaceState space = Space(spaceId);
        QuicTransportErrorCode error = space.CryptoReceive.Add(frame.Offset, frame.Data, out int newBytes);
        if (error != QuicTransportErrorCode.NoError)
        {
            return dispatcher.Fail(error, "CRYPTO data beyond the reassembly bound");
        }

        if (newBytes == 0)
        {
            Statistics.DuplicateCryptoFrames++;
            return QuicTransportErrorCode.NoError;
        }

        ReadOnlySpan<byte> contiguous = space.CryptoReceive.Contiguous;
        if (contiguous.IsEmpty)
        {
            return QuicTransportErrorCode.NoError;
        }

        error = _tls.ReceiveHandshakeData(spaceId, contiguous);
        space.CryptoReceive.Consume(contiguous.Length);
        if (error != QuicTransportErrorCode.NoError)
        {
            return dispatcher.Fail(error, _tls.FailureReason ?? "TLS handshake failed");
        }

        error = DrainTlsOutput(now);
        return error != QuicTransportErrorCode.NoError ? dispatcher.Fail(error, _transportParameterError ?? "handshake failed") : error;
    }

    private QuicTransportErrorCode OnDatagramFrame(scoped DatagramFrame frame)
    {
        QuicTransportErrorCode error = _datagrams.OnFrame(frame, out bool droppedOlder, out bool raiseEvent);
        if (droppedOlder)
        {
            Statistics.DatagramFramesDropped++;
        }

        if (raiseEvent)
        {
            Emit(QuicConnectionEventKind.DatagramReceived);
        }

        return error;
    }
}
