using Engine.Transport.Coding;
using Engine.Transport.Quic.Crypto;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Connection;

/// <summary>
/// The unreliable DATAGRAM extension of one connection (RFC 9221): the bounded queues in each
/// direction, both sides' frame-size limits, and whether the application has yet to be told that
/// datagrams arrived. The connection decides when frames may be sent; this decides which fit.
/// </summary>
internal sealed class DatagramState
{
    /// <summary>A 1-RTT packet's worst case around a DATAGRAM: flags byte, 4-byte packet number, AEAD tag.</summary>
    private const int ShortHeaderOverhead = 1 + 4 + QuicCipherSuites.TagLength;

    /// <summary>The DATAGRAM frame's type byte and (up to) 2-byte length.</summary>
    private const int FrameOverhead = 1 + 2;

    private readonly DatagramRing _received;
    private readonly DatagramRing _toSend;
    private readonly int _localMaxFrameSize;
    private bool _eventPending;

    public DatagramState(int localMaxFrameSize, int receiveQueueCapacity, int sendQueueCapacity)
    {
        _localMaxFrameSize = localMaxFrameSize;
        _received = new DatagramRing(receiveQueueCapacity);
        _toSend = new DatagramRing(sendQueueCapacity);
    }

    /// <summary>The peer's max_datagram_frame_size; 0 (the default) when it accepts no DATAGRAM frames.</summary>
    public int PeerMaxFrameSize { get; set; }

    /// <summary>Received datagrams waiting for the application.</summary>
    public int PendingReceiveCount => _received.Count;

    /// <summary>Datagrams queued to go out.</summary>
    public int PendingSendCount => _toSend.Count;

    /// <summary>
    /// Largest payload that fits one DATAGRAM frame in one 1-RTT packet of at most
    /// <paramref name="maxUdpPayload"/> bytes addressed by a connection ID of
    /// <paramref name="remoteConnectionIdLength"/> bytes, within the peer's frame limit; 0 when the
    /// peer does not accept DATAGRAM frames.
    /// </summary>
    public int MaxPayloadSize(int maxUdpPayload, int remoteConnectionIdLength)
    {
        if (PeerMaxFrameSize == 0)
        {
            return 0;
        }

        int packetRoom = maxUdpPayload - remoteConnectionIdLength - ShortHeaderOverhead - FrameOverhead;
        int frameRoom = PeerMaxFrameSize - FrameOverhead;
        return Math.Max(0, Math.Min(packetRoom, frameRoom));
    }

    /// <summary>Queues a copy of <paramref name="payload"/>; a full queue drops its oldest datagram.</summary>
    public void Enqueue(ReadOnlySpan<byte> payload) => _toSend.Enqueue(payload);

    /// <summary>Takes the oldest received datagram into <paramref name="destination"/>; false if none (or it does not fit).</summary>
    public bool TryReceive(Span<byte> destination, out int length) => _received.TryDequeue(destination, out length);

    /// <summary>
    /// Takes a received DATAGRAM frame. <paramref name="droppedOlder"/> tells that a full queue
    /// dropped its oldest datagram; <paramref name="raiseEvent"/> that the application has not been
    /// told of pending datagrams yet (one event per batch, so the event queue stays bounded too).
    /// </summary>
    public QuicTransportErrorCode OnFrame(scoped DatagramFrame frame, out bool droppedOlder, out bool raiseEvent)
    {
        droppedOlder = false;
        raiseEvent = false;
        if (_localMaxFrameSize == 0 || frame.GetLength() > _localMaxFrameSize)
        {
            return QuicTransportErrorCode.ProtocolViolation; // RFC 9221 §3
        }

        droppedOlder = _received.Enqueue(frame.Data);
        if (!_eventPending)
        {
            _eventPending = true;
            raiseEvent = true;
        }

        return QuicTransportErrorCode.NoError;
    }

    /// <summary>The application took the DatagramReceived event; later datagrams raise a new one.</summary>
    public void OnEventTaken() => _eventPending = false;

    /// <summary>
    /// Writes queued datagrams that fit in <paramref name="writer"/>, oldest first, recording each
    /// in <paramref name="frames"/>. One larger than <paramref name="maxPayloadSize"/> can never fit
    /// and is dropped, never split (RFC 9221 §5); one that only misses this packet waits for the next.
    /// </summary>
    public void WriteFrames(ref SpanWriter writer, List<SentFrame> frames, int maxPayloadSize)
    {
        while (_toSend.TryPeek(out ReadOnlySpan<byte> payload))
        {
            int length = DatagramFrame.GetHeaderLength(payload.Length, hasLength: true) + payload.Length;
            if (length > writer.Remaining)
            {
                if (length > maxPayloadSize + FrameOverhead)
                {
                    _toSend.Discard();
                    continue;
                }

                return;
            }

            new DatagramFrame(payload, hasLength: true).Write(ref writer);
            frames.Add(new SentFrame(SentFrameKind.Datagram, 0, 0, payload.Length, false));
            _toSend.Discard();
        }
    }
}
