using System.Diagnostics.CodeAnalysis;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Streams;

/// <summary>Stream-related frames from the peer. None throws: a violation returns the transport error.</summary>
internal sealed partial class StreamManager
{
    /// <summary>STREAM (RFC 9000 §19.8).</summary>
    public QuicTransportErrorCode OnStreamFrame(ulong streamId, ulong offset, ReadOnlySpan<byte> data, bool fin)
    {
        if (!StreamId.CanReceive(streamId, _isServer))
        {
            return QuicTransportErrorCode.StreamStateError; // our send-only stream
        }

        QuicTransportErrorCode error = GetOrOpenForPeerFrame(streamId, out StreamRecord? stream);
        if (error != QuicTransportErrorCode.NoError || stream is null)
        {
            return error;
        }

        ReceiveBuffer receive = stream.Receive!;
        ulong end = offset + (ulong)data.Length;
        error = receive.CheckFinalSize(end, fin);
        if (error != QuicTransportErrorCode.NoError || !stream.ReceiveState.IsReceiving())
        {
            return error; // after a reset or once complete, frames are only checked against the final size
        }

        error = CheckReceiveCredit(stream, end, out ulong newBytes);
        if (error != QuicTransportErrorCode.NoError)
        {
            return error;
        }

        error = receive.Receive(offset, data, fin);
        if (error != QuicTransportErrorCode.NoError)
        {
            return error;
        }

        _flow.Received += newBytes;
        if (fin && stream.ReceiveState == ReceiveStreamState.Recv)
        {
            stream.ReceiveState = ReceiveStreamState.SizeKnown;
            stream.PendingMaxStreamData = false; // the peer needs no more credit
        }

        if (stream.ReceiveAbandoned)
        {
            DiscardReceived(stream, receive);
            return QuicTransportErrorCode.NoError;
        }

        if (receive.IsComplete)
        {
            stream.ReceiveState = ReceiveStreamState.DataRecvd;
        }

        QueueReadable(stream);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>RESET_STREAM (RFC 9000 §19.4).</summary>
    public QuicTransportErrorCode OnResetStream(ulong streamId, ulong errorCode, ulong finalSize)
    {
        if (!StreamId.CanReceive(streamId, _isServer))
        {
            return QuicTransportErrorCode.StreamStateError;
        }

        QuicTransportErrorCode error = GetOrOpenForPeerFrame(streamId, out StreamRecord? stream);
        if (error != QuicTransportErrorCode.NoError || stream is null)
        {
            return error;
        }

        ReceiveBuffer receive = stream.Receive!;
        if (stream.ReceiveState.IsReset())
        {
            return finalSize == receive.FinalSize ? QuicTransportErrorCode.NoError : QuicTransportErrorCode.FinalSizeError;
        }

        error = receive.CheckFinalSize(finalSize, fin: true);
        if (error != QuicTransportErrorCode.NoError || !stream.ReceiveState.IsReceiving())
        {
            return error; // every byte already arrived: the reset changes nothing
        }

        error = CheckReceiveCredit(stream, finalSize, out ulong newBytes);
        if (error != QuicTransportErrorCode.NoError)
        {
            return error;
        }

        _flow.Received += newBytes;
        if (_flow.OnConsumed(receive.Reset(finalSize)))
        {
            _pendingMaxData = true;
        }

        stream.ReceiveState = ReceiveStreamState.ResetRecvd;
        stream.PendingMaxStreamData = false;
        stream.PendingStopSending = false;
        QueueEvent(StreamEventKind.PeerReset, stream, errorCode);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>STOP_SENDING (RFC 9000 §19.5): answered with RESET_STREAM carrying the same code (§3.5).</summary>
    public QuicTransportErrorCode OnStopSending(ulong streamId, ulong errorCode)
    {
        if (!StreamId.CanSend(streamId, _isServer))
        {
            return QuicTransportErrorCode.StreamStateError; // the peer's send-only stream
        }

        QuicTransportErrorCode error = GetOrOpenForPeerFrame(streamId, out StreamRecord? stream);
        if (error != QuicTransportErrorCode.NoError || stream is null)
        {
            return error;
        }

        if (!stream.SendState.IsReset() && stream.SendState != SendStreamState.DataRecvd)
        {
            ResetSendingPart(stream, errorCode);
            QueueEvent(StreamEventKind.PeerStopSending, stream, errorCode);
        }

        return QuicTransportErrorCode.NoError;
    }

    /// <summary>MAX_DATA (RFC 9000 §19.9); smaller values than known are ignored.</summary>
    public QuicTransportErrorCode OnMaxData(ulong maximum)
    {
        _flow.PeerMaxData = Math.Max(_flow.PeerMaxData, maximum);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>MAX_STREAM_DATA (RFC 9000 §19.10).</summary>
    public QuicTransportErrorCode OnMaxStreamData(ulong streamId, ulong maximum)
    {
        if (!StreamId.CanSend(streamId, _isServer))
        {
            return QuicTransportErrorCode.StreamStateError;
        }

        QuicTransportErrorCode error = GetOrOpenForPeerFrame(streamId, out StreamRecord? stream);
        if (error != QuicTransportErrorCode.NoError || stream is null)
        {
            return error;
        }

        if (maximum > stream.PeerMaxStreamData)
        {
            stream.PeerMaxStreamData = maximum;
            EnqueueSendIfReady(stream);
        }

        return QuicTransportErrorCode.NoError;
    }

    /// <summary>MAX_STREAMS (RFC 9000 §19.11): counts above 2^60 are FRAME_ENCODING_ERROR.</summary>
    public QuicTransportErrorCode OnMaxStreams(bool bidirectional, ulong maximum)
    {
        if (maximum > QuicFrameReading.MaxStreamCount)
        {
            return QuicTransportErrorCode.FrameEncodingError;
        }

        RaiseStreamLimit(LocalType(bidirectional), maximum);
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>DATA_BLOCKED (RFC 9000 §19.12): informational; credit is returned as the application reads.</summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Part of the instance frame API the connection calls.")]
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Part of the instance frame API the connection calls.")]
    public QuicTransportErrorCode OnDataBlocked(ulong limit) => QuicTransportErrorCode.NoError;

    /// <summary>STREAM_DATA_BLOCKED (RFC 9000 §19.13): checked for stream state, otherwise informational.</summary>
    public QuicTransportErrorCode OnStreamDataBlocked(ulong streamId, ulong limit)
    {
        if (!StreamId.CanReceive(streamId, _isServer))
        {
            return QuicTransportErrorCode.StreamStateError;
        }

        return GetOrOpenForPeerFrame(streamId, out _);
    }

    /// <summary>STREAMS_BLOCKED (RFC 9000 §19.14): counts above 2^60 are FRAME_ENCODING_ERROR; MAX_STREAMS is already sent as streams are released.</summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Part of the instance frame API the connection calls.")]
    public QuicTransportErrorCode OnStreamsBlocked(bool bidirectional, ulong limit) =>
        limit > QuicFrameReading.MaxStreamCount ? QuicTransportErrorCode.FrameEncodingError : QuicTransportErrorCode.NoError;

    /// <summary>
    /// The stream a peer frame names. Our own streams must have been opened (else
    /// STREAM_STATE_ERROR); the peer's streams are opened on first mention, with every
    /// lower-numbered one of the type (STREAM_LIMIT_ERROR past our MAX_STREAMS). A stream already
    /// released yields null and NoError: frames for closed streams are ignored.
    /// </summary>
    private QuicTransportErrorCode GetOrOpenForPeerFrame(ulong id, out StreamRecord? stream)
    {
        if (_streams.TryGetValue(id, out stream))
        {
            return QuicTransportErrorCode.NoError;
        }

        int type = StreamId.Type(id);
        ulong index = StreamId.Index(id);
        if (index < _opened[type])
        {
            return QuicTransportErrorCode.NoError; // closed
        }

        if (StreamId.IsLocal(id, _isServer))
        {
            return QuicTransportErrorCode.StreamStateError; // ours, never opened
        }

        if (index >= _streamLimit[type])
        {
            return QuicTransportErrorCode.StreamLimitError;
        }

        for (ulong next = _opened[type]; next <= index; next++)
        {
            stream = CreateStream((next << 2) | (uint)type);
            QueueEvent(StreamEventKind.Opened, stream, 0);
        }

        _opened[type] = index + 1;
        return QuicTransportErrorCode.NoError;
    }

    /// <summary>Stream- and connection-level limits for data ending at <paramref name="end"/>; <paramref name="newBytes"/> is what it adds to the connection's count.</summary>
    private QuicTransportErrorCode CheckReceiveCredit(StreamRecord stream, ulong end, out ulong newBytes)
    {
        ulong highest = stream.Receive!.HighestReceived;
        newBytes = end > highest ? end - highest : 0;
        if (end > stream.AdvertisedMaxStreamData || !_flow.CanReceive(newBytes))
        {
            return QuicTransportErrorCode.FlowControlError;
        }

        return QuicTransportErrorCode.NoError;
    }
}
