using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Streams;

/// <summary>
/// QUIC streams and flow control (RFC 9000 §2–4) without I/O. The connection feeds it the
/// stream-related frames it parses (the <c>On*</c> methods, which never throw on peer input and
/// return the transport error to close with), asks it for frames when building 1-RTT packets
/// (<see cref="WriteFrames"/>), and reports each written frame's fate (<see cref="OnFrameAcked"/>,
/// <see cref="OnFrameLost"/>). The application opens, writes, reads, resets and stops streams and
/// learns of changes through <see cref="TryDequeueEvent"/>.
/// <para>
/// Bounds: peer streams are limited by the MAX_STREAMS we advertise (raised by one for each
/// peer stream released), each receive buffer by the stream window we advertise, each send buffer
/// by <see cref="StreamManagerOptions.SendBufferCapacity"/>, and the event and frame queues hold
/// each stream at most once per kind.
/// </para>
/// <para>
/// A stream is released (forgotten, its id then unknown to the application API) when both parts
/// are terminal: sending is DataRecvd or ResetRecvd, receiving is DataRead (the application read
/// to the FIN) or ResetRead (the application dequeued <see cref="StreamEventKind.PeerReset"/>). A
/// bidirectional stream therefore needs the application to end or reset its sending part too.
/// </para>
/// Not thread-safe: the connection serializes calls.
/// </summary>
internal sealed partial class StreamManager
{
    private readonly bool _isServer;
    private readonly StreamManagerOptions _options;
    private readonly Dictionary<ulong, StreamRecord> _streams = [];
    private readonly ConnectionFlowControl _flow;
    private readonly Queue<StreamEvent> _events = new();
    private bool _streamsAvailableQueued;
    private readonly bool[] _openRefused = new bool[4]; // per stream type: an open was refused since the limit last rose
    private readonly Queue<StreamRecord> _controlQueue = new();
    private readonly Queue<StreamRecord> _retransmitQueue = new();
    private readonly Queue<StreamRecord> _sendQueue = new();

    // Indexed by stream type (the id's low two bits). For our types: streams opened, the peer's
    // MAX_STREAMS, STREAMS_BLOCKED queued. For the peer's types: streams opened (highest index
    // + 1), our advertised MAX_STREAMS, MAX_STREAMS queued.
    private readonly ulong[] _opened = new ulong[4];
    private readonly ulong[] _streamLimit = new ulong[4];
    private readonly bool[] _pendingStreamsFrame = new bool[4];
    private readonly ulong[] _streamsBlockedReportedAt = [ulong.MaxValue, ulong.MaxValue, ulong.MaxValue, ulong.MaxValue];

    private ulong _peerInitialBidiLocal;
    private ulong _peerInitialBidiRemote;
    private ulong _peerInitialUni;
    private bool _pendingMaxData;
    private bool _pendingDataBlocked;

    public StreamManager(bool isServer, StreamManagerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _isServer = isServer;
        _options = options;
        _flow = new ConnectionFlowControl(options.InitialMaxData);
        _streamLimit[PeerType(bidirectional: true)] = options.MaxStreamsBidi;
        _streamLimit[PeerType(bidirectional: false)] = options.MaxStreamsUni;
    }

    /// <summary>Whether an event is queued (it may still turn out stale when taken).</summary>
    public bool HasPendingEvents => _events.Count > 0;

    /// <summary>Streams held (opened and not yet released).</summary>
    public int OpenStreamCount => _streams.Count;

    /// <summary>Takes the peer's limits on our sending and stream opening. Limits only ever rise.</summary>
    public void ApplyPeerTransportParameters(TransportParameters peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        _flow.PeerMaxData = Math.Max(_flow.PeerMaxData, peer.InitialMaxData);
        _peerInitialBidiLocal = peer.InitialMaxStreamDataBidiLocal;
        _peerInitialBidiRemote = peer.InitialMaxStreamDataBidiRemote;
        _peerInitialUni = peer.InitialMaxStreamDataUni;
        int bidi = LocalType(bidirectional: true);
        int uni = LocalType(bidirectional: false);
        RaiseStreamLimit(bidi, Math.Min(peer.InitialMaxStreamsBidi, QuicFrameReading.MaxStreamCount));
        RaiseStreamLimit(uni, Math.Min(peer.InitialMaxStreamsUni, QuicFrameReading.MaxStreamCount));
        foreach (StreamRecord stream in _streams.Values)
        {
            if (stream.Send is not null)
            {
                stream.PeerMaxStreamData = Math.Max(stream.PeerMaxStreamData, PeerInitialMaxStreamData(stream.Id));
                EnqueueSendIfReady(stream);
            }
        }
    }

