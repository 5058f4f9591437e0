namespace Engine.Transport.Http3;

/// <summary>The client's unidirectional streams, classified and checked by <see cref="Http3PeerUniStreams"/>.</summary>
internal sealed partial class Http3ServerConnection
{
    private readonly Http3PeerUniStreams _uniStreams = new(peerIsClient: true);

    private void ReadUniStream(long streamId, TimeSpan now)
    {
        while (!_connection.IsClosing)
        {
            int read = _connection.ReadStream(streamId, _readBuffer, out bool finished);
            ReadOnlySpan<byte> data = _readBuffer.AsSpan(0, read);
            switch (_uniStreams.Read(streamId, ref data, finished, out Http3StreamType type, out Http3ErrorCode error))
            {
                case Http3UniStreamStatus.ConnectionError:
                    CloseConnection((ulong)error, error == Http3ErrorCode.ClosedCriticalStream ? "the client ended a critical stream" : "a forbidden or second critical stream", now);
                    return;
                case Http3UniStreamStatus.WebTransport when _extension is { } extension:
                    extension.OnUnidirectionalStream(streamId, data, finished, now);
                    return;
                case Http3UniStreamStatus.WebTransport:
                case Http3UniStreamStatus.Abandon:
                    if (!finished)
                    {
                        _connection.StopSending(streamId, (ulong)Http3StreamTypes.UnknownStreamStopCode); // QUIC discards what follows
                    }

                    return;
                case Http3UniStreamStatus.Critical:
                    ulong streamError = _uniStreams.Consume(type, data, out _);
                    if (streamError != 0)
                    {
                        CloseConnection(streamError, type + " stream: " + DescribeError(streamError), now);
                        return;
                    }

                    break;
            }

            if (read == 0 || finished)
            {
                return;
            }
        }
    }
}
