namespace Engine.Transport.Quic.Streams;

/// <summary>What changed on a stream, for the application.</summary>
internal enum StreamEventKind : byte
{
    /// <summary>A peer-initiated stream was seen for the first time (also for lower-numbered streams it implicitly opened).</summary>
    Opened,

    /// <summary>Data (or the end of the stream) can be read.</summary>
    Readable,

    /// <summary>A write that was cut short can now accept more bytes.</summary>
    Writable,

    /// <summary>The peer reset its sending part (RESET_STREAM); <see cref="StreamEvent.ErrorCode"/> is its code.</summary>
    PeerReset,

    /// <summary>The peer asked us to stop sending (STOP_SENDING); our sending part was reset with the same code.</summary>
    PeerStopSending,

    /// <summary>All our data, including FIN, was acknowledged.</summary>
    Finished,

    /// <summary>The peer raised a limit on the streams we may open (MAX_STREAMS or its transport parameters); <see cref="StreamEvent.StreamId"/> is -1.</summary>
    StreamsAvailable,
}

/// <summary>One stream state change; <see cref="ErrorCode"/> is the application error code for resets.</summary>
internal readonly record struct StreamEvent(StreamEventKind Kind, long StreamId, ulong ErrorCode);