    /// <summary>
    /// Opens our next stream of the given direction. False when the peer's MAX_STREAMS is
    /// reached; a STREAMS_BLOCKED is then queued (once per limit).
    /// </summary>
    public bool TryOpenStream(bool bidirectional, out long streamId)
    {
        int type = LocalType(bidirectional);
        if (_opened[type] >= _streamLimit[type])
        {
            if (_streamsBlockedReportedAt[type] != _streamLimit[type])
            {
                _streamsBlockedReportedAt[type] = _streamLimit[type];
                _pendingStreamsFrame[type] = true;
            }

            _openRefused[type] = true;
            streamId = -1;
            return false;
        }

        ulong id = StreamId.Make(_opened[type]++, _isServer, bidirectional);
        CreateStream(id);
        streamId = (long)id;
        return true;
    }

    /// <summary>
    /// Buffers up to the free send-buffer space and returns the bytes accepted; a
    /// <see cref="StreamEventKind.Writable"/> event follows when a short write can continue.
    /// <paramref name="fin"/> ends the stream only if every byte was accepted. Returns 0 once our
    /// sending part was reset (by us, or for the peer's STOP_SENDING).
    /// </summary>
    /// <exception cref="ArgumentException">Unknown (never opened or released) stream.</exception>
    /// <exception cref="InvalidOperationException">A receive-only stream, or the stream was already ended.</exception>
    public int Write(long streamId, ReadOnlySpan<byte> data, bool fin)
    {
        StreamRecord stream = GetStream(streamId);
        SendBuffer send = stream.Send
            ?? throw new InvalidOperationException($"Stream {streamId} is the peer's unidirectional stream: it is receive-only.");
        if (stream.SendState.IsReset())
        {
            return 0;
        }

        if (send.FinWritten)
        {
            throw new InvalidOperationException($"Stream {streamId} was already ended (FIN written); no more data can be written.");
        }

        int accepted = send.Write(data, fin);
        if (accepted < data.Length)
        {
            stream.WantsWritable = true;
        }

        EnqueueSendIfReady(stream);
        return accepted;
    }

    /// <summary>
    /// Copies readable bytes into <paramref name="destination"/>. <paramref name="finished"/> is
    /// true once everything up to the FIN has been read (the receiving part is then done), and
    /// also after the peer reset the stream or we stopped reading it (0 bytes are returned then).
    /// Reading frees flow-control credit: see <see cref="FlowControl"/> for when MAX_STREAM_DATA
    /// and MAX_DATA are queued.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown (never opened or released) stream.</exception>
    /// <exception cref="InvalidOperationException">A send-only stream.</exception>
    public int Read(long streamId, Span<byte> destination, out bool finished)
    {
        StreamRecord stream = GetStream(streamId);
        ReceiveBuffer receive = stream.Receive
            ?? throw new InvalidOperationException($"Stream {streamId} is our unidirectional stream: it is send-only.");
        if (stream.ReceiveState.IsReset() || stream.ReceiveAbandoned)
        {
            finished = true;
            return 0;
        }

        int count = receive.Read(destination);
        if (count > 0)
        {
            OnConsumed(stream, (ulong)count);
        }

        finished = receive.IsFinished;
        if (finished && stream.ReceiveState != ReceiveStreamState.DataRead)
        {
            stream.ReceiveState = ReceiveStreamState.DataRead;
            TryRelease(stream);
        }

        return count;
    }

    /// <summary>Abruptly ends our sending part (RESET_STREAM); unsent data is dropped. No-op when already reset or fully acknowledged.</summary>
    /// <exception cref="ArgumentException">Unknown stream.</exception>
    /// <exception cref="InvalidOperationException">A receive-only stream.</exception>
    public void ResetStream(long streamId, ulong errorCode)
    {
        StreamRecord stream = GetStream(streamId);
        if (stream.Send is null)
        {
            throw new InvalidOperationException($"Stream {streamId} is the peer's unidirectional stream: there is no sending part to reset.");
        }

        if (!stream.SendState.IsReset() && stream.SendState != SendStreamState.DataRecvd)
        {
            ResetSendingPart(stream, errorCode);
        }
    }

