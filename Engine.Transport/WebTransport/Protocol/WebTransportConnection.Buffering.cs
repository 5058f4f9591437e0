namespace Engine.Transport.WebTransport.Protocol;

/// <summary>
/// Streams and datagrams that name a session before its CONNECT is accepted (they may overtake
/// it: each QUIC stream and datagram travels on its own). Held within the limits' count, bytes and
/// lifetime; a stream that cannot be held or waits too long is refused with
/// WEBTRANSPORT_BUFFERED_STREAM_REJECTED, a datagram is dropped (the oldest first).
/// </summary>
internal sealed partial class WebTransportConnection
{
    private readonly List<BufferedStream> _bufferedStreams = [];
    private readonly LinkedList<BufferedDatagram> _bufferedDatagrams = new();
    private int _bufferedBytes;
    private byte[] _datagramBuffer = new byte[2048];

    /// <summary>Drains the QUIC datagram queue, routing each datagram to its session (or the buffer).</summary>
    public void OnDatagramsReceived(TimeSpan now)
    {
        while (true)
        {
            if (!Quic.TryReceiveDatagram(_datagramBuffer, out int length))
            {
                if (Quic.PendingDatagramCount == 0)
                {
                    return;
                }

                _datagramBuffer = new byte[Math.Max(_datagramBuffer.Length * 2, 65_536 + 16)]; // a larger datagram waits: grow once
                continue;
            }

            Counters.DatagramsReceived++;
            ReadOnlySpan<byte> datagram = _datagramBuffer.AsSpan(0, length);
            if (!WebTransportDatagram.TryReadPrefix(datagram, out long sessionId, out int offset) || length - offset > Limits.MaxDatagramPayload)
            {
                Counters.DatagramsDropped++;
                continue;
            }

            if (_sessions.TryGetValue(sessionId, out WebTransportSessionCore? session))
            {
                session.OnDatagram(datagram[offset..]);
            }
            else if (_endedSessions.Contains(sessionId) || !WebTransportStreamSignal.IsValidSessionId(sessionId))
            {
                Counters.DatagramsDropped++; // for a closed or impossible session
            }
            else
            {
                BufferDatagram(sessionId, datagram[offset..], now);
            }
        }
    }

    /// <summary>Refuses buffered streams and drops buffered datagrams that waited longer than the limit; forgets released streams.</summary>
    public void Expire(TimeSpan now)
    {
        TimeSpan cutoff = now - Limits.BufferedLifetime;
        for (int i = _bufferedStreams.Count - 1; i >= 0; i--)
        {
            if (_bufferedStreams[i].ArrivedAt <= cutoff)
            {
                BufferedStream expired = _bufferedStreams[i];
                RemoveBufferedAt(i);
                Counters.StreamsRefused++;
                Refuse(expired.StreamId, WebTransportErrorCodes.BufferedStreamRejected);
            }
        }

        while (_bufferedDatagrams.First is { } first && first.Value.ArrivedAt <= cutoff)
        {
            RemoveDatagram(first);
            Counters.DatagramsDropped++;
        }

        PruneRetired();
    }

    private bool IsBuffered(long streamId)
    {
        foreach (BufferedStream stream in _bufferedStreams)
        {
            if (stream.StreamId == streamId)
            {
                return true;
            }
        }

        return false;
    }

    private void BufferStream(long streamId, long sessionId, ReadOnlySpan<byte> leftover, bool finished, TimeSpan now)
    {
        if (_bufferedStreams.Count >= Limits.MaxBufferedStreams || _bufferedBytes + leftover.Length > Limits.MaxBufferedBytes)
        {
            Counters.StreamsRefused++;
            Refuse(streamId, WebTransportErrorCodes.BufferedStreamRejected);
            return;
        }

        // Only what was already read is held; the rest waits in QUIC, bounded by its flow control.
        _bufferedStreams.Add(new BufferedStream(streamId, sessionId, leftover.ToArray(), finished, now));
        _bufferedBytes += leftover.Length;
        Counters.StreamsBuffered++;
    }

    private void BufferDatagram(long sessionId, ReadOnlySpan<byte> payload, TimeSpan now)
    {
        if (Limits.MaxBufferedDatagrams == 0 || payload.Length > Limits.MaxBufferedBytes)
        {
            Counters.DatagramsDropped++;
            return;
        }

        while (_bufferedDatagrams.Count >= Limits.MaxBufferedDatagrams || _bufferedBytes + payload.Length > Limits.MaxBufferedBytes)
        {
            if (_bufferedDatagrams.First is not { } oldest)
            {
                Counters.DatagramsDropped++; // the byte budget is held by streams
                return;
            }

            RemoveDatagram(oldest);
            Counters.DatagramsDropped++;
        }

        _bufferedDatagrams.AddLast(new BufferedDatagram(sessionId, payload.ToArray(), now));
        _bufferedBytes += payload.Length;
        Counters.DatagramsBuffered++;
    }

    private void DeliverBuffered(WebTransportSessionCore session, TimeSpan now)
    {
        for (int i = 0; i < _bufferedStreams.Count && !session.IsClosed;)
        {
            BufferedStream stream = _bufferedStreams[i];
            if (stream.SessionId != session.SessionId)
            {
                i++;
                continue;
            }

            RemoveBufferedAt(i);
            OnStreamHeader(stream.StreamId, stream.SessionId, stream.Data, stream.Finished, now);
        }

        for (LinkedListNode<BufferedDatagram>? node = _bufferedDatagrams.First; node is not null && !session.IsClosed;)
        {
            LinkedListNode<BufferedDatagram>? next = node.Next;
            if (node.Value.SessionId == session.SessionId)
            {
                RemoveDatagram(node);
                session.OnDatagram(node.Value.Payload);
            }

            node = next;
        }
    }

    private void RefuseBufferedFor(long sessionId)
    {
        for (int i = _bufferedStreams.Count - 1; i >= 0; i--)
        {
            if (_bufferedStreams[i].SessionId == sessionId)
            {
                long streamId = _bufferedStreams[i].StreamId;
                RemoveBufferedAt(i);
                Counters.StreamsRefused++;
                Refuse(streamId, WebTransportErrorCodes.SessionGone);
            }
        }

        for (LinkedListNode<BufferedDatagram>? node = _bufferedDatagrams.First; node is not null;)
        {
            LinkedListNode<BufferedDatagram>? next = node.Next;
            if (node.Value.SessionId == sessionId)
            {
                RemoveDatagram(node);
                Counters.DatagramsDropped++;
            }

            node = next;
        }
    }

    private void RemoveBuffered(long streamId)
    {
        int index = _bufferedStreams.FindIndex(s => s.StreamId == streamId);
        if (index >= 0)
        {
            RemoveBufferedAt(index);
        }
    }

    private void RemoveBufferedAt(int index)
    {
        _bufferedBytes -= _bufferedStreams[index].Data.Length;
        _bufferedStreams.RemoveAt(index);
    }

    private void RemoveDatagram(LinkedListNode<BufferedDatagram> node)
    {
        _bufferedBytes -= node.Value.Payload.Length;
        _bufferedDatagrams.Remove(node);
    }

    private void ClearBuffers()
    {
        _bufferedStreams.Clear();
        _bufferedDatagrams.Clear();
        _bufferedBytes = 0;
        _headers.Clear();
    }

    private sealed record BufferedStream(long StreamId, long SessionId, byte[] Data, bool Finished, TimeSpan ArrivedAt);

    private sealed record BufferedDatagram(long SessionId, byte[] Payload, TimeSpan ArrivedAt);
}
