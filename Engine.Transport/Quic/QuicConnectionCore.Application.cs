using Engine.Transport.Quic.Recovery;

namespace Engine.Transport.Quic;

internal sealed partial class QuicConnectionCore
{
    /// <summary>
    /// Largest datagram payload <see cref="TrySendDatagram"/> accepts now: what fits one packet
    /// and the peer's max_datagram_frame_size; 0 when the peer does not accept DATAGRAM frames.
    /// </summary>
    public int MaxDatagramPayloadSize =>
        _datagrams.MaxPayloadSize(_path.MaxDatagramSize, _connectionIds.Remote.Length);

    /// <summary>
    /// Queues an unreliable datagram (RFC 9221). False when the handshake is not complete, the peer
    /// refuses DATAGRAM frames, or the payload is larger than <see cref="MaxDatagramPayloadSize"/>.
    /// A full queue drops its oldest datagram. Datagrams are never retransmitted.
    /// </summary>
    public bool TrySendDatagram(ReadOnlySpan<byte> payload)
    {
        if (_state != ConnectionState.Established || payload.Length > MaxDatagramPayloadSize)
        {
            return false;
        }

        _datagrams.Enqueue(payload);
        Touch();
        return true;
    }

    /// <summary>Takes the oldest received datagram into <paramref name="destination"/>; false if none (or it does not fit).</summary>
    public bool TryReceiveDatagram(Span<byte> destination, out int length) => _datagrams.TryReceive(destination, out length);

    /// <summary>Received datagrams waiting for the application.</summary>
    public int PendingDatagramCount => _datagrams.PendingReceiveCount;

    /// <summary>
    /// Sends a PING in the next 1-RTT packet. The peer must acknowledge it, so a quiet peer sends
    /// a packet in return (to keep a path warm, or to see a peer's key update without traffic).
    /// </summary>
    public void Ping()
    {
        EnsureEstablished();
        _keepAlivePending = true;
        Touch();
    }

    /// <summary>Opens a stream; false when the peer's stream limit is reached (a STREAMS_BLOCKED is then sent).</summary>
    public bool TryOpenStream(bool bidirectional, out long streamId)
    {
        EnsureEstablished();
        Touch();
        return _streams.TryOpenStream(bidirectional, out streamId);
    }

    /// <summary>Queues bytes (and optionally the FIN) on a stream; returns how many were accepted (send buffer and flow control bound it).</summary>
    public int WriteStream(long streamId, ReadOnlySpan<byte> data, bool fin)
    {
        EnsureEstablished();
        Touch();
        return _streams.Write(streamId, data, fin);
    }

    /// <summary>Reads received bytes in order; <paramref name="finished"/> turns true once everything up to the FIN has been read.</summary>
    public int ReadStream(long streamId, Span<byte> destination, out bool finished)
    {
        Touch(); // reading may raise flow-control windows
        return _streams.Read(streamId, destination, out finished);
    }

    /// <summary>True while the stream is tracked: it may still be read, written, reset or stopped.</summary>
    public bool IsStreamOpen(long streamId) => _streams.IsOpen(streamId);

    /// <summary>Abandons our sending side with an application error code (RESET_STREAM).</summary>
    public void ResetStream(long streamId, ulong errorCode)
    {
        Touch();
        _streams.ResetStream(streamId, errorCode);
    }

    /// <summary>Asks the peer to stop sending on a stream (STOP_SENDING).</summary>
    public void StopSending(long streamId, ulong errorCode)
    {
        Touch();
        _streams.StopSending(streamId, errorCode);
    }

    void ISentFrameOwner.OnFrameAcked(QuicPacketSpace space, in SentFrame frame)
    {
        switch (frame.Kind)
        {
            case SentFrameKind.Ack:
                Space(space).OnAckAcknowledged((long)frame.Offset);
                break;
            case SentFrameKind.Crypto:
                Space(space).OnCryptoAcked(frame.Offset, frame.Length);
                break;
            case SentFrameKind.Ping or SentFrameKind.Padding or SentFrameKind.Datagram or SentFrameKind.ConnectionClose or SentFrameKind.HandshakeDone:
                break;
            default:
                _streams.OnFrameAcked(in frame);
                break;
        }
    }

    void ISentFrameOwner.OnFrameLost(QuicPacketSpace space, in SentFrame frame)
    {
        switch (frame.Kind)
        {
            case SentFrameKind.Crypto:
                Space(space).OnCryptoLost(frame.Offset, frame.Length);
                break;
            case SentFrameKind.HandshakeDone:
                _handshakeDonePending = true;
                break;
            case SentFrameKind.Ack or SentFrameKind.Ping or SentFrameKind.Padding or SentFrameKind.Datagram or SentFrameKind.ConnectionClose:
                break; // ACKs are rebuilt from current state; datagrams are never retransmitted
            default:
                _streams.OnFrameLost(in frame);
                break;
        }
    }

    /// <summary>Starts a 1-RTT key update from our side (used by tests; real use waits for AEAD limits).</summary>
    internal void InitiateKeyUpdate()
    {
        _spaces.InitiateKeyUpdate(IsHandshakeConfirmed);
        Touch();
    }

    private void EnsureEstablished()
    {
        if (_state != ConnectionState.Established)
        {
            throw new InvalidOperationException(_state == ConnectionState.Handshaking
                ? "The handshake has not completed yet."
                : $"The connection is closed: {CloseInfo}");
        }
    }
}
