using Engine.Transport.Http3.QPack;
using Engine.Transport.Quic.Wire;

namespace Engine.Transport.Http3;

/// <summary>The peer's unidirectional streams: control and QPACK streams (one each, never ended), the rest stopped.</summary>
internal sealed partial class Http3ServerConnection
{
    private readonly Http3ControlStreamReader _control = new(peerIsClient: true);
    private readonly QPackEncoderStreamReader _qpackEncoderStream = new();
    private readonly QPackDecoderStreamReader _qpackDecoderStream = new();
    private readonly Dictionary<long, UniStream> _uniStreams = [];
    private readonly HashSet<ulong> _criticalStreamsSeen = [];

    private static bool IsCritical(ulong type) =>
        type is (ulong)Http3StreamType.Control or (ulong)Http3StreamType.QPackEncoder or (ulong)Http3StreamType.QPackDecoder;

    private void ReadUniStream(long streamId, UniStream stream, TimeSpan now)
    {
        while (!_connection.IsClosing && _uniStreams.ContainsKey(streamId))
        {
            int read = _connection.ReadStream(streamId, _readBuffer, out bool finished);
            OnUniBytes(streamId, stream, _readBuffer.AsSpan(0, read), finished, now);
            if (finished)
            {
                _uniStreams.Remove(streamId);
            }

            if (read == 0 || finished)
            {
                return;
            }
        }
    }

    private void OnUniBytes(long streamId, UniStream stream, ReadOnlySpan<byte> data, bool finished, TimeSpan now)
    {
        if (stream.Type is not { } type)
        {
            // The type is a varint of up to 8 bytes (GREASE types use 8) and may arrive split.
            int take = Math.Min(data.Length, stream.TypeBytes.Length - stream.TypeLength);
            data[..take].CopyTo(stream.TypeBytes.AsSpan(stream.TypeLength));
            if (Http3StreamTypes.TryRead(stream.TypeBytes.AsSpan(0, stream.TypeLength + take), out type, out int consumed) != Http3ReadStatus.Done)
            {
                stream.TypeLength += take;
                return;
            }

            data = data[(consumed - stream.TypeLength)..];
            stream.Type = type;
            if (!OnUniStreamType(streamId, type, finished, now))
            {
                return;
            }
        }

        if (finished && IsCritical(type))
        {
            CloseConnection((ulong)Http3ErrorCode.ClosedCriticalStream, "the peer ended a critical stream", now); // RFC 9114 §6.2.1, RFC 9204 §4.2
            return;
        }

        switch ((Http3StreamType)type)
        {
            case Http3StreamType.Control:
                Http3ErrorCode error = _control.Feed(data);
                if (error != Http3ErrorCode.NoError)
                {
                    CloseConnection((ulong)error, "control stream: " + error, now);
                }

                break;
            case Http3StreamType.QPackEncoder:
                CloseOnQPackError(_qpackEncoderStream.Read(data), now);
                break;
            case Http3StreamType.QPackDecoder:
                CloseOnQPackError(_qpackDecoderStream.Read(data), now);
                break;
        }
    }

    /// <summary>Accepts or stops a stream once its type is known; false when its bytes are not to be read.</summary>
    private bool OnUniStreamType(long streamId, ulong type, bool finished, TimeSpan now)
    {
        if (IsCritical(type))
        {
            if (!_criticalStreamsSeen.Add(type))
            {
                CloseConnection((ulong)Http3ErrorCode.StreamCreationError, "a second " + (Http3StreamType)type + " stream", now);
                return false;
            }

            return true;
        }

        // Push streams (a client may not open them), WebTransport streams (no sessions yet) and unknown types.
        if (type == (ulong)Http3StreamType.Push)
        {
            CloseConnection((ulong)Http3ErrorCode.StreamCreationError, "a client opened a push stream", now);
            return false;
        }

        if (!finished)
        {
            _connection.StopSending(streamId, (ulong)Http3StreamTypes.UnknownStreamStopCode);
        }

        _uniStreams.Remove(streamId); // QUIC discards what follows, and events for it are ignored
        return false;
    }

    private void CloseOnQPackError(QPackStatus status, TimeSpan now)
    {
        if (status.TryGetErrorCode(out QPackErrorCode code))
        {
            CloseConnection((ulong)code, "QPACK stream: " + code, now);
        }
    }

    private sealed class UniStream
    {
        public ulong? Type { get; set; }

        public byte[] TypeBytes { get; } = new byte[QuicVarint.MaxLength];

        public int TypeLength { get; set; }
    }
}
