namespace Engine.Transport.Quic.Wire.Frames;

/// <summary>
/// Receives each frame of a packet from <see cref="QuicFrameParser"/>. Returning anything but
/// NoError stops the parse with that error (e.g. STREAM_STATE_ERROR found by the connection).
/// Frames that reference payload spans are scoped: they are valid only during the call.
/// </summary>
internal interface IQuicFrameVisitor
{
    QuicTransportErrorCode OnPadding(PaddingFrame frame);

    QuicTransportErrorCode OnPing();

    QuicTransportErrorCode OnAck(scoped AckFrame frame);

    QuicTransportErrorCode OnResetStream(in ResetStreamFrame frame);

    QuicTransportErrorCode OnStopSending(in StopSendingFrame frame);

    QuicTransportErrorCode OnCrypto(scoped CryptoFrame frame);

    QuicTransportErrorCode OnNewToken(scoped NewTokenFrame frame);

    QuicTransportErrorCode OnStream(scoped StreamFrame frame);

    QuicTransportErrorCode OnMaxData(in MaxDataFrame frame);

    QuicTransportErrorCode OnMaxStreamData(in MaxStreamDataFrame frame);

    QuicTransportErrorCode OnMaxStreams(in MaxStreamsFrame frame);

    QuicTransportErrorCode OnDataBlocked(in DataBlockedFrame frame);

    QuicTransportErrorCode OnStreamDataBlocked(in StreamDataBlockedFrame frame);

    QuicTransportErrorCode OnStreamsBlocked(in StreamsBlockedFrame frame);

    QuicTransportErrorCode OnNewConnectionId(scoped NewConnectionIdFrame frame);

    QuicTransportErrorCode OnRetireConnectionId(in RetireConnectionIdFrame frame);

    QuicTransportErrorCode OnPathChallenge(in PathChallengeFrame frame);

    QuicTransportErrorCode OnPathResponse(in PathResponseFrame frame);

    QuicTransportErrorCode OnConnectionClose(scoped ConnectionCloseFrame frame);

    QuicTransportErrorCode OnHandshakeDone();

    QuicTransportErrorCode OnDatagram(scoped DatagramFrame frame);
}