    /// <summary>
    /// Asks the peer to stop sending (STOP_SENDING). Buffered and later data is discarded (its
    /// credit returned); the receiving part completes when the peer resets or finishes the stream.
    /// No-op when the receiving part is already complete or reset.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown stream.</exception>
    /// <exception cref="InvalidOperationException">A send-only stream.</exception>
    public void StopSending(long streamId, ulong errorCode)
    {
        StreamRecord stream = GetStream(streamId);
        ReceiveBuffer receive = stream.Receive
            ?? throw new InvalidOperationException($"Stream {streamId} is our unidirectional stream: there is no receiving part to stop.");
        if (!stream.ReceiveState.IsReceiving() || stream.ReceiveAbandoned)
        {
            return;
        }

        stream.ReceiveAbandoned = true;
        stream.StopSendingErrorCode = errorCode;
        stream.PendingStopSending = true;
        stream.PendingMaxStreamData = false;
        EnqueueControl(stream);
        DiscardReceived(stream, receive);
    }

    /// <summary>
    /// The next stream event. Readable/Writable are coalesced (at most one queued per stream) and
    /// dropped when stale; dequeuing <see cref="StreamEventKind.PeerReset"/> completes the
    /// receiving part. The queue holds at most a few events per stream.
    /// </summary>
    public bool TryDequeueEvent(out StreamEvent streamEvent)
    {
        while (_events.TryDequeue(out streamEvent))
        {
            _streams.TryGetValue((ulong)streamEvent.StreamId, out StreamRecord? stream);
            switch (streamEvent.Kind)
            {
                case StreamEventKind.Readable:
                    if (stream is null)
                    {
                        continue;
                    }

                    stream.ReadableQueued = false;
                    if (!HasReadProgress(stream))
                    {
                        continue;
                    }

                    return true;
                case StreamEventKind.Writable:
                    if (stream is null)
                    {
                        continue;
                    }

                    stream.WritableQueued = false;
                    if (stream.SendState.IsReset() || stream.Send is null || stream.Send.FinWritten)
                    {
                        continue;
                    }

                    return true;
                case StreamEventKind.StreamsAvailable:
                    _streamsAvailableQueued = false;
                    return true;
                case StreamEventKind.PeerReset:
                    if (stream is not null && stream.ReceiveState == ReceiveStreamState.ResetRecvd)
                    {
                        stream.ReceiveState = ReceiveStreamState.ResetRead;
                        TryRelease(stream);
                    }

                    return true;
                default:
                    return true;
            }
        }

        return false;
    }

    /// <summary>True while the stream is tracked (not yet released after both directions ended).</summary>
    public bool IsOpen(long streamId) => streamId >= 0 && _streams.ContainsKey((ulong)streamId);

    private StreamRecord GetStream(long streamId)
    {
        if (streamId < 0 || !_streams.TryGetValue((ulong)streamId, out StreamRecord? stream))
        {
            throw new ArgumentException($"Stream {streamId} is not open (never opened, or already closed and released).", nameof(streamId));
        }

        return stream;
    }

    private int LocalType(bool bidirectional) => (_isServer ? 1 : 0) | (bidirectional ? 0 : 2);

    private int PeerType(bool bidirectional) => (_isServer ? 0 : 1) | (bidirectional ? 0 : 2);

    private ulong PeerInitialMaxStreamData(ulong id)
    {
        if (!StreamId.IsBidirectional(id))
        {
            return StreamId.IsLocal(id, _isServer) ? _peerInitialUni : 0;
        }

        // The peer's "bidi local" covers streams it opened; its "bidi remote" covers ours.
        return StreamId.IsLocal(id, _isServer) ? _peerInitialBidiRemote : _peerInitialBidiLocal;
    }

    private ulong LocalReceiveWindow(ulong id)
    {
        if (!StreamId.IsBidirectional(id))
        {
            return _options.InitialMaxStreamDataUni;
        }

        return StreamId.IsLocal(id, _isServer) ? _options.InitialMaxStreamDataBidiLocal : _options.InitialMaxStreamDataBidiRemote;
    }

    private StreamRecord CreateStream(ulong id)
    {
        var stream = new StreamRecord(id, _isServer, _options.SendBufferCapacity, LocalReceiveWindow(id), PeerInitialMaxStreamData(id));
        _streams.Add(id, stream);
        return stream;
    }

    /// <summary>Forgets a stream whose parts are both terminal; a peer stream returns its MAX_STREAMS credit.</summary>
    private void TryRelease(StreamRecord stream)
    {
        if (stream.Released || !stream.IsClosed)
        {
            return;
        }

        stream.Released = true;
        stream.Send?.Release();
        stream.Receive?.Release();
        stream.PendingMaxStreamData = false;
        stream.PendingStreamDataBlocked = false;
        stream.PendingStopSending = false;
        _streams.Remove(stream.Id);
        if (!StreamId.IsLocal(stream.Id, _isServer))
        {
            int type = StreamId.Type(stream.Id);
            _streamLimit[type]++;
            _pendingStreamsFrame[type] = true;
        }
    }

