using Engine.Transport.Coding;
using Engine.Transport.Quic.Recovery;
using Engine.Transport.Quic.Wire;
using Engine.Transport.Quic.Wire.Frames;

namespace Engine.Transport.Quic.Streams;

/// <summary>Building frames for 1-RTT packets, and the fate of frames sent.</summary>
internal sealed partial class StreamManager
{
    private enum NewDataResult
    {
        Written,
        NoRoom,
        StreamBlocked,
        ConnectionBlocked,
        Nothing,
    }

    /// <summary>Whether <see cref="WriteFrames"/> has anything to write (given room for it).</summary>
    public bool HasDataToSend
    {
        get
        {
            if (_pendingMaxData || _pendingDataBlocked
                || _pendingStreamsFrame[0] || _pendingStreamsFrame[1] || _pendingStreamsFrame[2] || _pendingStreamsFrame[3])
            {
                return true;
            }

            foreach (StreamRecord stream in _controlQueue)
            {
                if (!stream.Released && stream.HasPendingControl)
                {
                    return true;
                }
            }

            foreach (StreamRecord stream in _retransmitQueue)
            {
                if (!stream.Released && stream.HasRetransmission)
                {
                    return true;
                }
            }

            foreach (StreamRecord stream in _sendQueue)
            {
                if (CanMakeSendProgress(stream))
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Writes frames into the rest of the packet: control frames (MAX_DATA, MAX_STREAMS,
    /// *_BLOCKED, RESET_STREAM, STOP_SENDING, MAX_STREAM_DATA), then retransmissions of lost
    /// stream data, then new stream data one frame per stream in turn. STREAM frames always carry
    /// a length so the connection may append more frames. Only frames that fit are written; each
    /// is added to <paramref name="sentFrames"/>.
    /// </summary>
    public void WriteFrames(ref SpanWriter writer, List<SentFrame> sentFrames)
    {
        ArgumentNullException.ThrowIfNull(sentFrames);
        WriteControlFrames(ref writer, sentFrames);
        WriteRetransmissions(ref writer, sentFrames);
        WriteNewData(ref writer, sentFrames);

        // Sending may have run into a limit: report it in this packet if there is room.
        WriteControlFrames(ref writer, sentFrames);
    }

    /// <summary>A frame from a packet the peer acknowledged.</summary>
    public void OnFrameAcked(in SentFrame frame)
    {
        switch (frame.Kind)
        {
            case SentFrameKind.Stream:
                if (_streams.TryGetValue(frame.StreamId, out StreamRecord? stream) && stream.Send is { } send && !stream.SendState.IsReset())
                {
                    bool freed = send.OnAcked(frame.Offset, frame.Length, frame.Fin);
                    if (freed && stream.WantsWritable && send.FreeSpace > 0)
                    {
                        stream.WantsWritable = false;
                        QueueWritable(stream);
                    }

                    if (stream.SendState == SendStreamState.DataSent && send.IsAllAcked)
                    {
                        stream.SendState = SendStreamState.DataRecvd;
                        QueueEvent(StreamEventKind.Finished, stream, 0);
                        TryRelease(stream);
                    }
                }

                break;
            case SentFrameKind.ResetStream:
                if (_streams.TryGetValue(frame.StreamId, out stream) && stream.SendState == SendStreamState.ResetSent)
                {
                    stream.SendState = SendStreamState.ResetRecvd;
                    stream.PendingResetStream = false;
                    TryRelease(stream);
                }

                break;
        }
    }

    /// <summary>
    /// A frame from a packet declared lost. Stream data is retransmitted unless the stream was
    /// reset; RESET_STREAM and STOP_SENDING are sent again while still relevant; MAX_DATA,
    /// MAX_STREAM_DATA and MAX_STREAMS are sent again (with the current value) only when no
    /// larger value was sent since; *_BLOCKED again only while still blocked at that limit.
    /// </summary>
    public void OnFrameLost(in SentFrame frame)
    {
        StreamRecord? stream;
        switch (frame.Kind)
        {
            case SentFrameKind.Stream:
                if (_streams.TryGetValue(frame.StreamId, out stream) && stream.Send is { } send && !stream.SendState.IsReset())
                {
                    send.OnLost(frame.Offset, frame.Length, frame.Fin);
                    if (stream.HasRetransmission)
                    {
                        EnqueueRetransmit(stream);
                    }
                }

                break;
            case SentFrameKind.ResetStream:
                if (_streams.TryGetValue(frame.StreamId, out stream) && stream.SendState == SendStreamState.ResetSent)
                {
                    stream.PendingResetStream = true;
                    EnqueueControl(stream);
                }

                break;
            case SentFrameKind.StopSending:
                if (_streams.TryGetValue(frame.StreamId, out stream) && stream.ReceiveAbandoned && stream.ReceiveState.IsReceiving())
                {
                    stream.PendingStopSending = true;
                    EnqueueControl(stream);
                }

                break;
            case SentFrameKind.MaxData:
                _pendingMaxData |= frame.Offset == _flow.LocalMaxData;
                break;
            case SentFrameKind.MaxStreamData:
                if (_streams.TryGetValue(frame.StreamId, out stream) && stream.ReceiveState == ReceiveStreamState.Recv
                    && !stream.ReceiveAbandoned && frame.Offset == stream.AdvertisedMaxStreamData)
                {
                    stream.PendingMaxStreamData = true;
                    EnqueueControl(stream);
                }

                break;
            case SentFrameKind.MaxStreamsBidi or SentFrameKind.MaxStreamsUni:
                int peerType = PeerType(frame.Kind == SentFrameKind.MaxStreamsBidi);
                _pendingStreamsFrame[peerType] |= frame.Offset == _streamLimit[peerType];
                break;
            case SentFrameKind.DataBlocked:
                _pendingDataBlocked |= frame.Offset == _flow.PeerMaxData && _flow.SendCredit == 0;
                break;
            case SentFrameKind.StreamDataBlocked:
                if (_streams.TryGetValue(frame.StreamId, out stream) && IsStreamBlocked(stream) && frame.Offset == stream.PeerMaxStreamData)
                {
                    stream.PendingStreamDataBlocked = true;
                    EnqueueControl(stream);
                }

                break;
            case SentFrameKind.StreamsBlockedBidi or SentFrameKind.StreamsBlockedUni:
                int localType = LocalType(frame.Kind == SentFrameKind.StreamsBlockedBidi);
                _pendingStreamsFrame[localType] |= frame.Offset == _streamLimit[localType] && _opened[localType] >= _streamLimit[localType];
                break;
        }
    }

    private static bool IsStreamBlocked(StreamRecord stream) =>
        stream.Send is { } send && !stream.SendState.IsReset()
        && send.SentOffset < send.WrittenOffset && send.SentOffset >= stream.PeerMaxStreamData;

    private bool CanMakeSendProgress(StreamRecord stream)
    {
        if (stream.Released || stream.Send is not { HasUnsent: true } send || stream.SendState.IsReset())
        {
            return false;
        }

        if (send.SentOffset == send.WrittenOffset)
        {
            return true; // a FIN alone needs no credit
        }

        if (send.SentOffset >= stream.PeerMaxStreamData)
        {
            return stream.BlockedReportedAt != stream.PeerMaxStreamData; // a STREAM_DATA_BLOCKED to send
        }

        return _flow.SendCredit > 0 || _flow.DataBlockedReportedAt != _flow.PeerMaxData;
    }

    private void WriteControlFrames(ref SpanWriter writer, List<SentFrame> sent)
    {
        if (_pendingMaxData && TryWrite(ref writer, new MaxDataFrame(_flow.LocalMaxData)))
        {
            _pendingMaxData = false;
            sent.Add(SentFrame.WithValue(SentFrameKind.MaxData, _flow.LocalMaxData));
        }

        for (int type = 0; type < 4; type++)
        {
            if (!_pendingStreamsFrame[type])
            {
                continue;
            }

            bool bidirectional = (type & 2) == 0;
            ulong value = Math.Min(_streamLimit[type], QuicFrameReading.MaxStreamCount);
            bool written = StreamId.IsLocal((ulong)type, _isServer)
                ? TryWrite(ref writer, new StreamsBlockedFrame(bidirectional, value))
                : TryWrite(ref writer, new MaxStreamsFrame(bidirectional, value));
            if (written)
            {
                _pendingStreamsFrame[type] = false;
                SentFrameKind kind = StreamId.IsLocal((ulong)type, _isServer)
                    ? (bidirectional ? SentFrameKind.StreamsBlockedBidi : SentFrameKind.StreamsBlockedUni)
                    : (bidirectional ? SentFrameKind.MaxStreamsBidi : SentFrameKind.MaxStreamsUni);
                sent.Add(SentFrame.WithValue(kind, value));
            }
        }

        if (_pendingDataBlocked && TryWrite(ref writer, new DataBlockedFrame(_flow.PeerMaxData)))
        {
            _pendingDataBlocked = false;
            sent.Add(SentFrame.WithValue(SentFrameKind.DataBlocked, _flow.PeerMaxData));
        }

        for (int n = _controlQueue.Count; n > 0 && _controlQueue.TryDequeue(out StreamRecord? stream); n--)
        {
            stream.InControlQueue = false;
            if (stream.Released)
            {
                continue;
            }

            WriteStreamControlFrames(ref writer, stream, sent);
            if (stream.HasPendingControl)
            {
                EnqueueControl(stream);
            }
        }
    }

    private static void WriteStreamControlFrames(ref SpanWriter writer, StreamRecord stream, List<SentFrame> sent)
    {
        ulong id = stream.Id;
        if (stream.PendingResetStream
            && TryWrite(ref writer, new ResetStreamFrame(id, stream.ResetErrorCode, stream.ResetFinalSize)))
        {
            stream.PendingResetStream = false;
            sent.Add(new SentFrame(SentFrameKind.ResetStream, id, stream.ResetFinalSize, 0, false));
        }

        if (stream.PendingStopSending && TryWrite(ref writer, new StopSendingFrame(id, stream.StopSendingErrorCode)))
        {
            stream.PendingStopSending = false;
            sent.Add(new SentFrame(SentFrameKind.StopSending, id, stream.StopSendingErrorCode, 0, false));
        }

        if (stream.PendingMaxStreamData)
        {
            if (stream.ReceiveState != ReceiveStreamState.Recv || stream.ReceiveAbandoned)
            {
                stream.PendingMaxStreamData = false;
            }
            else if (TryWrite(ref writer, new MaxStreamDataFrame(id, stream.AdvertisedMaxStreamData)))
            {
                stream.PendingMaxStreamData = false;
                sent.Add(new SentFrame(SentFrameKind.MaxStreamData, id, stream.AdvertisedMaxStreamData, 0, false));
            }
        }

        if (stream.PendingStreamDataBlocked)
        {
            if (!IsStreamBlocked(stream))
            {
                stream.PendingStreamDataBlocked = false;
            }
            else if (TryWrite(ref writer, new StreamDataBlockedFrame(id, stream.PeerMaxStreamData)))
            {
                stream.PendingStreamDataBlocked = false;
                sent.Add(new SentFrame(SentFrameKind.StreamDataBlocked, id, stream.PeerMaxStreamData, 0, false));
            }
        }
    }

    private void WriteRetransmissions(ref SpanWriter writer, List<SentFrame> sent)
    {
        for (int n = _retransmitQueue.Count; n > 0 && _retransmitQueue.TryPeek(out StreamRecord? stream); n--)
        {
            if (!stream.Released && stream.HasRetransmission)
            {
                while (stream.HasRetransmission && TryWriteRetransmission(ref writer, stream, sent))
                {
                }

                if (stream.HasRetransmission)
                {
                    return; // out of room: this stream goes first next time
                }
            }

            _retransmitQueue.Dequeue();
            stream.InRetransmitQueue = false;
        }
    }

    private static bool TryWriteRetransmission(ref SpanWriter writer, StreamRecord stream, List<SentFrame> sent)
    {
        SendBuffer send = stream.Send!;
        if (!send.TryPeekLost(int.MaxValue, out ulong offset, out _, out _))
        {
            return false;
        }

        int room = MaxStreamFrameData(stream.Id, offset, writer.Remaining);
        if (room < 0 || !send.TryPeekLost(room, out offset, out ReadOnlySpan<byte> data, out bool fin))
        {
            return false;
        }

        new StreamFrame(stream.Id, offset, data, fin).Write(ref writer);
        send.OnRetransmitted(offset, data.Length, fin);
        sent.Add(new SentFrame(SentFrameKind.Stream, stream.Id, offset, data.Length, fin));
        return true;
    }

    private void WriteNewData(ref SpanWriter writer, List<SentFrame> sent)
    {
        int failures = 0;
        while (_sendQueue.Count > 0 && failures < _sendQueue.Count && _sendQueue.TryPeek(out StreamRecord? stream))
        {
            NewDataResult result = stream.Released || stream.SendState.IsReset() || stream.Send is not { HasUnsent: true }
                ? NewDataResult.Nothing
                : TryWriteNewData(ref writer, stream, sent);
            if (result == NewDataResult.NoRoom)
            {
                return; // this stream keeps its turn
            }

            _sendQueue.Dequeue();
            stream.InSendQueue = false;
            switch (result)
            {
                case NewDataResult.Written:
                    failures = 0;
                    EnqueueSendIfReady(stream); // to the back: round-robin
                    break;
                case NewDataResult.ConnectionBlocked:
                    failures++;
                    EnqueueSendIfReady(stream);
                    break;

                    // StreamBlocked: MAX_STREAM_DATA puts the stream back. Nothing: done.
            }
        }
    }

    private NewDataResult TryWriteNewData(ref SpanWriter writer, StreamRecord stream, List<SentFrame> sent)
    {
        SendBuffer send = stream.Send!;
        ulong offset = send.SentOffset;
        ulong unsent = send.WrittenOffset - offset;
        ulong streamCredit = stream.PeerMaxStreamData > offset ? stream.PeerMaxStreamData - offset : 0;
        if (unsent > 0 && streamCredit == 0)
        {
            ReportStreamBlocked(stream);
            return NewDataResult.StreamBlocked;
        }

        if (unsent > 0 && _flow.SendCredit == 0)
        {
            ReportDataBlocked();
            return NewDataResult.ConnectionBlocked;
        }

        int room = MaxStreamFrameData(stream.Id, offset, writer.Remaining);
        if (room < 0 || (room == 0 && unsent > 0))
        {
            return NewDataResult.NoRoom;
        }

        int limit = (int)Math.Min((ulong)room, Math.Min(streamCredit, _flow.SendCredit));
        if (!send.TryPeekUnsent(limit, out offset, out ReadOnlySpan<byte> data, out bool fin))
        {
            return NewDataResult.Nothing;
        }

        new StreamFrame(stream.Id, offset, data, fin).Write(ref writer);
        send.OnSent(data.Length, fin);
        _flow.Sent += (ulong)data.Length;
        sent.Add(new SentFrame(SentFrameKind.Stream, stream.Id, offset, data.Length, fin));
        if (stream.SendState == SendStreamState.Ready)
        {
            stream.SendState = SendStreamState.Send;
        }

        if (fin)
        {
            stream.SendState = SendStreamState.DataSent;
        }
        else if (send.SentOffset < send.WrittenOffset)
        {
            // Stopped short of the data written: note the limit now if one was hit.
            if (send.SentOffset >= stream.PeerMaxStreamData)
            {
                ReportStreamBlocked(stream);
            }
            else if (_flow.SendCredit == 0)
            {
                ReportDataBlocked();
            }
        }

        return NewDataResult.Written;
    }

    private void ReportStreamBlocked(StreamRecord stream)
    {
        if (stream.BlockedReportedAt != stream.PeerMaxStreamData)
        {
            stream.BlockedReportedAt = stream.PeerMaxStreamData;
            stream.PendingStreamDataBlocked = true;
            EnqueueControl(stream);
        }
    }

    private void ReportDataBlocked()
    {
        if (_flow.DataBlockedReportedAt != _flow.PeerMaxData)
        {
            _flow.DataBlockedReportedAt = _flow.PeerMaxData;
            _pendingDataBlocked = true;
        }
    }

    /// <summary>Data bytes a STREAM frame (with length) at <paramref name="offset"/> can carry in <paramref name="room"/> bytes; negative when not even the header fits.</summary>
    private static int MaxStreamFrameData(ulong id, ulong offset, int room) =>
        room - StreamFrame.GetHeaderLength(id, offset, Math.Max(room, 0), hasLength: true);

    private static bool TryWrite<TFrame>(ref SpanWriter writer, in TFrame frame)
        where TFrame : struct, IQuicFrame
    {
        if (frame.GetLength() > writer.Remaining)
        {
            return false;
        }

        frame.Write(ref writer);
        return true;
    }
}
