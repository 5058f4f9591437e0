namespace Engine.Transport.Quic.Streams;

/// <summary>
/// Everything the <see cref="StreamManager"/> keeps for one open stream: both parts' states and
/// buffers, the flow-control limits in each direction, and flags for queued frames and events
/// (each kind at most once, so queues stay bounded by the number of streams).
/// </summary>
internal sealed class StreamRecord
{
    public StreamRecord(ulong id, bool isServer, int sendCapacity, ulong receiveWindow, ulong peerMaxStreamData)
    {
        Id = id;
        if (StreamId.CanSend(id, isServer))
        {
            Send = new SendBuffer(sendCapacity);
            PeerMaxStreamData = peerMaxStreamData;
        }
        else
        {
            SendState = SendStreamState.DataRecvd; // no sending part: counts as terminal
        }

        if (StreamId.CanReceive(id, isServer))
        {
            Receive = new ReceiveBuffer((int)receiveWindow);
            ReceiveWindow = receiveWindow;
            AdvertisedMaxStreamData = receiveWindow;
        }
        else
        {
            ReceiveState = ReceiveStreamState.DataRead; // no receiving part: counts as terminal
        }
    }

    public ulong Id { get; }

    // ---- sending part ----

    /// <summary>Null for a peer's unidirectional stream.</summary>
    public SendBuffer? Send { get; }

    public SendStreamState SendState { get; set; }

    /// <summary>The peer's limit on our offsets (MAX_STREAM_DATA).</summary>
    public ulong PeerMaxStreamData { get; set; }

    /// <summary>The limit at which STREAM_DATA_BLOCKED was last queued (avoids repeating it).</summary>
    public ulong BlockedReportedAt { get; set; } = ulong.MaxValue;

    public ulong ResetErrorCode { get; set; }

    public ulong ResetFinalSize { get; set; }

    /// <summary>The application was refused room; send Writable when acknowledgments free some.</summary>
    public bool WantsWritable { get; set; }

    // ---- receiving part ----

    /// <summary>Null for our own unidirectional stream.</summary>
    public ReceiveBuffer? Receive { get; }

    public ReceiveStreamState ReceiveState { get; set; }

    public ulong ReceiveWindow { get; }

    /// <summary>Our limit on the peer's offsets, as last advertised.</summary>
    public ulong AdvertisedMaxStreamData { get; set; }

    /// <summary>We sent STOP_SENDING: received data is discarded, not delivered.</summary>
    public bool ReceiveAbandoned { get; set; }

    public ulong StopSendingErrorCode { get; set; }

    // ---- queued control frames ----

    public bool PendingResetStream { get; set; }

    public bool PendingStopSending { get; set; }

    public bool PendingMaxStreamData { get; set; }

    public bool PendingStreamDataBlocked { get; set; }

    public bool HasPendingControl => PendingResetStream || PendingStopSending || PendingMaxStreamData || PendingStreamDataBlocked;

    // ---- scheduler and event bookkeeping ----

    public bool InControlQueue { get; set; }

    public bool InRetransmitQueue { get; set; }

    public bool InSendQueue { get; set; }

    public bool ReadableQueued { get; set; }

    public bool WritableQueued { get; set; }

    /// <summary>The stream was forgotten by the manager; queue entries for it are skipped.</summary>
    public bool Released { get; set; }

    /// <summary>Both parts are terminal: the stream can be released.</summary>
    public bool IsClosed => SendState.IsTerminal() && ReceiveState.IsTerminal();

    /// <summary>Lost data or a lost FIN waits and the sending part was not reset.</summary>
    public bool HasRetransmission => Send is not null && !SendState.IsReset() && Send.HasLost;
}