    private void OnConsumed(StreamRecord stream, ulong count)
    {
        if (_flow.OnConsumed(count))
        {
            _pendingMaxData = true;
        }

        ReceiveBuffer receive = stream.Receive!;
        if (stream.ReceiveState == ReceiveStreamState.Recv && !stream.ReceiveAbandoned)
        {
            ulong advertised = stream.AdvertisedMaxStreamData;
            if (FlowControl.TryRaise(receive.ReadOffset, stream.ReceiveWindow, ref advertised))
            {
                stream.AdvertisedMaxStreamData = advertised;
                stream.PendingMaxStreamData = true;
                EnqueueControl(stream);
            }
        }
    }

    /// <summary>Drops readable data of a stream we stopped, and completes it once everything arrived.</summary>
    private void DiscardReceived(StreamRecord stream, ReceiveBuffer receive)
    {
        ulong discarded = receive.DiscardReadable();
        if (discarded > 0)
        {
            OnConsumed(stream, discarded);
        }

        if (receive.IsFinished && stream.ReceiveState.IsReceiving())
        {
            stream.ReceiveState = ReceiveStreamState.DataRead;
            TryRelease(stream);
        }
    }

    private static bool HasReadProgress(StreamRecord stream) =>
        stream.Receive is { } receive && !stream.ReceiveAbandoned && !stream.ReceiveState.IsReset()
        && stream.ReceiveState != ReceiveStreamState.DataRead
        && (receive.ReadableLength > 0 || receive.IsComplete);

    private void QueueReadable(StreamRecord stream)
    {
        if (!stream.ReadableQueued && HasReadProgress(stream))
        {
            stream.ReadableQueued = true;
            _events.Enqueue(new StreamEvent(StreamEventKind.Readable, (long)stream.Id, 0));
        }
    }

    private void QueueWritable(StreamRecord stream)
    {
        if (!stream.WritableQueued)
        {
            stream.WritableQueued = true;
            _events.Enqueue(new StreamEvent(StreamEventKind.Writable, (long)stream.Id, 0));
        }
    }

    /// <summary>
    /// Raises the limit on streams we may open of <paramref name="type"/>. When an open of that
    /// type was refused meanwhile, one StreamsAvailable event is queued (until taken), so a waiting
    /// opener learns of the credit without anyone polling.
    /// </summary>
    private void RaiseStreamLimit(int type, ulong maximum)
    {
        if (maximum <= _streamLimit[type])
        {
            return;
        }

        _streamLimit[type] = maximum;
        if (_openRefused[type] && !_streamsAvailableQueued)
        {
            _openRefused[type] = false;
            _streamsAvailableQueued = true;
            _events.Enqueue(new StreamEvent(StreamEventKind.StreamsAvailable, -1, 0));
        }
    }

    private void QueueEvent(StreamEventKind kind, StreamRecord stream, ulong errorCode) =>
        _events.Enqueue(new StreamEvent(kind, (long)stream.Id, errorCode));

    private void ResetSendingPart(StreamRecord stream, ulong errorCode)
    {
        SendBuffer send = stream.Send!;
        stream.SendState = SendStreamState.ResetSent;
        stream.ResetErrorCode = errorCode;
        stream.ResetFinalSize = send.SentOffset;
        stream.WantsWritable = false;
        stream.PendingStreamDataBlocked = false;
        stream.PendingResetStream = true;
        send.ClearLost();
        EnqueueControl(stream);
    }

    private void EnqueueControl(StreamRecord stream)
    {
        if (!stream.InControlQueue)
        {
            stream.InControlQueue = true;
            _controlQueue.Enqueue(stream);
        }
    }

    private void EnqueueRetransmit(StreamRecord stream)
    {
        if (!stream.InRetransmitQueue)
        {
            stream.InRetransmitQueue = true;
            _retransmitQueue.Enqueue(stream);
        }
    }

    private void EnqueueSendIfReady(StreamRecord stream)
    {
        if (!stream.InSendQueue && stream.Send is { HasUnsent: true } && !stream.SendState.IsReset())
        {
            stream.InSendQueue = true;
            _sendQueue.Enqueue(stream);
        }
    }
}
